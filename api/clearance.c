/* TLP clearance checks for the routes; see clearance.h. */
#include "api/clearance.h"

#include <stdlib.h>
#include <string.h>

#include "tracer/entities.h"
#include "tracer/tag_clearance.h"

int tl_clear_heist(struct tl_store *st, const struct tl_clearance *c, const char *id, const char *json,
                   struct tl_err *err)
{
	if (c->all) return 1;
	struct tl_tlp_mark m;
	if (tl_tlp_heist_mark(st, id, json, &m, err)) return -1;
	return tl_tlp_visible(&m, c);
}

int tl_clear_tag(struct tl_store *st, const struct tl_clearance *c, const struct tl_tag_rec *t, struct tl_err *err)
{
	return tl_tag_visible(st, c, t, err);
}

struct load_ctx {
	struct tl_store *st;
	const struct tl_clearance *c;
	struct tl_hidden *h;
	struct tl_err *err;
	int failed;
};

static int load_cb(void *ctx, const struct tl_heist_info *hi)
{
	struct load_ctx *x = ctx;
	int v = tl_clear_heist(x->st, x->c, hi->id, hi->json, x->err);
	if (v < 0) {
		x->failed = 1;
		return 1;
	}
	if (v) return 0;
	char(*n)[72] = realloc(x->h->ids, (x->h->n + 1) * sizeof *n);
	if (!n) {
		tl_err_set(x->err, "out of memory");
		x->failed = 1;
		return 1;
	}
	x->h->ids = n;
	memcpy(n[x->h->n++], hi->id, sizeof n[0]);
	return 0;
}

int tl_hidden_load(struct tl_store *st, const struct tl_clearance *c, struct tl_hidden *h, struct tl_err *err)
{
	memset(h, 0, sizeof *h);
	if (c->all) return 0;
	struct load_ctx x = { st, c, h, err, 0 };
	if (tl_heists_list(st, load_cb, &x, err) < 0 && !x.failed) x.failed = 1;
	if (x.failed) {
		tl_hidden_free(h);
		return -1;
	}
	return 0;
}

int tl_hidden_has(const struct tl_hidden *h, const char *id)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->ids[i], id)) return 1;
	return 0;
}

int tl_hidden_visible_cb(void *hidden, const char *id) { return !tl_hidden_has(hidden, id); }

void tl_hidden_free(struct tl_hidden *h)
{
	free(h->ids);
	h->ids = NULL;
	h->n = 0;
}
