/* Tag file parsers against the reference samples (expected TSVs made by
 * an independent ElementTree parse), the documented broken files, and
 * hand-made CSV vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/testutil.h"
#include "intel/tags.h"

/* Collects records as TSV lines and a few per-record facts. */
struct coll {
	char *tsv; /* OFAC layout: entity, label, ref, type_ref, ticker, address */
	size_t len, cap;
	unsigned long n, n_bitcoin, n_ethereum, n_no_source, stop_after;
	char cats[8][16];
	int ncats;
	char last_addr[256], last_label[256], last_cat[32], last_chain[32], last_entity[64];
	int last_conf;
};

static void append(struct coll *c, const char *s)
{
	size_t n = strlen(s);
	if (c->len + n + 1 > c->cap) {
		c->cap = (c->len + n + 1) * 2;
		c->tsv = realloc(c->tsv, c->cap);
		assert_non_null(c->tsv);
	}
	memcpy(c->tsv + c->len, s, n + 1);
	c->len += n;
}

static int collect(void *ctx, const struct tl_tag *t)
{
	struct coll *c = ctx;
	char line[1024];
	snprintf(line, sizeof line, "%s\t%s\t%s\t%s\t%s\t%s\n", t->entity ? t->entity : "", t->label, t->ref ? t->ref : "",
		 t->type_ref ? t->type_ref : "", t->ticker ? t->ticker : "", t->address);
	append(c, line);
	c->n++;
	if (strcmp(t->chain, "bitcoin") == 0) c->n_bitcoin++;
	if (strcmp(t->chain, "ethereum") == 0) c->n_ethereum++;
	if (!t->source || !*t->source) c->n_no_source++;
	assert_true(tl_tag_category_valid(t->category));
	assert_true(t->confidence >= -1 && t->confidence <= 100);
	snprintf(c->last_addr, sizeof c->last_addr, "%s", t->address);
	snprintf(c->last_label, sizeof c->last_label, "%s", t->label);
	snprintf(c->last_cat, sizeof c->last_cat, "%s", t->category);
	snprintf(c->last_chain, sizeof c->last_chain, "%s", t->chain);
	snprintf(c->last_entity, sizeof c->last_entity, "%s", t->entity ? t->entity : "");
	c->last_conf = t->confidence;
	if (c->stop_after && c->n >= c->stop_after) return 1;
	return 0;
}

static int parse(const char *path, enum tl_tag_format fmt, struct coll *c, struct tl_tag_report *rep,
		 struct tl_err *err)
{
	memset(c, 0, sizeof *c);
	memset(err, 0, sizeof *err);
	return tl_tags_parse_file(path, fmt, collect, c, rep, err);
}

static int has_msg(const struct tl_tag_report *rep, const char *needle)
{
	for (int i = 0; i < rep->nmsgs; i++)
		if (strstr(rep->msgs[i], needle)) return 1;
	return 0;
}

/* The expected TSV without its header line. */
static char *expected_body(const char *rel)
{
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path(rel), &len);
	char *nl = strchr(b, '\n');
	assert_non_null(nl);
	char *body = strdup(nl + 1);
	free(b);
	return body;
}

static void check_xml_against(const char *xml, const char *tsv, unsigned long rows)
{
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path(xml), TL_TAGFMT_AUTO, &c, &rep, &err), 0);
	assert_int_equal(rep.format, TL_TAGFMT_OFAC_XML);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(rep.records, rows);
	char *exp = expected_body(tsv);
	assert_string_equal(c.tsv, exp);
	assert_int_equal(c.n_no_source, 0);
	free(exp);
	free(c.tsv);
}

static void test_ofac_sample(void **state)
{
	(void)state;
	check_xml_against("tag-formats/sdn_advanced.sample.xml", "tag-formats/sdn_advanced.sample.expected.tsv", 160);
}

static void test_ofac_crypto_parties(void **state)
{
	(void)state;
	check_xml_against("tag-formats/sdn_advanced.crypto-parties.xml",
			  "tag-formats/sdn_advanced.crypto-parties.expected.tsv", 761);
}

/* Every XBT row of the expected TSV must come out as chain bitcoin,
 * category sanctioned, with the date of issue in the source. */
static int check_xbt(void *ctx, const struct tl_tag *t)
{
	unsigned long *n = ctx;
	if (t->ticker && strcmp(t->ticker, "XBT") == 0) {
		assert_string_equal(t->chain, "bitcoin");
		(*n)++;
	}
	assert_string_equal(t->category, "sanctioned");
	assert_string_equal(t->source, "OFAC SDN 2025-11-19");
	return 0;
}

