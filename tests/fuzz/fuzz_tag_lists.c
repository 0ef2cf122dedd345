/* Fuzz target: OFAC's legacy sdn.csv reader (with a comments file) and
 * the plain address list reader, from memory. The first byte picks the
 * reader; for sdn.csv the input is split at the first 0xFF byte into
 * sdn.csv and sdn_comments.csv (no 0xFF: no comments file). Must never
 * crash, hang or leak, and every record's text must be valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intel/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(void *ctx, const struct tl_tag *t)
{
	size_t *n = ctx;
	const char *s[] = { t->chain, t->address, t->label, t->category, t->source, t->entity, t->notes, t->ticker };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		if (s[i]) {
			size_t l = strlen(s[i]);
			if (!tl_utf8_valid(s[i], l)) abort();
			*n += l;
		}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	struct tl_err err;
	struct tl_tag_report rep;
	size_t n = 0;
	if (data[0] & 1) {
		const char *sep = memchr(buf, 0xFF, len);
		size_t l1 = sep ? (size_t)(sep - buf) : len;
		const char *c = sep ? sep + 1 : NULL;
		size_t cl = sep ? len - l1 - 1 : 0;
		(void)tl_tags_parse_buffer_opts(buf, l1, TL_TAGFMT_SDN_CSV, "fuzz", NULL, c, cl, touch, &n, &rep, &err);
	} else {
		static const char *const chains[] = { "bitcoin", "ethereum", "tron", "bitcoin-regtest" };
		struct tl_tag_opts o = { .label = "L", .category = "sanctioned", .source = "S",
					 .chain = chains[(data[0] >> 1) & 3], .confidence = -1 };
		(void)tl_tags_parse_buffer_opts(buf, len, TL_TAGFMT_LIST, "fuzz", &o, NULL, 0, touch, &n, &rep, &err);
	}
	return 0;
}
