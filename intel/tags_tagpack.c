/* GraphSense TagPack (YAML) reader, on libyaml's document API.
 *
 * Every scalar is taken as a string (so '0x...' addresses and dates stay
 * text). Header fields are inherited by every tag unless the tag sets
 * them; a top-level `header:` mapping is flattened into the header.
 * Duplicate mapping keys reject the file; a tag lacking a mandatory field
 * after inheritance is skipped and reported; duplicate tags (same
 * address, currency, network, label, source, compared case-insensitively)
 * are dropped and counted, as the GraphSense tool does. */
#include "intel/tags.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Fields a tag may carry (and inherit from the header). */
enum {
	F_LABEL,
	F_SOURCE,
	F_CURRENCY,
	F_NETWORK,
	F_CONFIDENCE,
	F_CONTEXT,
	F_CATEGORY,
	F_ABUSE,
	F_ACTOR,
	F_LASTMOD,
	F_CLUSTER_DEFINER,
	F_TAG_TYPE,
	F_CONCEPTS,
	F_ADDRESS,
	F_TX_HASH,
	F_COUNT
};
static const char *const field_names[F_COUNT] = {
	"label", "source", "currency", "network", "confidence", "context", "category", "abuse",
	"actor", "lastmod", "is_cluster_definer", "tag_type", "concepts", "address", "tx_hash",
};
static const char *const header_only[] = {"title", "creator", "description", "owner", "is_public", NULL};

struct tp {
	yaml_document_t *doc;
	const char *name;
	struct tl_tag_report *rep;
	/* header values: scalar node or, for concepts, sequence node */
	yaml_node_t *hdr[F_COUNT];
	/* duplicate detection: open-addressing set of 64-bit hashes plus the
	 * keys themselves to confirm */
	char **keys;
	uint64_t *hashes;
	size_t cap, n;
	/* nodes already checked: an alias points at an existing node, so
	 * without this a few nested aliases cost exponential time */
	unsigned char *seen;
};

static unsigned long line_of(const yaml_node_t *n) { return (unsigned long)n->start_mark.line + 1; }

static int field_index(const char *k)
{
	for (int i = 0; i < F_COUNT; i++)
		if (strcmp(k, field_names[i]) == 0) return i;
	return -1;
}

static const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static int is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE) return 0;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
	const char *s = scalar(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int has_include_tag(const yaml_node_t *n)
{
	return n->tag && strcmp((const char *)n->tag, "!include") == 0;
}

/* Checks a mapping for repeated keys. Returns 0, or -1 with err set. */
static int check_dup_keys(struct tp *tp, yaml_node_t *map, struct tl_err *err)
{
	yaml_node_pair_t *a, *b;
	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *ka = yaml_document_get_node(tp->doc, a->key);
		if (!ka || ka->type != YAML_SCALAR_NODE) continue;
		for (b = a + 1; b < map->data.mapping.pairs.top; b++) {
			yaml_node_t *kb = yaml_document_get_node(tp->doc, b->key);
			if (!kb || kb->type != YAML_SCALAR_NODE) continue;
			if (strcmp(scalar(ka), scalar(kb)) == 0)
				return tl_err_set(err,
						  "%s: line %lu: duplicate mapping key '%.60s' (first at line %lu); a "
						  "TagPack must not repeat a key, the file is rejected",
						  tp->name, line_of(kb), scalar(kb), line_of(ka));
		}
	}
	return 0;
}

/* Recursively checks every mapping in the document for duplicate keys
 * and for !include tags. depth bounds the recursion. */