static void test_ofac_fields(void **state)
{
	(void)state;
	unsigned long n = 0;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file(tu_shared_path("tag-formats/sdn_advanced.sample.xml"), TL_TAGFMT_OFAC_XML,
					    check_xbt, &n, NULL, &err),
			 0);
	/* README: by ticker XBT 105 in the sample */
	assert_int_equal(n, 105);
}

static void test_ofac_missing_featuretype(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path("tag-formats/sdn_advanced.missing-featuretype.broken.xml"), TL_TAGFMT_AUTO,
			       &c, &rep, &err),
			 0);
	/* 105 Features use the deleted type: reported, not silently dropped;
	 * the other 55 crypto Features still import. */
	assert_int_equal(rep.skipped, 105);
	assert_int_equal(rep.records, 55);
	assert_int_equal(c.n_bitcoin, 0);
	assert_true(has_msg(&rep, "no FeatureType 'Digital Currency Address - XBT'"));
	assert_true(has_msg(&rep, "FeatureTypeID 344 is not defined"));
	free(c.tsv);
}

static void test_ofac_truncated(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path("tag-formats/sdn_advanced.truncated.broken.xml"), TL_TAGFMT_AUTO, &c, &rep,
			       &err),
			 -1);
	assert_non_null(strstr(err.msg, "XML parse error"));
	assert_non_null(strstr(err.msg, "line 2603")); /* the file has 2602 newlines: the cut is on line 2603 */
	/* the address cut in the middle never comes out */
	assert_null(c.tsv ? strstr(c.tsv, "3LbDu1rUXH\n") : NULL);
	free(c.tsv);
}

static void test_ofac_old_namespace(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path("tag-formats/sdn_advanced.2021-oldns.excerpt.xml"), TL_TAGFMT_AUTO, &c,
			       &rep, &err),
			 0);
	/* no crypto; FeatureTypes 8, 9, 10 and 25 are dangling (README 2.6) */
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.skipped, 4);
	assert_true(has_msg(&rep, "FeatureTypeID 25 is not defined"));
	free(c.tsv);
}

static void test_ofac_memory_and_garbage(void **state)
{
	(void)state;
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path("tag-formats/sdn_advanced.sample.xml"), &len);
	struct coll c = {0};
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(b, len, TL_TAGFMT_AUTO, "mem", collect, &c, &rep, &err), 0);
	assert_int_equal(rep.records, 160);
	free(c.tsv);
	/* every prefix at a coarse stride: an error or a clean parse, never a crash */
	for (size_t cut = 0; cut < len; cut += 9973) {
		memset(&c, 0, sizeof c);
		int rc = tl_tags_parse_buffer(b, cut, TL_TAGFMT_OFAC_XML, "cut", collect, &c, &rep, &err);
		assert_true(rc == -1);
		free(c.tsv);
	}
	free(b);
	const char *notofac = "<?xml version=\"1.0\"?><html><body/></html>";
	assert_int_equal(tl_tags_parse_buffer(notofac, strlen(notofac), TL_TAGFMT_OFAC_XML, "x", NULL, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not <Sanctions>"));
}

/* ---- TagPacks ---- */

/* The set of addresses of given parties in the OFAC expected TSV. */
static int tsv_has(const char *tsv, const char *fixed_ref, const char *addr)
{
	char needle[300];
	snprintf(needle, sizeof needle, "\t%s\n", addr);
	for (const char *p = strstr(tsv, needle); p; p = strstr(p + 1, needle)) {
		const char *ls = p;
		while (ls > tsv && ls[-1] != '\n') ls--;
		if (strncmp(ls, fixed_ref, strlen(fixed_ref)) == 0 && ls[strlen(fixed_ref)] == '\t') return 1;
	}
	return 0;
}

struct lz {
	char *ofac;
	int n, in_ofac;
};

static int lazarus_cb(void *ctx, const struct tl_tag *t)
{
	struct lz *z = ctx;
	z->n++;
	assert_string_equal(t->label, "Lazarus group");
	assert_string_equal(t->category, "sanctioned"); /* abuse: sanction */
	assert_string_equal(t->entity, "lazarusgroup");
	assert_string_equal(t->source,
			    "https://www.treasury.gov/resource-center/sanctions/OFAC-Enforcement/Pages/20200302.aspx");
	if (strcmp(t->ticker, "BTC") == 0) {
		assert_string_equal(t->chain, "bitcoin");
		/* independently: the same address is on Tian Yinyin or Li Jiadong in the 2025 XML */
		if (tsv_has(z->ofac, "28263", t->address) || tsv_has(z->ofac, "28264", t->address)) z->in_ofac++;
	} else {
		assert_string_equal(t->chain, "ethereum");
		if (tsv_has(z->ofac, "27307", t->address)) z->in_ofac++;
	}
	return 0;
}

static int conf_level_from_csv(const char *id)
{
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path("tag-formats/tagpack/confidence.csv"), &len);
	int level = -1;
	for (char *line = strtok(b, "\n"); line; line = strtok(NULL, "\n")) {
		char *comma = strchr(line, ',');
		if (comma && (size_t)(comma - line) == strlen(id) && strncmp(line, id, strlen(id)) == 0) {
			char *last = strrchr(line, ',');
			level = atoi(last + 1); /* atoi skips the leading space of " 5" */
		}
	}
	free(b);
	return level;
}

