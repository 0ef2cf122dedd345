/* Plain address lists: one address per line (blank lines and lines
 * starting with '#' are skipped; surrounding white space and CR are
 * trimmed), or a JSON array of address strings as 0xB10C's generated
 * lists also publish them. The file says nothing but addresses: label,
 * category, source, chain and confidence come from struct tl_tag_opts. */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "intel/tags.h"

#define LIST_ADDR_MAX 160

static int check_opts(const char *name, const struct tl_tag_opts *o, struct tl_err *err)
{
	if (!o || !o->label || !*o->label || !o->category || !o->source || !*o->source)
		return tl_err_set(err, "%s: a plain address list needs a label, a category and a source", name);
	if (!tl_tag_category_valid(o->category))
		return tl_err_set(err,
				  "%s: category '%.40s' unknown (expected exchange, mixer, bridge, sanctioned, "
				  "thief, service or other)",
				  name, o->category);
	if (o->confidence < -1 || o->confidence > 100)
		return tl_err_set(err, "%s: confidence %d not in 0..100", name, o->confidence);
	return 0;
}

/* One address; counts and reports a bad one. Returns 0, or -1 when the
 * callback stopped the parse. */
static int one(const char *name, const struct tl_tag_opts *o, const char *addr, unsigned long line, tl_tag_cb cb,
	       void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	const char *chain = o->chain && *o->chain ? o->chain : "bitcoin";
	char why[200];
	if (tl__tag_address_check(chain, addr, why, sizeof why)) {
		rep->skipped++;
		tl__tag_report_msg(rep, "line %lu: %s", line, why);
		return 0;
	}
	struct tl_tag t = {
		.chain = chain,
		.address = addr,
		.label = o->label,
		.category = o->category,
		.source = o->source,
		.confidence = o->confidence,
		.line = line,
	};
	if (cb && cb(ctx, &t) != 0) return tl_err_set(err, "%s: line %lu: stopped by callback", name, line);
	rep->records++;
	return 0;
}

static int parse_json(const char *b, size_t len, const char *name, const struct tl_tag_opts *o, tl_tag_cb cb,
		      void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	json_error_t je;
	/* Bounded: jansson's own nesting limit (2048) applies. */
	json_t *arr = json_loadb(b, len, JSON_REJECT_DUPLICATES, &je);
	if (!arr) return tl_err_set(err, "%s: line %d: not a JSON array of addresses: %s", name, je.line, je.text);
	int ret = 0;
	if (!json_is_array(arr)) {
		ret = tl_err_set(err, "%s: a JSON address list must be an array of strings", name);
	} else {
		/* jansson keeps no positions of elements: report the index. */
		for (size_t i = 0; i < json_array_size(arr) && !ret; i++) {
			json_t *v = json_array_get(arr, i);
			const char *s = json_string_value(v);
			if (!s || strlen(s) != json_string_length(v)) {
				rep->skipped++;
				tl__tag_report_msg(rep, "item %zu: not an address string", i + 1);
				continue;
			}
			if (one(name, o, s, (unsigned long)i + 1, cb, ctx, rep, err) < 0) ret = -1;
		}
	}
	json_decref(arr);
	return ret;
}

int tl__tags_parse_list(const char *b, size_t len, const char *name, const struct tl_tag_opts *o, tl_tag_cb cb,
			void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	if (check_opts(name, o, err) < 0) return -1;
	size_t pos = 0;
	if (len >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB && (unsigned char)b[2] == 0xBF) pos = 3;
	size_t first = pos;
	while (first < len && isspace((unsigned char)b[first])) first++;
	if (first < len && b[first] == '[') return parse_json(b + pos, len - pos, name, o, cb, ctx, rep, err);
	unsigned long line = 0;
	while (pos < len) {
		line++;
		const char *nl = memchr(b + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - b) : len;
		size_t s = pos, e = end;
		pos = nl ? end + 1 : len;
		while (s < e && isspace((unsigned char)b[s])) s++;
		while (e > s && isspace((unsigned char)b[e - 1])) e--;
		if (s == e || b[s] == '#') continue;
		if (e - s == 1 && b[s] == '\x1a') continue; /* DOS end of file */
		if (e - s >= LIST_ADDR_MAX) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: longer than %d characters: not an address", line, LIST_ADDR_MAX - 1);
			continue;
		}
		char addr[LIST_ADDR_MAX];
		memcpy(addr, b + s, e - s);
		addr[e - s] = 0;
		if (memchr(addr, '\0', e - s)) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: contains a NUL byte", line);
			continue;
		}
		if (one(name, o, addr, line, cb, ctx, rep, err) < 0) return -1;
	}
	return 0;
}
