/* The tag formats users have beside taintline's own CSV: OFAC's legacy
 * sdn.csv (with sdn_comments.csv), plain address lists (text and JSON),
 * GraphSense's OFAC TagPack as "sanctioned"; UTF-8 checks; and what an
 * import reports (stored, updated, already present, duplicated, skipped,
 * per line), checked against the real files in the reference data and a
 * naive reading of them, and against the database's own contents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "store/store.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "intel/tags.h"

/* Records as sorted lines "entity\tlabel\tticker\taddress". */
struct lines {
	char **v;
	size_t n, cap;
	unsigned long sanctioned, bitcoin_bad;
	char chain[32];
};

static void lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		assert_non_null(l->v);
	}
	l->v[l->n++] = strdup(s);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int collect(void *ctx, const struct tl_tag *t)
{
	struct lines *l = ctx;
	char buf[1024];
	snprintf(buf, sizeof buf, "%s\t%s\t%s\t%s", t->entity ? t->entity : "", t->label, t->ticker ? t->ticker : "",
		 t->address);
	lines_add(l, buf);
	if (!strcmp(t->category, "sanctioned")) l->sanctioned++;
	snprintf(l->chain, sizeof l->chain, "%s", t->chain);
	/* never invalid text out */
	assert_true(tl_utf8_valid(t->label, strlen(t->label)));
	return 0;
}

static int has_msg(const struct tl_tag_report *rep, const char *a, const char *b)
{
	for (int i = 0; i < rep->nmsgs; i++)
		if (strstr(rep->msgs[i], a) && (!b || strstr(rep->msgs[i], b))) return 1;
	return 0;
}

/* The expected TSV's rows (ent_num, sdn_name, ticker, address), with
 * spans_files = "yes" rows only when with_spanning. */
static void expected_sdn(struct lines *exp, int with_spanning, const char *drop_addr)
{
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path("tag-formats/sdn.sample.expected.tsv"), &len);
	char *save = NULL;
	int first = 1;
	for (char *ln = strtok_r(b, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		if (first) {
			first = 0;
			continue;
		}
		char *f[5] = { 0 };
		char *p = ln;
		for (int i = 0; i < 5; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (!p) break;
			*p++ = 0;
		}
		assert_non_null(f[4]);
		if (!with_spanning && !strcmp(f[4], "yes")) continue;
		if (drop_addr && !strcmp(f[3], drop_addr)) continue;
		char row[1024];
		snprintf(row, sizeof row, "%s\t%s\t%s\t%s", f[0], f[1], f[2], f[3]);
		lines_add(exp, row);
	}
	free(b);
}

static void assert_same(struct lines *got, struct lines *exp)
{
	qsort(got->v, got->n, sizeof *got->v, cmp_str);
	qsort(exp->v, exp->n, sizeof *exp->v, cmp_str);
	for (size_t i = 0; i < got->n && i < exp->n; i++)
		if (strcmp(got->v[i], exp->v[i])) fail_msg("row %zu: got '%s', expected '%s'", i, got->v[i], exp->v[i]);
	assert_int_equal(got->n, exp->n);
}

#define BAD_ETH "0xa7e5d5a720f06526557c513402f2e6b5fa20b00"

/* sdn.csv with its comments file: every address of the independently
 * derived list, the 41-character ETH address refused with its line. */
static void test_sdn_with_comments(void **state)
{
	(void)state;
	/* tu_shared_path's buffer is reused by the next call */
	char *comments = strdup(tu_shared_path("tag-formats/sdn_comments.sample.csv"));
	struct tl_tag_opts o = { .confidence = -1, .comments_path = comments };
	struct lines got = { 0 }, exp = { 0 };
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file_opts(tu_shared_path("tag-formats/sdn.sample.csv"), TL_TAGFMT_AUTO, &o,
						 collect, &got, &rep, &err),
			 0);
	assert_int_equal(rep.format, TL_TAGFMT_SDN_CSV);
	expected_sdn(&exp, 1, BAD_ETH);
	assert_int_equal(exp.n, 94);
	assert_same(&got, &exp);
	assert_int_equal(got.sanctioned, got.n);
	assert_int_equal(rep.records, 94);
	assert_int_equal(rep.skipped, 1);
	assert_true(has_msg(&rep, "line 10:", BAD_ETH));
	lines_free(&got);
	lines_free(&exp);
	free(comments);
}

