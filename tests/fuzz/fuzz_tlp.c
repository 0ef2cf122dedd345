/* libFuzzer target: the TLP-related parsers of the API. The input is
 * read as a keys file (tlp= clearances), as a partners file, and as a
 * mark value and a clearance. Beyond "never crash": a keys file that
 * parses gives every key a clearance the rule accepts (RED with an
 * audience), and a partners file that parses holds the partners it
 * names; a clearance in the trace's form (tracer/tag_clearance.h) names
 * itself back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/partners.h"
#include "store/tlp.h"
#include "tracer/tag_clearance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536) return 0;
	const char *text = (const char *)data;
	struct tl_err err;
	struct tl_keyring *kr;
	if (tl_keyring_parse(text, size, "fuzz", &kr, &err) == 0) {
		for (size_t i = 0; i < tl_keyring_count(kr); i++) {
			const struct tl_api_key *k = tl_keyring_get(kr, i);
			if ((unsigned)k->clearance.level > TL_TLP_RED) abort();
			if (k->clearance.level == TL_TLP_RED && !k->clearance.audience[0]) abort();
			if (!strncmp(k->name, "tlp=", 4)) abort();
		}
		tl_keyring_free(kr);
	}
	struct tl_partners *p;
	if (tl_partners_parse(text, size, "fuzz", &p, &err) == 0) tl_partners_free(p);
	struct tl_tlp_mark m;
	if (tl_tlp_mark_decode(text, size, &m) == 0 && (unsigned)m.level > TL_TLP_RED) abort();
	char buf[256];
	size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	struct tl_clearance c;
	if (tl_clearance_parse(buf, &c, &err) == 0 && c.level == TL_TLP_RED && !c.audience[0]) abort();
	(void)tl_tlp_notes_level(buf);
	/* the trace's form of a clearance: what it parses names itself again */
	if (tl_clearance_from_name(buf, &c, &err) == 0) {
		if ((unsigned)c.level > TL_TLP_RED || (c.audience[0] && c.level != TL_TLP_RED) || c.all) abort();
		char name[TL_TLP_AUDIENCE_MAX + 16];
		struct tl_clearance c2;
		if (tl_clearance_from_name(tl_clearance_name(&c, name), &c2, &err) || memcmp(&c, &c2, sizeof c)) abort();
	}
	return 0;
}
