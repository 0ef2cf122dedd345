/* The category table; see category.h. */
#include "tracer/category.h"

#include <string.h>
#include <strings.h>

#include "store/tags.h"
#include "taint/graph.h"
#include "intel/tags.h"

/* Order is part of the screening index (category sources are numbered by
 * position): append, never reorder. */
const struct tl_category tl_categories[] = {
	{ "exchange", TL_TAGCAT_EXCHANGE, TL_CAT_EXCHANGE, 0 },
	{ "bridge", TL_TAGCAT_BRIDGE, TL_CAT_BRIDGE, 0 },
	{ "service", TL_TAGCAT_SERVICE, TL_CAT_SERVICE, 0 },
	{ "mixer", TL_TAGCAT_MIXER, TL_CAT_MIXER, 1 },
	{ "sanctioned", TL_TAGCAT_SANCTIONED, TL_CAT_SANCTIONED, 1 },
	{ "thief", TL_TAGCAT_THIEF, 0, 1 },
	{ "other", TL_TAGCAT_OTHER, 0, 0 },
	{ "ransomware", TL_TAGCAT_RANSOMWARE, 0, 1 },
	{ "darknet", TL_TAGCAT_DARKNET, 0, 1 },
	{ "scam", TL_TAGCAT_SCAM, 0, 1 },
};
const size_t tl_categories_n = sizeof tl_categories / sizeof tl_categories[0];

/* intel/tags.h's list of accepted names: the same table's names. */
const char *const tl_tag_categories[] = { "exchange", "mixer",  "bridge",     "sanctioned", "thief", "service",
					  "other",    "ransomware", "darknet", "scam",       NULL };

int tl_tag_category_valid(const char *cat)
{
	return tl_category_find(cat) != NULL;
}

const struct tl_category *tl_category_find(const char *name)
{
	for (size_t i = 0; name && i < tl_categories_n; i++)
		if (!strcmp(name, tl_categories[i].name)) return &tl_categories[i];
	return NULL;
}

const struct tl_category *tl_category_of_tagbit(uint32_t tagbit)
{
	for (size_t i = 0; i < tl_categories_n; i++)
		if (tl_categories[i].tagbit == tagbit) return &tl_categories[i];
	return NULL;
}

uint32_t tl_category_tagbit(const char *name)
{
	const struct tl_category *c = tl_category_find(name);
	return c ? c->tagbit : 0;
}

uint32_t tl_category_walkbit(const char *name)
{
	for (size_t i = 0; name && i < tl_categories_n; i++)
		if (!strcasecmp(name, tl_categories[i].name)) return tl_categories[i].walkbit;
	return 0;
}

const char *tl_category_walk_name(uint32_t walkbits)
{
	for (size_t i = 0; i < tl_categories_n; i++)
		if (tl_categories[i].walkbit & walkbits) return tl_categories[i].name;
	return "";
}

const char *tl_category_names(uint32_t tagbits, char *buf, size_t cap)
{
	size_t n = 0;
	if (cap) buf[0] = 0;
	for (size_t i = 0; i < tl_categories_n; i++)
		if (tagbits & tl_categories[i].tagbit) {
			size_t l = strlen(tl_categories[i].name);
			if (n + l + 2 > cap) break;
			if (n) buf[n++] = ',';
			memcpy(buf + n, tl_categories[i].name, l + 1);
			n += l;
		}
	return buf;
}
