/* Tag visibility under a TLP clearance; see tag_clearance.h. */
#include "tracer/tag_clearance.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tracer/entities.h"

int tl_clearance_restricted(const struct tl_clearance *c) { return c && !c->all; }

int tl_tag_visible(struct tl_store *st, const struct tl_clearance *c, const struct tl_tag_rec *t, struct tl_err *err)
{
	if (!tl_clearance_restricted(c)) return 1;
	struct tl_tlp_mark m;
	if (tl_tlp_tag_mark(st, t->source ? t->source : "", t->notes, &m, err)) return -1;
	return tl_tlp_visible(&m, c);
}

struct fold_ctx {
	struct tl_store *st;
	const struct tl_clearance *c;
	struct tl_cluster_summary *sum;
	struct tl_err *err;
	int failed;
	char last[128]; /* address of the member being visited */
	int have_last;
};

/* A member's tags come one after another (tl_tags_of_cluster reads member
 * by member), so a member is counted when its first visible tag differs
 * in address from the previous visible one. */
static int fold_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct fold_ctx *x = ctx;
	int v = tl_tag_visible(x->st, x->c, t, x->err);
	if (v < 0) {
		x->failed = 1;
		return 1;
	}
	if (!v) return 0;
	x->sum->cats |= t->cats;
	tl_cluster_summary_fold_label(x->sum, t->confidence, t->label);
	const char *a = t->address ? t->address : "";
	if (!x->have_last || strncmp(x->last, a, sizeof x->last - 1)) {
		x->sum->tagged++;
		snprintf(x->last, sizeof x->last, "%s", a);
		x->have_last = 1;
	}
	return 0;
}

int tl_cluster_summary_seen(struct tl_store *st, const struct tl_clearance *c, uint64_t cluster_id,
                            struct tl_cluster_summary *sum, struct tl_err *err)
{
	int rc = tl_cluster_summary(st, cluster_id, sum, err);
	if (rc <= 0 || !tl_clearance_restricted(c) || (!sum->cats && !sum->tagged && !sum->label[0])) return rc;
	struct tl_cluster_summary seen;
	memset(&seen, 0, sizeof seen);
	seen.size = sum->size;
	seen.confidence = -1;
	struct fold_ctx x = { st, c, &seen, err, 0, "", 0 };
	if (tl_tags_of_cluster(st, cluster_id, fold_cb, &x, err) < 0 || x.failed) return -1;
	*sum = seen;
	return rc;
}

int tl_entity_get_seen(struct tl_store *st, const struct tl_clearance *c, uint64_t addr_id, struct tl_entity *out,
                       struct tl_err *err)
{
	if (!tl_clearance_restricted(c)) return tl_entity_get(st, addr_id, out, err);
	memset(out, 0, sizeof *out);
	uint64_t cid;
	if (tl_cluster_of(st, addr_id, &cid, err) < 0) return -1;
	struct tl_cluster_summary sum;
	if (tl_cluster_summary_seen(st, c, cid, &sum, err) < 0) return -1;
	/* as tl_entity_get builds it */
	out->cats = sum.cats & TL_CAT_ALL;
	out->cluster_id = sum.size > 1 ? cid : 0;
	size_t n = strlen(sum.label);
	if (n >= TL_ENTITY_LABEL_MAX) n = TL_ENTITY_LABEL_MAX - 1;
	memcpy(out->label, sum.label, n);
	out->label[n] = 0;
	return 0;
}

const char *tl_clearance_name(const struct tl_clearance *c, char *buf)
{
	if (c->level == TL_TLP_RED && c->audience[0])
		snprintf(buf, TL_TLP_AUDIENCE_MAX + 16, "red/%s", c->audience);
	else
		snprintf(buf, TL_TLP_AUDIENCE_MAX + 16, "%s", tl_tlp_level_name(c->level));
	return buf;
}

int tl_clearance_from_name(const char *s, struct tl_clearance *c, struct tl_err *err)
{
	memset(c, 0, sizeof *c);
	char lv[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof lv) return tl_err_set(err, "unknown clearance '%.40s'", s);
	memcpy(lv, s, n);
	lv[n] = 0;
	if (tl_tlp_parse_name(lv, &c->level)) return tl_err_set(err, "unknown clearance '%.40s'", s);
	if (slash) {
		if (c->level != TL_TLP_RED) return tl_err_set(err, "only a RED clearance names an audience");
		/* the characters a key's audience may have (api/auth.c) */
		int ok = slash[1] && strlen(slash + 1) < TL_TLP_AUDIENCE_MAX;
		for (const char *p = slash + 1; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-';
		if (!ok) return tl_err_set(err, "bad audience in clearance '%.40s' (A-Z a-z 0-9 . _ -)", s);
		snprintf(c->audience, sizeof c->audience, "%s", slash + 1);
	}
	return 0;
}

void tl_clearance_narrow(const struct tl_clearance *c, enum tl_tlp level, struct tl_clearance *out)
{
	memset(out, 0, sizeof *out);
	if (level == TL_TLP_RED) { /* the audience is the caller's to name */
		if (tl_clearance_restricted(c)) *out = *c;
		else out->all = 1;
		return;
	}
	if (tl_clearance_restricted(c) && c->level <= level) {
		*out = *c;
		return;
	}
	out->level = level;
}