static int check_tree(struct tp *tp, yaml_node_t *n, int depth, struct tl_err *err)
{
	if (!n) return 0;
	size_t idx = (size_t)(n - tp->doc->nodes.start);
	if (tp->seen[idx]) return 0;
	tp->seen[idx] = 1;
	if (has_include_tag(n))
		return tl_err_set(err,
				  "%s: line %lu: '!include' is not supported; inline the included file (e.g. the "
				  "shared header) into this TagPack",
				  tp->name, line_of(n));
	if (depth > 16) return tl_err_set(err, "%s: line %lu: nesting deeper than 16 levels", tp->name, line_of(n));
	if (n->type == YAML_MAPPING_NODE) {
		if (check_dup_keys(tp, n, err) < 0) return -1;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			if (check_tree(tp, yaml_document_get_node(tp->doc, p->key), depth + 1, err) < 0) return -1;
			if (check_tree(tp, yaml_document_get_node(tp->doc, p->value), depth + 1, err) < 0) return -1;
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			if (check_tree(tp, yaml_document_get_node(tp->doc, *it), depth + 1, err) < 0) return -1;
	}
	return 0;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

/* Adds key to the set. Returns 1 if new, 0 if already present, -1 OOM. */
static int set_add(struct tp *tp, char *key)
{
	if ((tp->n + 1) * 2 > tp->cap) {
		size_t nc = tp->cap ? tp->cap * 2 : 64;
		char **nk = calloc(nc, sizeof *nk);
		uint64_t *nh = calloc(nc, sizeof *nh);
		if (!nk || !nh) {
			free(nk);
			free(nh);
			return -1;
		}
		for (size_t i = 0; i < tp->cap; i++) {
			if (!tp->hashes[i]) continue;
			size_t j = tp->hashes[i] & (nc - 1);
			while (nh[j]) j = (j + 1) & (nc - 1);
			nh[j] = tp->hashes[i];
			nk[j] = tp->keys[i];
		}
		free(tp->keys);
		free(tp->hashes);
		tp->keys = nk;
		tp->hashes = nh;
		tp->cap = nc;
	}
	uint64_t h = fnv(key);
	size_t j = h & (tp->cap - 1);
	while (tp->hashes[j]) {
		if (tp->hashes[j] == h && strcmp(tp->keys[j], key) == 0) return 0;
		j = (j + 1) & (tp->cap - 1);
	}
	char *copy = strdup(key);
	if (!copy) return -1;
	tp->hashes[j] = h;
	tp->keys[j] = copy;
	tp->n++;
	return 1;
}

/* Copies s to dst (cap bytes) with surrounding white space removed.
 * Returns 1 if anything was trimmed. */
static int trim_copy(const char *s, char *dst, size_t cap)
{
	size_t n = strlen(s), a = 0, b = n;
	while (a < b && isspace((unsigned char)s[a])) a++;
	while (b > a && isspace((unsigned char)s[b - 1])) b--;
	size_t m = b - a < cap - 1 ? b - a : cap - 1;
	memcpy(dst, s + a, m);
	dst[m] = 0;
	return a > 0 || b < n;
}

static int process_tag(struct tp *tp, yaml_node_t *tag, tl_tag_cb cb, void *ctx, struct tl_err *err)
{
	struct tl_tag_report *rep = tp->rep;
	unsigned long line = line_of(tag);
	if (tag->type != YAML_MAPPING_NODE) {
		rep->skipped++;
		tl__tag_report_msg(rep, "line %lu: a tag must be a mapping", line);
		return 0;
	}
	yaml_node_t *v[F_COUNT];
	memcpy(v, tp->hdr, sizeof v);
	/* the tag's own values override the header */
	v[F_ADDRESS] = v[F_TX_HASH] = NULL;
	for (yaml_node_pair_t *p = tag->data.mapping.pairs.start; p < tag->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(tp->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(tp->doc, p->value);
		if (!k || !val || k->type != YAML_SCALAR_NODE) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: tag has a non-scalar key", line);
			return 0;
		}
		int fi = field_index(scalar(k));
		if (fi < 0) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: unknown tag field '%.40s'", line_of(k), scalar(k));
			return 0;
		}
		if (is_null(val)) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: tag field '%s' is null", line_of(k), field_names[fi]);
			return 0;
		}
		int want_seq = fi == F_CONCEPTS;
		if ((want_seq && val->type != YAML_SEQUENCE_NODE) || (!want_seq && val->type != YAML_SCALAR_NODE)) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: tag field '%s' must be a %s", line_of(k), field_names[fi],
					   want_seq ? "list" : "scalar");
			return 0;
		}
		v[fi] = val;
	}
	if (v[F_ADDRESS] && v[F_TX_HASH]) {
		rep->skipped++;
		tl__tag_report_msg(rep, "line %lu: tag has both address and tx_hash", line);
		return 0;
	}
	if (!v[F_ADDRESS] && !v[F_TX_HASH]) {
		rep->skipped++;
		tl__tag_report_msg(rep, "line %lu: tag has neither address nor tx_hash", line);
		return 0;
	}
	static const int mandatory[] = {F_LABEL, F_SOURCE, F_CURRENCY};
	for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
		if (!v[mandatory[i]]) {
			rep->skipped++;
			tl__tag_report_msg(rep,
					   "line %lu: mandatory tag field '%s' is missing (neither the tag nor the "
					   "header sets it)",
					   line, field_names[mandatory[i]]);
			return 0;
		}
	if (v[F_TX_HASH]) { /* transaction tags: not address attribution */
		rep->ignored++;
		return 0;
	}
	char addr[256];
	if (trim_copy(scalar(v[F_ADDRESS]), addr, sizeof addr))
		tl__tag_report_msg(rep, "line %lu: address '%.100s' had surrounding white space (trimmed)",
				   line_of(v[F_ADDRESS]), addr);
	if (!*addr || strlen(scalar(v[F_ADDRESS])) >= sizeof addr) {
		rep->skipped++;
		tl__tag_report_msg(rep, "line %lu: address empty or longer than 255 characters", line_of(v[F_ADDRESS]));
		return 0;
	}
	for (const char *s = addr; *s; s++)
		if (isspace((unsigned char)*s) || (unsigned char)*s < 0x20) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: address '%.100s' contains white space", line_of(v[F_ADDRESS]), addr);
			return 0;
		}
	int conf = -1;
	if (v[F_CONFIDENCE]) {
		const char *c = scalar(v[F_CONFIDENCE]);
		conf = tl_tagpack_confidence_level(c);
		if (conf < 0) {
			/* old TagPacks used a number 0..100 */
			char *end;
			long n = strtol(c, &end, 10);
			if (*c && !*end && n >= 0 && n <= 100 && isdigit((unsigned char)*c)) conf = (int)n;
		}
		if (conf < 0) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: confidence '%.40s' is not a confidence id (see confidence.csv)",
					   line_of(v[F_CONFIDENCE]), c);
			return 0;
		}
	}
	const char *cat;
	if (v[F_ABUSE])
		cat = tl_tag_category_from_concept(scalar(v[F_ABUSE]));
	else if (v[F_CATEGORY])
		cat = tl_tag_category_from_concept(scalar(v[F_CATEGORY]));
	else if (v[F_CONCEPTS] && v[F_CONCEPTS]->data.sequence.items.top > v[F_CONCEPTS]->data.sequence.items.start) {
		yaml_node_t *c0 = yaml_document_get_node(tp->doc, *v[F_CONCEPTS]->data.sequence.items.start);
		cat = c0 && c0->type == YAML_SCALAR_NODE ? tl_tag_category_from_concept(scalar(c0)) : "other";
	} else
		cat = "other";
	/* An address OFAC lists is sanctioned whatever concept the pack
	 * files it under (GraphSense's OFAC pack says "user"). */
	if (tl__source_is_ofac(scalar(v[F_SOURCE]))) cat = "sanctioned";
	const char *currency = scalar(v[F_CURRENCY]);
	const char *network = v[F_NETWORK] ? scalar(v[F_NETWORK]) : currency;
	char chainbuf[48];
	const char *chain = tl_tag_chain_from_ticker(network, chainbuf, sizeof chainbuf);

	/* duplicate check */
	const char *parts[] = {addr, currency, network, scalar(v[F_LABEL]), scalar(v[F_SOURCE])};
	size_t kl = 0;
	for (int i = 0; i < 5; i++) kl += strlen(parts[i]) + 1;
	char *key = malloc(kl + 1);
	if (!key) return tl_err_set(err, "%s: out of memory", tp->name);
	size_t o = 0;
	for (int i = 0; i < 5; i++) {
		for (const char *s = parts[i]; *s; s++) key[o++] = (char)tolower((unsigned char)*s);
		key[o++] = '\x1f';
	}
	key[o] = 0;
	int added = set_add(tp, key);
	free(key);
	if (added < 0) return tl_err_set(err, "%s: out of memory", tp->name);
	if (added == 0) {
		rep->duplicates++;
		return 0;
	}

	struct tl_tag t = {
		.chain = chain,
		.address = addr,
		.label = scalar(v[F_LABEL]),
		.category = cat,
		.source = scalar(v[F_SOURCE]),
		.confidence = conf,
		.entity = v[F_ACTOR] ? scalar(v[F_ACTOR]) : NULL,
		.notes = v[F_CONTEXT] ? scalar(v[F_CONTEXT]) : NULL,
		.ticker = currency,
		.line = line,
	};
	if (cb && cb(ctx, &t) != 0) return tl_err_set(err, "%s: line %lu: stopped by callback", tp->name, line);
	rep->records++;
	return 0;
}