static void test_tagpack_lazarus(void **state)
{
	(void)state;
	struct lz z = {.ofac = expected_body("tag-formats/sdn_advanced.sample.expected.tsv")};
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file(tu_shared_path("tag-formats/tagpack/lazarus.yaml"), TL_TAGFMT_AUTO,
					    lazarus_cb, &z, &rep, &err),
			 0);
	assert_int_equal(rep.format, TL_TAGFMT_TAGPACK);
	assert_int_equal(z.n, 21);
	assert_int_equal(z.in_ofac, 21);
	free(z.ofac);
	/* confidence: authority_data -> its level in confidence.csv */
	struct coll c;
	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/lazarus.yaml"), TL_TAGFMT_TAGPACK, &c, &rep, &err), 0);
	assert_int_equal(c.last_conf, conf_level_from_csv("authority_data"));
	free(c.tsv);
}

static void test_tagpack_confidence_vocab(void **state)
{
	(void)state;
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path("tag-formats/tagpack/confidence.csv"), &len);
	int rows = 0;
	char *save = NULL;
	strtok_r(b, "\n", &save); /* header */
	for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[64];
		char *comma = strchr(line, ',');
		assert_non_null(comma);
		snprintf(id, sizeof id, "%.*s", (int)(comma - line), line);
		assert_int_equal(tl_tagpack_confidence_level(id), atoi(strrchr(line, ',') + 1));
		rows++;
	}
	assert_int_equal(rows, 14);
	assert_int_equal(tl_tagpack_confidence_level("nonsense"), -1);
	free(b);
}

/* Number of lines in a file that start with prefix (a naive count). */
static unsigned long count_lines(const char *rel, const char *prefix)
{
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path(rel), &len);
	unsigned long n = 0;
	size_t pl = strlen(prefix);
	for (char *p = b; p && *p;) {
		if (strncmp(p, prefix, pl) == 0) n++;
		p = strchr(p, '\n');
		if (p) p++;
	}
	free(b);
	return n;
}

static void test_tagpack_real_packs(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/ofac.yaml"), TL_TAGFMT_AUTO, &c, &rep, &err), 0);
	assert_int_equal(rep.records, count_lines("tag-formats/tagpack/ofac.yaml", "- address:"));
	assert_int_equal(rep.records, 572);
	assert_int_equal(c.n_bitcoin, count_lines("tag-formats/tagpack/ofac.yaml", "  currency: BTC"));
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tornado_cash.yaml"), TL_TAGFMT_AUTO, &c, &rep, &err), 0);
	/* 39 tags, 38 unique addresses: the trailing-space one repeats another */
	assert_int_equal(count_lines("tag-formats/tagpack/tornado_cash.yaml", "- address:"), 39);
	assert_int_equal(rep.records, 38);
	assert_int_equal(rep.duplicates, 1);
	assert_true(has_msg(&rep, "white space (trimmed)"));
	assert_null(strstr(c.tsv, " \n"));
	assert_int_equal(c.n_ethereum, 38);
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/aidecisions_ofac.excerpt.yaml"), TL_TAGFMT_AUTO, &c,
			       &rep, &err),
			 0);
	assert_int_equal(rep.records, 57);
	assert_string_equal(c.last_label, "LI, Jiadong"); /* per-tag label */
	assert_string_equal(c.last_cat, "sanctioned");   /* category: sanction */
	free(c.tsv);
}

