/* The one table of tag categories: their names, the bit each keeps in
 * tag records and cluster summaries (store/tags.h TL_TAGCAT_*), the
 * walk's entity flag where the tracer treats them specially
 * (taint/graph.h TL_CAT_*), and whether screening measures exposure to
 * them. Every other module (tag parsers, imports, the graph adapters,
 * trace reports, screening) names categories through this table. */
#ifndef TL_TRACER_CATEGORY_H
#define TL_TRACER_CATEGORY_H

#include <stddef.h>
#include <stdint.h>

struct tl_category {
	const char *name;   /* as in tag files and JSON answers */
	uint32_t tagbit;    /* TL_TAGCAT_* bit */
	uint32_t walkbit;   /* TL_CAT_* flag, 0 when the walk does not treat it specially */
	int screened;       /* 1: screening materializes exposure to entities of this category */
};

/* The table, in a fixed order (index = position, stable: screening
 * numbers its category sources by it). */
extern const struct tl_category tl_categories[];
extern const size_t tl_categories_n;

/* The entry named name (exact, lower case), or NULL. */
const struct tl_category *tl_category_find(const char *name);

/* The entry with tag bit tagbit, or NULL. */
const struct tl_category *tl_category_of_tagbit(uint32_t tagbit);

/* TL_TAGCAT_* bits of a category name, 0 when unknown. */
uint32_t tl_category_tagbit(const char *name);

/* TL_CAT_* walk flags of a category name (case-insensitive), 0 when the
 * walk has none for it. */
uint32_t tl_category_walkbit(const char *name);

/* The name of the first walk flag set in walkbits, in table order; "" for
 * none. Static string. */
const char *tl_category_walk_name(uint32_t walkbits);

/* Comma-separated names of the tag bits set in tagbits into buf
 * ("mixer,sanctioned"; "" for 0), truncated to whole names. Returns buf. */
const char *tl_category_names(uint32_t tagbits, char *buf, size_t cap);

#endif
