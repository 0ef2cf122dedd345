/* The Bitcoin trace use case (trace_request.h): from a request to the
 * result object, for the command line and the API alike. */
#include <stdlib.h>
#include <string.h>

#include "tracer/entities.h"
#include "intel/registry.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"
#include "tracer/trace_request.h"

void tl_trace_req_default(struct tl_trace_req *r)
{
	memset(r, 0, sizeof *r);
	r->from = INT64_MIN;
	r->to = INT64_MAX;
	tl_walk_params_default(&r->p);
	r->p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	r->p.min_sat = TL_TRACE_DEFAULT_MIN_SAT;
}

int tl_trace_parse_cats(const char *list, uint32_t *cats, struct tl_err *err)
{
	uint32_t c = 0;
	char *dup = strdup(list), *save = NULL;
	if (!dup) return tl_err_set(err, "out of memory");
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint32_t f = tl_storegraph_cat_flags(t);
		if (!f) {
			tl_err_setc(err, TL_E_BAD_INPUT,
			            "unknown category '%.100s' (exchange, bridge, service, mixer, sanctioned)", t);
			free(dup);
			return -1;
		}
		c |= f;
	}
	free(dup);
	*cats = c;
	return 0;
}

/* until as a height (digits) or the last block of a date. Returns 0 with
 * *height, or -1 with err coded as trace_request.h says. */
static int resolve_until(struct tl_store *s, const char *until, uint32_t *height, struct tl_err *err)
{
	char *end;
	if (*until && *until != '-') {
		unsigned long long h = strtoull(until, &end, 10);
		if (!*end && h <= INT32_MAX) {
			*height = (uint32_t)h;
			return 0;
		}
	}
	int64_t t;
	if (tl_trace_parse_date(until, 1, &t, err)) {
		err->code = TL_E_BAD_INPUT;
		return -1;
	}
	uint32_t hh;
	int r = tl_trace_height_at(s, t, &hh, err);
	if (r < 0) {
		err->code = TL_E_STORE;
		return -1;
	}
	if (r == 0) return tl_err_setc(err, TL_E_NOT_FOUND, "until %.100s is before the first block", until);
	*height = hh ? hh : 1;
	return 0;
}

/* The stored heist id as the clearance sees it, parsed into *reg (one
 * heist). Returns 0, or -1 with err coded as trace_request.h says. */
static int heist_from_store(struct tl_store *s, const char *id, const struct tl_clearance *clr,
                            struct tl_registry **reg, struct tl_err *err)
{
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	int r = tl_heist_get(s, id, &hi, err);
	if (r == 1 && clr && !clr->all) { /* a heist above the clearance is not there */
		struct tl_tlp_mark m;
		r = tl_tlp_heist_mark(s, id, hi.json, &m, err) ? -1 : tl_tlp_visible(&m, clr);
		if (r != 1) free(hi.json);
	}
	if (r < 0) {
		err->code = TL_E_STORE;
		return -1;
	}
	if (r == 0) return tl_err_setc(err, TL_E_NOT_FOUND, "unknown heist '%.80s'", id);
	r = tl_heist_parse(&hi, reg, err);
	free(hi.json);
	if (r) return tl_err_prefix(err, "heist '%.80s': ", id);
	if (!(*reg)->n) return tl_err_set(err, "heist '%.80s' has no definition", id);
	if (!hi.traceable)
		return tl_err_set(err, "heist '%.80s' is not traceable on this database (other chain or no seeds)", id);
	return 0;
}

int tl_trace_request_run(struct tl_store *s, const struct tl_trace_req *rq, json_t **out, enum tl_trace_stage *stage,
                         struct tl_err *err)
{
	*out = NULL;
	*stage = TL_TRACE_AT_NONE;
	struct tl_walk_params p = rq->p;
	p.until_height = 0;
	struct tl_registry *reg = NULL;
	const struct tl_heist *h = NULL;
	struct tl_storegraph *sg = NULL;
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	int rc = -1;
	if (rq->heist && rq->heists_file) {
		if (tl_registry_load(rq->heists_file, &reg, err)) {
			*stage = TL_TRACE_AT_REGISTRY;
			goto out;
		}
		h = tl_registry_find(reg, rq->heist);
		if (!h) {
			tl_err_setc(err, TL_E_NOT_FOUND, "unknown heist '%.80s'", rq->heist);
			*stage = TL_TRACE_AT_HEIST;
			goto out;
		}
	}
	if (tl_storegraph_new(s, &sg, err)) {
		*stage = TL_TRACE_AT_WALK;
		goto out;
	}
	tl_storegraph_set_clearance(sg, rq->clearance); /* tags above it are not there */
	if (rq->until && resolve_until(s, rq->until, &p.until_height, err)) {
		*stage = TL_TRACE_AT_UNTIL;
		goto out;
	}
	if (rq->heist && !h) {
		if (heist_from_store(s, rq->heist, rq->clearance, &reg, err)) {
			*stage = TL_TRACE_AT_HEIST;
			goto out;
		}
		h = &reg->heists[0];
	}
	for (size_t i = 0; i < rq->ntags; i++)
		if (tl_storegraph_load_tags(sg, rq->tag_files[i], NULL, err)) {
			*stage = TL_TRACE_AT_TAGS;
			goto out;
		}
	if (h && tl_trace_seeds_add_heist(sg, h, &ts, err)) {
		*stage = TL_TRACE_AT_HEIST_SEEDS;
		goto out;
	}
	for (size_t i = 0; i < rq->nseeds; i++)
		if (tl_trace_seeds_add_outpoint(sg, rq->seeds[i], &ts, err)) {
			*stage = TL_TRACE_AT_SEED;
			goto out;
		}
	if (rq->address && tl_trace_seeds_add_address(sg, rq->address, rq->from, rq->to, &ts, err)) {
		*stage = TL_TRACE_AT_ADDRESS;
		goto out;
	}
	if (ts.n == 0) {
		tl_err_setc(err, TL_E_BAD_INPUT, "no seeds: give a heist, seeds [\"TXID[:VOUT]\"] or an address");
		*stage = TL_TRACE_AT_NO_SEEDS;
		goto out;
	}
	rc = tl_trace_run(sg, &ts, &p, out, err);
	if (rc) *stage = TL_TRACE_AT_WALK;
out:
	tl_trace_seeds_free(&ts);
	tl_storegraph_free(sg);
	tl_registry_free(reg);
	return rc;
}