static void test_tagpack_broken(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/lazarus.duplicate-key.broken.yaml"), TL_TAGFMT_AUTO,
			       &c, &rep, &err),
			 -1);
	assert_non_null(strstr(err.msg, "duplicate mapping key 'currency'"));
	assert_non_null(strstr(err.msg, "line "));
	assert_int_equal(rep.records, 0);
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/lazarus.missing-label.broken.yaml"), TL_TAGFMT_AUTO,
			       &c, &rep, &err),
			 0);
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.skipped, 21);
	assert_true(has_msg(&rep, "mandatory tag field 'label' is missing"));
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tool-testfiles/yaml_inclusion/2021/01/20210101.yaml"),
			       TL_TAGFMT_TAGPACK, &c, &rep, &err),
			 -1);
	assert_non_null(strstr(err.msg, "'!include' is not supported"));
	free(c.tsv);
}

static void test_tagpack_tool_files(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tool-testfiles/duplicate_tag.yaml"), TL_TAGFMT_AUTO, &c,
			       &rep, &err),
			 0);
	assert_int_equal(rep.records, 1);    /* sometag.info */
	assert_int_equal(rep.duplicates, 1); /* SomeTag.info, case-insensitive */
	assert_int_equal(rep.ignored, 1);    /* the tx_hash tag */
	assert_int_equal(c.last_conf, conf_level_from_csv("web_crawl"));
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tool-testfiles/empty_tag_list.yaml"), TL_TAGFMT_AUTO,
			       &c, &rep, &err),
			 0);
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.skipped, 0);
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tool-testfiles/multiple_tags_for_address.yaml"),
			       TL_TAGFMT_AUTO, &c, &rep, &err),
			 0);
	assert_int_equal(rep.records, 2);
	free(c.tsv);

	/* concepts: tag 1 overrides with [organization], tag 2 inherits [exchange] */
	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tool-testfiles/with_concepts.yaml"), TL_TAGFMT_AUTO, &c,
			       &rep, &err),
			 0);
	assert_int_equal(rep.records, 2);
	assert_string_equal(c.last_label, "othertag");
	assert_string_equal(c.last_cat, "exchange");
	free(c.tsv);
	c = (struct coll){.stop_after = 1};
	assert_int_equal(tl_tags_parse_file(tu_shared_path("tag-formats/tagpack/tool-testfiles/with_concepts.yaml"),
					    TL_TAGFMT_AUTO, collect, &c, &rep, &err),
			 -1);
	assert_non_null(strstr(err.msg, "stopped by callback"));
	assert_string_equal(c.last_cat, tl_tag_category_from_concept("organization"));
	free(c.tsv);

	assert_int_equal(parse(tu_shared_path("tag-formats/tagpack/tool-testfiles/ex_addr_tagpack.yaml"), TL_TAGFMT_AUTO,
			       &c, &rep, &err),
			 0);
	assert_int_equal(rep.records, 2);
	assert_string_equal(c.last_entity, "internet_archive");
	free(c.tsv);
}

static void test_tagpack_vectors(void **state)
{
	(void)state;
	struct tl_tag_report rep;
	struct tl_err err;
	struct coll c = {0};
	const char *bad_yaml = "title: x\ncreator: y\ntags:\n- address: [unclosed\n";
	assert_int_equal(tl_tags_parse_buffer(bad_yaml, strlen(bad_yaml), TL_TAGFMT_TAGPACK, "v", collect, &c, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "YAML error"));
	const char *no_title = "creator: y\ntags: []\n";
	assert_int_equal(tl_tags_parse_buffer(no_title, strlen(no_title), TL_TAGFMT_TAGPACK, "v", collect, &c, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "'title'"));
	const char *mixed = "title: t\ncreator: c\nsource: s\nlabel: L\ncurrency: BTC\nconfidence: bogus\ntags:\n"
			    "- address: a1\n- address: a2\n  confidence: forensic\n  category: mixing_service\n"
			    "- address: a3\n  currency: ~\n- address: a4\n  tx_hash: t\n";
	assert_int_equal(tl_tags_parse_buffer(mixed, strlen(mixed), TL_TAGFMT_TAGPACK, "v", collect, &c, &rep, &err), 0);
	assert_int_equal(rep.records, 1); /* a2 overrides the bad confidence */
	assert_string_equal(c.last_addr, "a2");
	assert_string_equal(c.last_cat, "mixer");
	assert_int_equal(c.last_conf, 50);
	assert_int_equal(rep.skipped, 3);
	assert_true(has_msg(&rep, "line 6: confidence 'bogus'"));
	assert_true(has_msg(&rep, "line 13: tag field 'currency' is null"));
	assert_true(has_msg(&rep, "both address and tx_hash"));
	free(c.tsv);
}

/* ---- CSV ---- */