/* Without the comments file: the rows cut at 1000 characters are
 * reported (never a cut address such as 30518's "1Gq" imported), and
 * what comes before their last whole item still is. */
static void test_sdn_without_comments(void **state)
{
	(void)state;
	struct lines got = { 0 };
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file(tu_shared_path("tag-formats/sdn.sample.csv"), TL_TAGFMT_SDN_CSV, collect,
					    &got, &rep, &err),
			 0);
	const char *cut[] = { "ent_num 28263", "ent_num 28264", "ent_num 29703", "ent_num 30518" };
	for (int i = 0; i < 4; i++) assert_true(has_msg(&rep, cut[i], "cut at 1000"));
	assert_int_equal(rep.skipped, 5);
	for (size_t i = 0; i < got.n; i++) assert_null(strstr(got.v[i], "\t1Gq\n"));
	/* everything delivered is in the full list */
	struct lines exp = { 0 };
	expected_sdn(&exp, 1, NULL);
	qsort(exp.v, exp.n, sizeof *exp.v, cmp_str);
	for (size_t i = 0; i < got.n; i++)
		if (!bsearch(&got.v[i], exp.v, exp.n, sizeof *exp.v, cmp_str)) fail_msg("not expected: %s", got.v[i]);
	assert_true(got.n > 0 && got.n < 94);
	lines_free(&got);
	lines_free(&exp);
}

/* The file cut inside a quoted Remarks: a file-level error naming the
 * line; an import of it stores nothing. */
static void test_sdn_truncated(void **state)
{
	(void)state;
	struct lines got = { 0 };
	struct tl_tag_report rep;
	struct tl_err err;
	const char *path = tu_shared_path("tag-formats/sdn.truncated-row.broken.csv");
	assert_int_equal(tl_tags_parse_file(path, TL_TAGFMT_AUTO, collect, &got, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "line 4"));
	assert_non_null(strstr(err.msg, "unterminated"));
	for (size_t i = 0; i < got.n; i++) assert_null(strstr(got.v[i], "3Gbs4rjcV"));
	lines_free(&got);

	char *dir = tu_tmpdir("tagfmt_trunc");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s/db' --network main '%s' 2>&1", TL_BINARY, dir, path);
	char *out = NULL;
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "nothing was imported"));
	free(out);
	/* a good row of the file is not in the database */
	snprintf(cmd, sizeof cmd, "'%s' tags show --db '%s/db' 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h 2>&1", TL_BINARY, dir);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "no tags"));
	free(out);
	tu_rmrf(dir);
	free(dir);
}

/* Lines of a text list that are not blank (the naive count). */
static unsigned long count_lines(const char *rel)
{
	size_t len;
	char *b = (char *)tu_read_file(tu_shared_path(rel), &len);
	unsigned long n = 0;
	int any = 0;
	for (size_t i = 0; i < len; i++) {
		if (b[i] == '\n') {
			n += any;
			any = 0;
		} else if (b[i] != '\r' && b[i] != ' ') {
			any = 1;
		}
	}
	n += any;
	free(b);
	return n;
}

/* A plain list as text and as JSON: the same records; every line is a
 * record or a reported skip (the XBT lists carry a Tron address). */
static void check_list_pair(const char *txt, const char *json, const char *chain)
{
	struct tl_tag_opts o = { .label = "OFAC SDN", .category = "sanctioned", .source = "list", .chain = chain,
				 .confidence = 90 };
	struct lines a = { 0 }, b = { 0 };
	struct tl_tag_report ra, rb;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file_opts(tu_shared_path(txt), TL_TAGFMT_LIST, &o, collect, &a, &ra, &err), 0);
	assert_int_equal(tl_tags_parse_file_opts(tu_shared_path(json), TL_TAGFMT_LIST, &o, collect, &b, &rb, &err), 0);
	/* (count_lines reads txt again: tu_shared_path is called anew) */
	assert_int_equal(ra.records + ra.skipped, count_lines(txt));
	assert_int_equal(ra.records, rb.records);
	assert_int_equal(ra.skipped, rb.skipped);
	assert_true(ra.records > 0);
	assert_same(&a, &b);
	assert_string_equal(a.chain, chain);
	assert_int_equal(a.sanctioned, a.n);
	if (ra.skipped) assert_true(has_msg(&ra, "line ", "not a valid"));
	lines_free(&a);
	lines_free(&b);
}

