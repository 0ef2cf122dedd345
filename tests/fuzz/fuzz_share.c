/* libFuzzer target: the input is read as a partner's share (JSON: a STIX
 * bundle or a MISP event) and converted to the tag file and registry it
 * would import as (report/import.h), and as a signed document checked
 * (report/sign.h). Beyond "never crash": whatever converts must give a
 * tag file the tag parser accepts, and a registry
 * the registry parser accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/import.h"
#include "report/sign.h"
#include "intel/registry.h"
#include "intel/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_tag(void *ctx, const struct tl_tag *t)
{
	(void)t;
	(*(unsigned long *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536) return 0;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!doc) return 0;
	struct tl_share_import_opts o = { .source = "fuzz partner", .tlp = TL_TLP_AMBER, .confidence = -1 };
	struct tl_share_import_report rep;
	struct tl_err err;
	char *csv = NULL;
	json_t *reg = NULL;
	if (tl_share_convert(doc, "bitcoin-regtest", &o, &csv, &reg, &rep, &err) == 0) {
		struct tl_tag_report tr;
		unsigned long n = 0;
		/* rows may be skipped (an address the parser refuses), the file never */
		if (tl_tags_parse_buffer(csv, strlen(csv), TL_TAGFMT_CSV, "fuzz", count_tag, &n, &tr, &err)) abort();
		if (reg) {
			char *txt = json_dumps(reg, 0);
			struct tl_registry *r = NULL;
			/* a theft the registry refuses (e.g. a bad date) is a clean error, never a crash */
			if (txt && tl_registry_parse(txt, strlen(txt), "fuzz", &r, &err) == 0) tl_registry_free(r);
			free(txt);
		}
		free(csv);
		json_decref(reg);
	}
	char reason[512];
	(void)tl_verify_document(doc, NULL, reason, sizeof reason, &err);
	json_decref(doc);
	return 0;
}
