/* TLP marks of tag sources and heists; see tlp.h. */
#include "store/tlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "store/store.h"

static const char *const names[] = { "clear", "green", "amber", "amber+strict", "red" };

const char *tl_tlp_level_name(enum tl_tlp t) { return names[(unsigned)t < 5 ? t : TL_TLP_RED]; }

int tl_tlp_parse_name(const char *s, enum tl_tlp *out)
{
	if (!s) return -1;
	if (!strncasecmp(s, "tlp:", 4)) s += 4;
	if (!strcasecmp(s, "white")) s = "clear";
	for (int i = 0; i < 5; i++)
		if (!strcasecmp(s, names[i])) {
			*out = (enum tl_tlp)i;
			return 0;
		}
	return -1;
}

size_t tl_tlp_mark_key(enum tl_tlp_kind kind, const char *name, char *key, size_t cap)
{
	int n = snprintf(key, cap, "tlp/%c/%s", (char)kind, name);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t tl_tlp_mark_encode(const struct tl_tlp_mark *m, char *val, size_t cap)
{
	int n = snprintf(val, cap, "%d%s%s", (int)m->level, m->level == TL_TLP_RED ? " " : "",
	                 m->level == TL_TLP_RED ? m->audience : "");
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

void tl_tlp_mark_put(struct tl_batch *b, enum tl_tlp_kind kind, const char *name, const struct tl_tlp_mark *m)
{
	char key[256], val[TL_TLP_MARK_MAX];
	size_t kl = tl_tlp_mark_key(kind, name, key, sizeof key);
	size_t vl = tl_tlp_mark_encode(m, val, sizeof val);
	if (!kl || !vl) return; /* names are bounded by the importers */
	tl_batch_put(b, TL_CF_META, key, kl, val, vl);
}

int tl_tlp_mark_decode(const char *v, size_t len, struct tl_tlp_mark *m)
{
	memset(m, 0, sizeof *m);
	if (len < 1 || v[0] < '0' || v[0] > '4') return -1;
	m->level = (enum tl_tlp)(v[0] - '0');
	if (len == 1) return 0;
	if (m->level != TL_TLP_RED || v[1] != ' ' || len - 2 >= TL_TLP_AUDIENCE_MAX) return -1;
	memcpy(m->audience, v + 2, len - 2);
	m->audience[len - 2] = '\0';
	if (strlen(m->audience) != len - 2) return -1;
	return 0;
}

int tl_tlp_mark_get(struct tl_store *st, enum tl_tlp_kind kind, const char *name, struct tl_tlp_mark *m,
                    struct tl_err *err)
{
	char key[256];
	memset(m, 0, sizeof *m);
	size_t kl = tl_tlp_mark_key(kind, name ? name : "", key, sizeof key);
	if (!kl) return 0;
	uint8_t *v;
	size_t vl;
	int r = tl_store_get(st, TL_CF_META, key, kl, &v, &vl, err);
	if (r <= 0) return r;
	r = tl_tlp_mark_decode((const char *)v, vl, m);
	free(v);
	if (r) return tl_err_set(err, "corrupt TLP mark of %s '%.80s'", kind == TL_TLP_SOURCE ? "tag source" : "heist",
	                         name);
	return 1;
}

int tl_tlp_notes_level(const char *notes)
{
	if (!notes || strncasecmp(notes, "tlp:", 4)) return -1;
	/* the level runs to the first ';', space or end */
	char buf[24];
	size_t n = strcspn(notes, "; \t");
	if (n >= sizeof buf) return -1;
	memcpy(buf, notes, n);
	buf[n] = '\0';
	enum tl_tlp t;
	return tl_tlp_parse_name(buf, &t) ? -1 : (int)t;
}

int tl_tlp_visible(const struct tl_tlp_mark *m, const struct tl_clearance *c)
{
	if (c->all) return 1;
	if (m->level > c->level) return 0;
	if (m->level == TL_TLP_RED && m->audience[0] && strcmp(m->audience, c->audience)) return 0;
	return 1;
}

void tl_tlp_raise_notes(struct tl_tlp_mark *m, const char *notes)
{
	int nl = tl_tlp_notes_level(notes);
	if (nl > (int)m->level) {
		m->level = (enum tl_tlp)nl;
		m->audience[0] = '\0';
	}
}

void tl_tlp_raise_definition(struct tl_tlp_mark *m, const json_t *definition)
{
	json_t *lv = json_object_get(definition, "tlp");
	if (!lv) return;
	enum tl_tlp t;
	/* a level we cannot read: the narrowest, not the widest */
	if (!json_is_string(lv) || tl_tlp_parse_name(json_string_value(lv), &t)) t = TL_TLP_RED;
	if (t > m->level) {
		m->level = t;
		m->audience[0] = '\0';
	}
}

int tl_tlp_tag_mark(struct tl_store *st, const char *source, const char *notes, struct tl_tlp_mark *m,
                    struct tl_err *err)
{
	if (tl_tlp_mark_get(st, TL_TLP_SOURCE, source, m, err) < 0) return -1;
	tl_tlp_raise_notes(m, notes);
	return 0;
}

int tl_tlp_heist_mark(struct tl_store *st, const char *id, const char *definition_json, struct tl_tlp_mark *m,
                      struct tl_err *err)
{
	if (tl_tlp_mark_get(st, TL_TLP_HEIST, id, m, err) < 0) return -1;
	json_t *d = definition_json ? json_loads(definition_json, 0, NULL) : NULL;
	tl_tlp_raise_definition(m, d);
	json_decref(d);
	return 0;
}