static void test_lists(void **state)
{
	(void)state;
	check_list_pair("tag-formats/0xb10c/sanctioned_addresses_XBT.txt", "tag-formats/0xb10c/sanctioned_addresses_XBT.json",
			"bitcoin");
	check_list_pair("tag-formats/0xb10c/sanctioned_addresses_ETH.txt", "tag-formats/0xb10c/sanctioned_addresses_ETH.json",
			"ethereum");
	check_list_pair("tag-formats/brave-intl-lists/sanctioned_addresses_XBT.txt",
			"tag-formats/brave-intl-lists/sanctioned_addresses_XBT.json", "bitcoin");
	/* a list without its label is refused as a whole */
	struct tl_tag_opts none = { .confidence = -1 };
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer_opts("1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n", 35, TL_TAGFMT_LIST, "l", &none,
						   NULL, 0, NULL, NULL, &rep, &err),
			 -1);
	/* comments, blanks, CRLF and white space; a bad line named */
	struct tl_tag_opts o = { .label = "L", .category = "mixer", .source = "s", .chain = "bitcoin", .confidence = -1 };
	const char *txt = "# a list\r\n\r\n  1BoatSLRHtKNngkdXEeobR76b53LETtpyT \r\nnot-an-address\n\x1a";
	struct lines got = { 0 };
	assert_int_equal(tl_tags_parse_buffer_opts(txt, strlen(txt), TL_TAGFMT_LIST, "l", &o, NULL, 0, collect, &got,
						   &rep, &err),
			 0);
	assert_int_equal(rep.records, 1);
	assert_int_equal(rep.skipped, 1);
	assert_true(has_msg(&rep, "line 4:", NULL));
	lines_free(&got);
}

/* GraphSense's OFAC pack files its addresses under "user": they come out
 * sanctioned; a pack from another source keeps its own category. */
static void test_tagpack_ofac_sanctioned(void **state)
{
	(void)state;
	struct lines got = { 0 };
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file(tu_shared_path("tag-formats/tagpack/ofac.yaml"), TL_TAGFMT_AUTO, collect, &got,
					    &rep, &err),
			 0);
	assert_true(got.n > 500);
	assert_int_equal(got.sanctioned, got.n);
	lines_free(&got);
	assert_int_equal(tl_tags_parse_file(tu_shared_path("tag-formats/tagpack/tool-testfiles/ex_addr_tagpack.yaml"),
					    TL_TAGFMT_AUTO, collect, &got, &rep, &err),
			 0);
	assert_true(got.n > 0);
	assert_int_equal(got.sanctioned, 0);
	lines_free(&got);
}

/* UTF-8 decoder against hand-made vectors. */
static void test_utf8(void **state)
{
	(void)state;
	const char *good[] = { "", "abc", "Lazarus Group", "\xe6\x9d\x8e\xe5\xae\xb6\xe4\xb8\x9c", "\xd0\x96",
			       "\xf0\x9f\x98\x80", "\xef\xbf\xbd" };
	const char *bad[] = { "\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe6\x9d",
			      "a\x80", "\xf8\x88\x80\x80\x80" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) assert_true(tl_utf8_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_false(tl_utf8_valid(bad[i], strlen(bad[i])));
}

/* A CSV row whose label is not UTF-8 is refused with its line; the
 * others go through, a multi-byte label intact. */
static void test_csv_label_utf8(void **state)
{
	(void)state;
	const char *csv = "chain,address,label,category,source,confidence\n"
			  "bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,\xe6\x9d\x8e\xe5\xae\xb6\xe4\xb8\x9c,thief,s,50\n"
			  "bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Bad\xff label,thief,s,50\n";
	struct lines got = { 0 };
	struct tl_tag_report rep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_buffer(csv, strlen(csv), TL_TAGFMT_AUTO, "t", collect, &got, &rep, &err), 0);
	assert_int_equal(rep.records, 1);
	assert_int_equal(rep.skipped, 1);
	assert_true(has_msg(&rep, "line 3:", "UTF-8"));
	assert_non_null(strstr(got.v[0], "\xe6\x9d\x8e\xe5\xae\xb6\xe4\xb8\x9c"));
	lines_free(&got);
}

