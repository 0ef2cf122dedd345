/* libFuzzer target: the screening rules file (tracer/screen.h
 * tl_screen_rules_parse). Beyond "never crash": a text that parses gives
 * rules within their documented ranges (categories screened, levels
 * 1..4, scores 0..100, shares 0..1, direct rules without conditions), a
 * non-empty printable version, and a text that fails leaves the rules
 * as they were. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/category.h"
#include "tracer/screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536) return 0;
	static struct tl_screen_rules r, before;
	struct tl_err err;
	tl_screen_rules_default(&r);
	before = r;
	if (tl_screen_rules_parse((const char *)data, size, "fuzz", &r, &err)) {
		if (memcmp(&r, &before, sizeof r)) abort();
		return 0;
	}
	size_t vl = strnlen(r.version, sizeof r.version);
	if (!vl || vl == sizeof r.version) abort();
	if (r.n_cat > TL_SCREEN_RULES_MAX) abort();
	if (!(r.high_share >= 0 && r.high_share <= 1 && r.medium_share >= 0 && r.medium_share <= 1)) abort();
	for (size_t i = 0; i < r.n_cat; i++) {
		const struct tl_screen_cat_rule *u = &r.cat[i];
		if (u->cat >= tl_categories_n || !tl_categories[u->cat].screened) abort();
		if (u->level < 1 || u->level > 4 || !(u->score >= 0 && u->score <= 100)) abort();
		if (!(u->min_share >= 0 && u->min_share <= 1)) abort();
		if (u->direct && (u->min_share > 0 || u->max_hops || u->min_sat)) abort();
	}
	double s;
	for (size_t c = 0; c < tl_categories_n; c++) {
		int lv = tl_screen_rules_apply(&r, c, (int)(c & 1), 0.5, 2, 100000, &s);
		if (lv < 0 || lv > 4 || !(s >= 0 && s <= 100)) abort();
	}
	return 0;
}