static void test_csv_vectors(void **state)
{
	(void)state;
	const char *csv =
		"chain,address,label,category,source,confidence\r\n"
		"bitcoin,1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,\"Genesis, \"\"Satoshi\"\"\",other,https://example.org/a,100\r\n"
		"bitcoin,bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4,BIP173 vector,exchange,BIP173,\r\n"
		"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus Group,sanctioned,OFAC,60\r\n"
		"bitcoin,1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb,bad checksum,thief,src,\r\n"        /* line 5 */
		"bitcoin,tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx,testnet addr,thief,src,\r\n" /* line 6 */
		"bitcoin-testnet,tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx,testnet addr,thief,src,\r\n"
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,x,casino,src,\r\n"                  /* line 8 */
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,x,mixer,src,101\r\n"                /* line 9 */
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,x,mixer,,\r\n"                      /* line 10 */
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,x,mixer\r\n"                        /* line 11 */
		"\r\n"
		"Bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,x,mixer,s,\r\n"                     /* line 13 */
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,\"multi\nline\",bridge,s,-1\r\n"    /* line 14-15 */
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,\"multi\nline\",bridge,s,7\r\n"     /* line 16-17 */
		"bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,\"never closed,service,s,\r\n";     /* line 18 */
	struct coll c = {0};
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_detect(csv, strlen(csv)), TL_TAGFMT_CSV);
	assert_int_equal(tl_tags_parse_buffer(csv, strlen(csv), TL_TAGFMT_AUTO, "v.csv", collect, &c, &rep, &err), 0);
	assert_int_equal(rep.records, 5);
	assert_string_equal(c.tsv, "\tGenesis, \"Satoshi\"\t\t\t\t1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n"
				   "\tBIP173 vector\t\t\t\tbc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\n"
				   "\tLazarus Group\t\t\t\t0x098B716B8Aaf21512996dC57EB0615e2383E2f96\n"
				   "\ttestnet addr\t\t\t\ttb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx\n"
				   "\tmulti\nline\t\t\t\t3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy\n");
	assert_int_equal(c.last_conf, 7);
	assert_string_equal(c.last_cat, "bridge");
	assert_int_equal(rep.skipped, 9);
	assert_true(has_msg(&rep, "line 5: address '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb' is not a valid bitcoin address"));
	assert_true(has_msg(&rep, "line 6: address 'tb1q"));
	assert_true(has_msg(&rep, "line 8: category 'casino' unknown"));
	assert_true(has_msg(&rep, "line 9: confidence '101'"));
	assert_true(has_msg(&rep, "line 10: source is empty"));
	assert_true(has_msg(&rep, "line 11: 4 fields, expected 6"));
	assert_true(has_msg(&rep, "line 13: chain 'Bitcoin'"));
	assert_true(has_msg(&rep, "line 14: confidence '-1'"));
	assert_true(has_msg(&rep, "line 18: unterminated quoted field"));
	free(c.tsv);

	/* entity/notes columns */
	const char *ext = "chain,address,label,category,source,confidence,entity,notes\n"
			  "bitcoin,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,x,thief,s,,Lazarus,seen 2024\n";
	memset(&c, 0, sizeof c);
	assert_int_equal(tl_tags_parse_buffer(ext, strlen(ext), TL_TAGFMT_AUTO, "e.csv", collect, &c, &rep, &err), 0);
	assert_int_equal(rep.records, 1);
	assert_string_equal(c.last_entity, "Lazarus");
	free(c.tsv);

	const char *badhdr = "chain,address,label,category,source\nbitcoin,a,b,other,s\n";
	assert_int_equal(tl_tags_parse_buffer(badhdr, strlen(badhdr), TL_TAGFMT_CSV, "h.csv", collect, &c, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "line 1: CSV header must be exactly"));
	assert_int_equal(tl_tags_parse_buffer(badhdr, strlen(badhdr), TL_TAGFMT_AUTO, "h.csv", collect, &c, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "unknown tag file format"));
}

static void test_detect(void **state)
{
	(void)state;
	static const struct {
		const char *rel;
		enum tl_tag_format fmt;
	} v[] = {
		{"tag-formats/sdn_advanced.sample.xml", TL_TAGFMT_OFAC_XML},
		{"tag-formats/sdn_advanced.2021-oldns.excerpt.xml", TL_TAGFMT_OFAC_XML},
		{"tag-formats/tagpack/ofac.yaml", TL_TAGFMT_TAGPACK},
		{"tag-formats/tagpack/lazarus.missing-label.broken.yaml", TL_TAGFMT_TAGPACK},
		{"tag-formats/sdn.sample.csv", TL_TAGFMT_SDN_CSV}, /* OFAC's legacy sdn.csv */
		{"tag-formats/sdn_comments.sample.csv", TL_TAGFMT_SDN_CSV},
		{"tag-formats/sdn_advanced.xsd", TL_TAGFMT_AUTO},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t len;
		char *b = (char *)tu_read_file(tu_shared_path(v[i].rel), &len);
		assert_int_equal(tl_tags_detect(b, len), v[i].fmt);
		free(b);
	}
}

