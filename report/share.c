/* A heist's export for partners; see share.h. */
#include "report/share.h"

#include <stdlib.h>
#include <string.h>

#include "report/export.h"
#include "report/manifest.h"
#include "report/sign.h"
#include "tracer/entities.h"
#include "intel/registry.h"
#include "tracer/tag_clearance.h"
#include "tracer/trace.h"

int tl_share_heist_mark(struct tl_store *st, const char *id, struct tl_tlp_mark *m, struct tl_err *err)
{
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	int r = tl_heist_get(st, id, &hi, err);
	if (r <= 0) return r;
	r = tl_tlp_heist_mark(st, id, hi.json, m, err);
	free(hi.json);
	return r ? -1 : 1;
}

int tl_share_heist(struct tl_storegraph *sg, const char *id, const struct tl_share_heist_opts *o, json_t **out,
                   struct tl_err *err)
{
	*out = NULL;
	struct tl_store *st = tl_storegraph_store(sg);
	int stix = !strcmp(o->format, "stix");
	if (!stix && strcmp(o->format, "misp")) return tl_err_set(err, "unknown format '%.20s' (stix, misp)", o->format);
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	int r = tl_heist_get(st, id, &hi, err);
	if (r < 0) return -1;
	if (r == 0) return tl_err_set(err, "unknown heist '%s' (not imported: taintline heist import)", id);
	struct tl_tlp_mark m;
	if (tl_tlp_heist_mark(st, id, hi.json, &m, err)) {
		free(hi.json);
		return -1;
	}
	if (m.level > o->tlp) {
		free(hi.json);
		return tl_err_set(err, "heist '%s' is TLP:%s; it cannot go out as TLP:%s", id, tl_tlp_name(m.level),
		                  tl_tlp_name(o->tlp));
	}
	struct tl_registry *reg = NULL;
	r = tl_heist_parse(&hi, &reg, err);
	free(hi.json);
	if (r) return -1;
	struct tl_trace_seeds s;
	tl_trace_seeds_init(&s);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.policy = o->policy;
	p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	p.min_sat = TL_TRACE_DEFAULT_MIN_SAT;
	json_t *tr = NULL, *doc = NULL;
	r = reg->n ? tl_trace_seeds_add_heist(sg, &reg->heists[0], &s, err) : tl_err_set(err, "heist has no definition");
	if (!r) {
		/* the export carries only tags its own level may carry */
		const struct tl_clearance *was = tl_storegraph_clearance(sg);
		struct tl_clearance keep, view;
		if (was) keep = *was;
		tl_clearance_narrow(was, o->tlp, &view);
		tl_storegraph_set_clearance(sg, &view);
		r = tl_trace_run(sg, &s, &p, &tr, err);
		tl_storegraph_set_clearance(sg, was ? &keep : NULL);
		if (r > 0) r = tl_err_set(err, "the trace stopped early: narrow it with taintline trace, then --trace");
	}
	tl_trace_seeds_free(&s);
	tl_registry_free(reg);
	struct tl_export_opts eo = { .tlp = o->tlp, .producer = o->producer };
	if (!r) r = stix ? tl_stix_export(tr, &eo, &doc, err) : tl_misp_export(tr, &eo, &doc, err);
	if (!r && o->sign_key) {
		json_t *man = NULL;
		r = tl_manifest_from_trace(st, tr, o->format, &man, err);
		if (!r) {
			json_object_set_new(man, "tlp", json_string(tl_tlp_name(o->tlp)));
			json_object_set_new(man, "producer", json_string(o->producer ? o->producer : "taintline"));
			r = tl_sign_document(doc, o->sign_key, man, err); /* man stolen */
		}
	}
	json_decref(tr);
	if (r) {
		json_decref(doc);
		return -1;
	}
	*out = doc;
	return 0;
}
