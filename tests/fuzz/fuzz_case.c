/* libFuzzer target: a case's graph as the API stores it (any JSON a
 * client saved), normalized and exported as a STIX bundle and a MISP
 * event (report/case_export.h). Beyond "never crash": every reference of
 * the bundle resolves inside it, every kept amount is a whole number of
 * satoshis, and the same case gives the same bundle twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/case_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536) return 0;
	json_t *graph = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *meta = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", "fuzz", "tlp", "amber", "notes", "n", "author", "a",
	                         "updated", "2026-01-02T03:04:05Z");
	json_t *c = NULL, *b = NULL, *b2 = NULL, *e = NULL;
	struct tl_err err;
	if (tl_case_normalize(1, meta, graph, &c, &err) == 0) {
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(c, "flows"), i, f) {
			const json_t *a = json_object_get(f, "amount_sat");
			if (a && (!json_is_integer(a) || json_integer_value(a) < 0)) abort();
		}
		struct tl_export_opts o = { .tlp = TL_TLP_AMBER, .producer = "fuzz" };
		if (tl_stix_export_case(c, &o, &b, &err) == 0) {
			char reason[300];
			if (!tl_stix_refs_resolve(b, reason, sizeof reason)) abort();
			if (tl_stix_export_case(c, &o, &b2, &err) || !json_equal(b, b2)) abort();
		}
		if (tl_misp_export_case(c, &o, &e, &err) == 0 && !json_object_get(e, "Event")) abort();
	}
	json_decref(b);
	json_decref(b2);
	json_decref(e);
	json_decref(c);
	json_decref(meta);
	json_decref(graph);
	return 0;
}