/* Takes one header key/value. Returns 0 or -1 (file-level error). */
static int header_field(struct tp *tp, yaml_node_t *k, yaml_node_t *val, int *have_title, int *have_creator,
			struct tl_err *err)
{
	const char *key = scalar(k);
	int fi = field_index(key);
	if (fi == F_ADDRESS || fi == F_TX_HASH)
		return tl_err_set(err, "%s: line %lu: '%s' belongs in a tag, not in the header", tp->name, line_of(k), key);
	if (fi >= 0) {
		if (is_null(val))
			return tl_err_set(err, "%s: line %lu: header field '%s' is null", tp->name, line_of(k), key);
		int want_seq = fi == F_CONCEPTS;
		if ((want_seq && val->type != YAML_SEQUENCE_NODE) || (!want_seq && val->type != YAML_SCALAR_NODE))
			return tl_err_set(err, "%s: line %lu: header field '%s' must be a %s", tp->name, line_of(k), key,
					  want_seq ? "list" : "scalar");
		tp->hdr[fi] = val;
		return 0;
	}
	for (int i = 0; header_only[i]; i++)
		if (strcmp(key, header_only[i]) == 0) {
			if (strcmp(key, "title") == 0) *have_title = 1;
			if (strcmp(key, "creator") == 0) *have_creator = 1;
			return 0;
		}
	return tl_err_set(err, "%s: line %lu: unknown TagPack field '%.60s'", tp->name, line_of(k), key);
}