/* ---- the shipped data/tags/sanctioned.csv ---- */

static void test_shipped_sanctioned(void **state)
{
	(void)state;
	struct coll c;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(parse(TL_SOURCE_DIR "/data/tags/sanctioned.csv", TL_TAGFMT_AUTO, &c, &rep, &err), 0);
	assert_int_equal(rep.format, TL_TAGFMT_CSV);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(c.n_no_source, 0);
	/* counts from the research file, counted naively: BTC rows -> bitcoin, ETH rows -> ethereum */
	unsigned long btc = count_lines("heists/sanctioned-addresses.csv", "BTC,");
	unsigned long eth = count_lines("heists/sanctioned-addresses.csv", "ETH,");
	assert_int_equal(rep.records, btc + eth);
	assert_int_equal(c.n_bitcoin, btc);
	assert_int_equal(c.n_ethereum, eth);
	/* Tian Yinyin / Li Jiadong bitcoin addresses agree with the OFAC XML */
	char *ofac = expected_body("tag-formats/sdn_advanced.sample.expected.tsv");
	int tian_li = 0;
	for (char *line = strtok(c.tsv, "\n"); line; line = strtok(NULL, "\n")) {
		const char *addr = strrchr(line, '\t') + 1;
		if (strstr(line, "TIAN, Yinyin")) tian_li += tsv_has(ofac, "28263", addr);
		if (strstr(line, "LI, Jiadong")) tian_li += tsv_has(ofac, "28264", addr);
	}
	assert_int_equal(tian_li, 20);
	free(ofac);
	free(c.tsv);
}

static int count_only(void *ctx, const struct tl_tag *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

/* Regression (review): nested entities ("billion laughs") expanded a few
 * hundred bytes to gigabytes while XML_PARSE_HUGE was on. Ten levels of
 * tenfold expansion would be 10 GB; the parse must refuse it. */
static void test_ofac_entity_expansion(void **state)
{
	(void)state;
	char doc[8192];
	size_t n = (size_t)snprintf(doc, sizeof doc, "<?xml version=\"1.0\"?>\n<!DOCTYPE S [\n<!ENTITY e0 \"lol\">\n");
	for (int i = 1; i <= 10; i++) {
		n += (size_t)snprintf(doc + n, sizeof doc - n, "<!ENTITY e%d \"", i);
		for (int k = 0; k < 10; k++) n += (size_t)snprintf(doc + n, sizeof doc - n, "&e%d;", i - 1);
		n += (size_t)snprintf(doc + n, sizeof doc - n, "\">\n");
	}
	n += (size_t)snprintf(doc + n, sizeof doc - n,
			      "]>\n<Sanctions xmlns=\"https://sanctionslistservice.ofac.treas.gov/api/"
			      "PublicationPreview/exports/ADVANCED_XML\"><x>&e10;</x></Sanctions>\n");
	int count = 0;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(doc, n, TL_TAGFMT_OFAC_XML, "laughs.xml", count_only, &count, &rep, &err),
			 -1);
	assert_int_equal(count, 0);
}

/* The real OFAC file with one 100 KB internal entity referenced 20,000
 * times (2 GB expanded): refused at its DOCTYPE, before any expansion;
 * the same file without the DOCTYPE parses to its 160 records. */
static void test_ofac_doctype_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *x = tu_read_file(tu_shared_path_or_exit("tag-formats/sdn_advanced.sample.xml"), &len);
	assert_non_null(x);
	const char *root = strstr((const char *)x, "<Sanctions");
	assert_non_null(root);
	size_t pre = (size_t)(root - (const char *)x);
	size_t ent = 100000, refs = 20000;
	size_t cap = len + ent + refs * 8 + 256;
	char *doc = malloc(cap);
	size_t n = 0;
	memcpy(doc, x, pre);
	n = pre;
	n += (size_t)snprintf(doc + n, cap - n, "<!DOCTYPE Sanctions [<!ENTITY big \"");
	memset(doc + n, 'A', ent);
	n += ent;
	n += (size_t)snprintf(doc + n, cap - n, "\">]>\n");
	/* The references go into the first element's text. */
	const char *gt = strchr(root, '>');
	size_t head = (size_t)(gt + 1 - root);
	memcpy(doc + n, root, head);
	n += head;
	for (size_t i = 0; i < refs; i++) n += (size_t)snprintf(doc + n, cap - n, "&big;");
	memcpy(doc + n, gt + 1, len - pre - head);
	n += len - pre - head;
	int count = 0;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(doc, n, TL_TAGFMT_OFAC_XML, "bomb.xml", count_only, &count, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "DOCTYPE"));
	assert_int_equal(count, 0);
	count = 0;
	assert_int_equal(tl_tags_parse_buffer((const char *)x, len, TL_TAGFMT_OFAC_XML, "ok.xml", count_only, &count, &rep,
					      &err),
			 0);
	assert_int_equal(count, 160);
	free(doc);
	free(x);
}

