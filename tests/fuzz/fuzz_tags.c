/* Fuzz target: the tag parsers (CSV, GraphSense TagPack, OFAC advanced
 * XML) and the heist registry, all from memory. The first byte picks the
 * parser; the rest is the input. Must never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/registry.h"
#include "intel/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(void *ctx, const struct tl_tag *t)
{
	size_t *n = ctx;
	/* read every string so that ASan sees any bad pointer */
	*n += strlen(t->chain) + strlen(t->address) + strlen(t->label) + strlen(t->category) + strlen(t->source);
	if (t->entity) *n += strlen(t->entity);
	if (t->notes) *n += strlen(t->notes);
	if (t->ticker) *n += strlen(t->ticker);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	uint8_t sel = data[0] % 5;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	struct tl_err err;
	struct tl_tag_report rep;
	size_t n = 0;
	switch (sel) {
	case 0: (void)tl_tags_parse_buffer(buf, len, TL_TAGFMT_CSV, "fuzz", touch, &n, &rep, &err); break;
	case 1: (void)tl_tags_parse_buffer(buf, len, TL_TAGFMT_TAGPACK, "fuzz", touch, &n, &rep, &err); break;
	case 2: (void)tl_tags_parse_buffer(buf, len, TL_TAGFMT_OFAC_XML, "fuzz", touch, &n, &rep, &err); break;
	case 3: (void)tl_tags_parse_buffer(buf, len, TL_TAGFMT_AUTO, "fuzz", touch, &n, &rep, &err); break;
	default: {
		struct tl_registry *reg = NULL;
		if (tl_registry_parse(buf, len, "fuzz", &reg, &err) == 0) {
			for (size_t i = 0; i < reg->n; i++) (void)tl_registry_find(reg, reg->heists[i].id);
			tl_registry_free(reg);
		}
	}
	}
	return 0;
}