/* Most YAML nodes a TagPack may have (a real one has a few per tag). */
#define TAGPACK_MAX_NODES 4000000u
#define TAGPACK_MAX_DEPTH 16

/* Reads the file as a stream of events first, so that nesting, size and
 * aliases are checked while parsing: libyaml's document loader would
 * first build a tree of any depth (100,000 nested '[' take it tens of
 * seconds), and aliases let a small file stand for a huge tree. */
static int prescan(const char *buf, size_t len, const char *name, struct tl_err *err)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) return tl_err_set(err, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	int depth = 0, rc = 0;
	unsigned long nodes = 0;
	for (;;) {
		yaml_event_t e;
		if (!yaml_parser_parse(&p, &e)) {
			rc = tl_err_set(err, "%s: line %lu column %lu: YAML error: %s%s%s", name,
					(unsigned long)p.problem_mark.line + 1, (unsigned long)p.problem_mark.column + 1,
					p.problem ? p.problem : "malformed", p.context ? " " : "", p.context ? p.context : "");
			break;
		}
		unsigned long line = (unsigned long)e.start_mark.line + 1;
		yaml_event_type_t t = e.type;
		int anchored = (t == YAML_SCALAR_EVENT && e.data.scalar.anchor) ||
			       (t == YAML_SEQUENCE_START_EVENT && e.data.sequence_start.anchor) ||
			       (t == YAML_MAPPING_START_EVENT && e.data.mapping_start.anchor);
		yaml_event_delete(&e);
		if (t == YAML_STREAM_END_EVENT) break;
		if (t == YAML_ALIAS_EVENT || anchored) {
			rc = tl_err_set(err, "%s: line %lu: YAML anchors and aliases are not accepted in a TagPack", name, line);
			break;
		}
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > TAGPACK_MAX_DEPTH) {
				rc = tl_err_set(err, "%s: line %lu: nesting deeper than %d levels", name, line, TAGPACK_MAX_DEPTH);
				break;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		if ((t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) &&
		    ++nodes > TAGPACK_MAX_NODES) {
			rc = tl_err_set(err, "%s: line %lu: more than %u YAML nodes", name, line, TAGPACK_MAX_NODES);
			break;
		}
	}
	yaml_parser_delete(&p);
	return rc;
}