/* An address over the text cap is skipped and said so; the other 159
 * records of the real sample are read. */
static void test_ofac_long_text_reported(void **state)
{
	(void)state;
	size_t len;
	uint8_t *x = tu_read_file(tu_shared_path_or_exit("tag-formats/sdn_advanced.sample.xml"), &len);
	const char *addr = "149w62rY42aZBox8fGcmqNsXUzSStKeq8C"; /* first row of the expected TSV */
	char *at = strstr((char *)x, addr);
	assert_non_null(at);
	size_t pre = (size_t)(at - (char *)x), al = strlen(addr), big = 5000;
	char *doc = malloc(len + big);
	memcpy(doc, x, pre);
	memset(doc + pre, 'z', big);
	memcpy(doc + pre + big, at + al, len - pre - al);
	int count = 0;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(doc, len - al + big, TL_TAGFMT_OFAC_XML, "long.xml", count_only, &count,
					      &rep, &err),
			 0);
	assert_int_equal(count, 159);
	assert_int_equal(rep.skipped, 1);
	assert_true(rep.nmsgs >= 1);
	assert_non_null(strstr(rep.msgs[0], "bytes"));
	free(doc);
	free(x);
}

/* `tags import` of a file with an unreadable row stores the others and
 * exits 1 naming the row; a clean file exits 0. */
static void test_import_exit_status(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("tags_exit");
	char path[4096], cmd[8192];
	snprintf(path, sizeof path, "%s/t.csv", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("chain,address,label,category,source,confidence\n"
	      "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus Group,sanctioned,OFAC,60\n"
	      "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f97,Bad,sanctioned,OFAC,140\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s/db' --network regtest '%s' 2>&1", TL_BINARY, dir, path);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "1 tags stored"));
	assert_non_null(strstr(out, "line 3"));
	assert_non_null(strstr(out, "could not be read"));
	free(out);
	f = fopen(path, "w");
	fputs("chain,address,label,category,source,confidence\n"
	      "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus Group,sanctioned,OFAC,60\n",
	      f);
	fclose(f);
	assert_int_equal(tu_run(cmd, NULL), 0);
	tu_rmrf(dir);
	free(dir);
}

/* A NUL inside a row skips that row (never a label cut at the NUL); an
 * unterminated quote counts every line it swallowed. */