static uint64_t count_tags(struct tl_store *s)
{
	uint64_t n = 0;
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAG);
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) n++;
	tl_iter_free(it);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* What an import reports is what the database holds afterwards: stored
 * (new or changed), updated, already present, duplicated rows (exact
 * repeats and repeats of a tag with other values, each with its line). */
static void test_import_counts(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("tagfmt_counts");
	char dbp[2048], csv[2048];
	snprintf(dbp, sizeof dbp, "%s/db", dir);
	snprintf(csv, sizeof csv, "%s/t.csv", dir);
	struct tl_store_opts so = { .create = true, .net = tl_net_params(TL_NET_MAIN), .cache_mb = 8 };
	struct tl_store *s;
	struct tl_err err;
	if (tl_store_open(dbp, &so, &s, &err) < 0) fail_msg("open: %s", err.msg);

	/* 10,000 identical rows: one tag */
	FILE *f = fopen(csv, "w");
	assert_non_null(f);
	fputs("chain,address,label,category,source,confidence\n", f);
	for (int i = 0; i < 10000; i++) fputs("bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Boat,exchange,src,90\n", f);
	fclose(f);
	struct tl_tag_import_report rep;
	assert_int_equal(tl_tags_import(s, csv, TL_TAGFMT_CSV, &rep, &err), 0);
	assert_int_equal(rep.stored, 1);
	assert_int_equal(rep.existing, 0);
	assert_int_equal(rep.parse.duplicates, 9999);
	assert_int_equal(count_tags(s), 1);

	/* the same tag with two confidences, a new one, the old one again */
	write_file(csv, "chain,address,label,category,source,confidence\n"
			"bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Boat,exchange,src,90\n"
			"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Eth,sanctioned,src,60\n"
			"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Eth,sanctioned,src,70\n");
	assert_int_equal(tl_tags_import(s, csv, TL_TAGFMT_CSV, &rep, &err), 0);
	assert_int_equal(rep.stored, 1);
	assert_int_equal(rep.updated, 0);
	assert_int_equal(rep.existing, 1);
	assert_int_equal(rep.duplicates, 1);
	assert_true(has_msg(&rep.parse, "line 4:", "line 3"));
	assert_int_equal(rep.seen + rep.unseen + rep.other_chain, rep.stored + rep.existing);
	assert_int_equal(count_tags(s), 2);
	/* the later row won */
	struct tl_tag_import_report r2;
	write_file(csv, "chain,address,label,category,source,confidence\n"
			"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Eth,sanctioned,src,70\n");
	assert_int_equal(tl_tags_import(s, csv, TL_TAGFMT_CSV, &r2, &err), 0);
	assert_int_equal(r2.stored, 0);
	assert_int_equal(r2.existing, 1);
	/* a changed value: stored and counted as updated */
	write_file(csv, "chain,address,label,category,source,confidence\n"
			"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Eth,sanctioned,src,75\n");
	assert_int_equal(tl_tags_import(s, csv, TL_TAGFMT_CSV, &r2, &err), 0);
	assert_int_equal(r2.stored, 1);
	assert_int_equal(r2.updated, 1);
	assert_int_equal(count_tags(s), 2);
	tl_store_close(s);

	/* the CLI: --json is one JSON object with the same counts; a file
	 * with no tag at all exits 1 */
	char cmd[16384], *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s' --json", TL_BINARY, dbp, csv);
	assert_int_equal(tu_run(cmd, &out), 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	if (!j) fail_msg("not JSON (%s): %s", je.text, out);
	assert_int_equal(json_integer_value(json_object_get(j, "stored")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "existing")), 1);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	free(out);
	write_file(csv, "# nothing\n");
	snprintf(cmd, sizeof cmd,
		 "'%s' tags import --db '%s' '%s' --label L --category mixer --source s 2>&1", TL_BINARY, dbp, csv);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "no tag"));
	free(out);
	/* a list on the database's network by default */
	write_file(csv, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n");
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "1 tags stored"));
	assert_non_null(strstr(out, "1 on addresses not seen yet"));
	free(out);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	if (!tu_have_shared()) return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_csv_label_utf8),
		cmocka_unit_test(test_sdn_with_comments),
		cmocka_unit_test(test_sdn_without_comments),
		cmocka_unit_test(test_sdn_truncated),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_tagpack_ofac_sanctioned),
		cmocka_unit_test(test_import_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