int tl__tags_parse_tagpack(const char *buf, size_t len, const char *name, tl_tag_cb cb, void *ctx,
			   struct tl_tag_report *rep, struct tl_err *err)
{
	if (memchr(buf, 0, len)) return tl_err_set(err, "%s: TagPack contains a NUL byte", name);
	if (prescan(buf, len, name, err) < 0) return -1;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) return tl_err_set(err, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		tl_err_set(err, "%s: line %lu column %lu: YAML error: %s%s%s", name,
			   (unsigned long)parser.problem_mark.line + 1, (unsigned long)parser.problem_mark.column + 1,
			   parser.problem ? parser.problem : "malformed", parser.context ? " " : "",
			   parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);

	struct tp tp = {.doc = &doc, .name = name, .rep = rep};
	int ret = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		ret = tl_err_set(err, "%s: empty YAML document (a TagPack needs title, creator and tags)", name);
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		ret = tl_err_set(err, "%s: line %lu: a TagPack must be a mapping of header fields and tags", name,
				 line_of(root));
		goto out;
	}
	tp.seen = calloc((size_t)(doc.nodes.top - doc.nodes.start) + 1, 1);
	if (!tp.seen) abort();
	if ((ret = check_tree(&tp, root, 0, err)) < 0) goto out;

	int have_title = 0, have_creator = 0;
	yaml_node_t *tags = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *val = yaml_document_get_node(&doc, p->value);
		if (!k || !val || k->type != YAML_SCALAR_NODE) {
			ret = tl_err_set(err, "%s: line %lu: non-scalar key in the header", name, line_of(root));
			goto out;
		}
		if (strcmp(scalar(k), "tags") == 0) {
			tags = val;
			continue;
		}
		if (strcmp(scalar(k), "header") == 0 && val->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *q = val->data.mapping.pairs.start; q < val->data.mapping.pairs.top; q++) {
				yaml_node_t *k2 = yaml_document_get_node(&doc, q->key);
				yaml_node_t *v2 = yaml_document_get_node(&doc, q->value);
				if (!k2 || !v2 || k2->type != YAML_SCALAR_NODE || strcmp(scalar(k2), "tags") == 0 ||
				    strcmp(scalar(k2), "header") == 0) {
					ret = tl_err_set(err, "%s: line %lu: bad key in 'header:'", name, line_of(val));
					goto out;
				}
				if ((ret = header_field(&tp, k2, v2, &have_title, &have_creator, err)) < 0) goto out;
			}
			continue;
		}
		if ((ret = header_field(&tp, k, val, &have_title, &have_creator, err)) < 0) goto out;
	}
	if (!have_title || !have_creator) {
		ret = tl_err_set(err, "%s: mandatory header field '%s' is missing", name, !have_title ? "title" : "creator");
		goto out;
	}
	if (!tags) {
		ret = tl_err_set(err, "%s: mandatory header field 'tags' is missing", name);
		goto out;
	}
	if (tags->type != YAML_SEQUENCE_NODE) {
		ret = tl_err_set(err, "%s: line %lu: 'tags' must be a list", name, line_of(tags));
		goto out;
	}
	/* An empty list is accepted: a pack with no tags yields nothing. */
	for (yaml_node_item_t *it = tags->data.sequence.items.start; it < tags->data.sequence.items.top; it++) {
		yaml_node_t *t = yaml_document_get_node(&doc, *it);
		if (!t) continue;
		if ((ret = process_tag(&tp, t, cb, ctx, err)) < 0) goto out;
	}
out:
	for (size_t i = 0; i < tp.cap; i++) free(tp.keys[i]);
	free(tp.keys);
	free(tp.hashes);
	free(tp.seen);
	yaml_document_delete(&doc);
	return ret;
}