static void test_csv_nul_and_open_quote(void **state)
{
	(void)state;
	static const char h[] = "chain,address,label,category,source,confidence\n";
	static const char ok[] = "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus,sanctioned,OFAC,60\n";
	char doc[1024];
	size_t n = 0;
	memcpy(doc + n, h, sizeof h - 1);
	n += sizeof h - 1;
	memcpy(doc + n, ok, sizeof ok - 1);
	n += sizeof ok - 1;
	static const char nul[] = "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f97,Laz\0arus,sanctioned,OFAC,60\n";
	memcpy(doc + n, nul, sizeof nul - 1);
	n += sizeof nul - 1;
	int count = 0;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(doc, n, TL_TAGFMT_CSV, "nul.csv", count_only, &count, &rep, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(rep.skipped, 1);
	assert_non_null(strstr(rep.msgs[0], "line 3"));
	assert_non_null(strstr(rep.msgs[0], "NUL"));
	/* An open quote on line 3 swallows lines 3..6. */
	n = (size_t)snprintf(doc, sizeof doc, "%s%sethereum,\"0xabc,L,sanctioned,OFAC,1\n%s%s%s", h, ok, ok, ok, ok);
	count = 0;
	assert_int_equal(tl_tags_parse_buffer(doc, n, TL_TAGFMT_CSV, "q.csv", count_only, &count, &rep, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(rep.skipped, 4);
	assert_non_null(strstr(rep.msgs[0], "4 lines"));
}

/* 10,000 identical rows: one record, 9,999 duplicates naming the line
 * they repeat; a row differing in one field is its own record. */
static void test_csv_duplicates_counted(void **state)
{
	(void)state;
	static const char h[] = "chain,address,label,category,source,confidence\n";
	static const char row[] = "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus,sanctioned,OFAC,60\n";
	static const char other[] = "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus,sanctioned,OFAC,61\n";
	size_t cap = sizeof h + 10001 * sizeof row;
	char *doc = malloc(cap);
	size_t n = 0;
	memcpy(doc, h, sizeof h - 1);
	n = sizeof h - 1;
	for (int i = 0; i < 10000; i++) {
		memcpy(doc + n, row, sizeof row - 1);
		n += sizeof row - 1;
	}
	memcpy(doc + n, other, sizeof other - 1);
	n += sizeof other - 1;
	int count = 0;
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(doc, n, TL_TAGFMT_CSV, "dup.csv", count_only, &count, &rep, &err), 0);
	assert_int_equal(count, 2);
	assert_int_equal(rep.records, 2);
	assert_int_equal(rep.duplicates, 9999);
	assert_int_equal(rep.skipped, 0);
	assert_non_null(strstr(rep.msgs[0], "line 3: the same tag as line 2"));
	free(doc);
}

/* 100,000 nested '[' are refused at the seventeenth, while parsing. */
static void test_tagpack_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000;
	char *doc = malloc(depth + 64);
	size_t n = (size_t)snprintf(doc, 64, "title: t\ncreator: c\ntags: ");
	memset(doc + n, '[', depth);
	n += depth;
	struct tl_tag_report rep;
	struct tl_err err;
	int count = 0;
	assert_int_equal(tl_tags_parse_buffer(doc, n, TL_TAGFMT_TAGPACK, "deep.yaml", count_only, &count, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "nesting deeper than 16"));
	assert_non_null(strstr(err.msg, "line 3"));
	free(doc);
}

/* YAML aliases point at existing nodes, so each level of ten aliases
 * multiplied the validation walk by ten (twelve levels: hours). TagPacks
 * have no use for them: refused while parsing. */
static void test_tagpack_alias_expansion(void **state)
{
	(void)state;
	char doc[8192];
	size_t n = (size_t)snprintf(doc, sizeof doc, "title: t\ncreator: c\nx0: &a0 [1]\n");
	for (int i = 1; i <= 12; i++) {
		n += (size_t)snprintf(doc + n, sizeof doc - n, "x%d: &a%d [", i, i);
		for (int k = 0; k < 10; k++) n += (size_t)snprintf(doc + n, sizeof doc - n, "%s*a%d", k ? ", " : "", i - 1);
		n += (size_t)snprintf(doc + n, sizeof doc - n, "]\n");
	}
	n += (size_t)snprintf(doc + n, sizeof doc - n, "tags: []\n");
	int count = 0;
	struct tl_tag_report rep;
	struct tl_err err;
	int rc = tl_tags_parse_buffer(doc, n, TL_TAGFMT_TAGPACK, "aliases.yaml", count_only, &count, &rep, &err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "anchors and aliases"));
	assert_non_null(strstr(err.msg, "line 3"));
	assert_int_equal(count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ofac_entity_expansion),
		cmocka_unit_test(test_tagpack_alias_expansion),
		cmocka_unit_test(test_ofac_doctype_refused),
		cmocka_unit_test(test_ofac_long_text_reported),
		cmocka_unit_test(test_tagpack_deep_nesting),
		cmocka_unit_test(test_import_exit_status),
		cmocka_unit_test(test_csv_nul_and_open_quote),
		cmocka_unit_test(test_csv_duplicates_counted),
		cmocka_unit_test(test_csv_vectors),
		cmocka_unit_test(test_ofac_sample),
		cmocka_unit_test(test_ofac_crypto_parties),
		cmocka_unit_test(test_ofac_fields),
		cmocka_unit_test(test_ofac_missing_featuretype),
		cmocka_unit_test(test_ofac_truncated),
		cmocka_unit_test(test_ofac_old_namespace),
		cmocka_unit_test(test_ofac_memory_and_garbage),
		cmocka_unit_test(test_tagpack_lazarus),
		cmocka_unit_test(test_tagpack_confidence_vocab),
		cmocka_unit_test(test_tagpack_real_packs),
		cmocka_unit_test(test_tagpack_broken),
		cmocka_unit_test(test_tagpack_tool_files),
		cmocka_unit_test(test_tagpack_vectors),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_shipped_sanctioned),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
