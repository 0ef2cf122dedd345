/* Tags and heists in the database: each import format with the reference
 * samples (OFAC XML, TagPack, CSV), broken rows and broken files, re-import
 * idempotence, the shipped registry and sanctioned list, lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "intel/registry.h"
#include "intel/tags.h"

static char *g_dir;

static struct tl_store *open_db(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	struct tl_store_opts so = { .create = true, .net = tl_net_params(TL_NET_MAIN), .cache_mb = 8 };
	struct tl_store *s;
	struct tl_err err;
	if (tl_store_open(path, &so, &s, &err) < 0) fail_msg("open: %s", err.msg);
	return s;
}

static uint64_t count_cf(struct tl_store *s, enum tl_cf cf)
{
	uint64_t n = 0;
	struct tl_iter *it = tl_iter_new(s, cf);
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) n++;
	tl_iter_free(it);
	return n;
}

/* Independent count: records a parse delivers (what an import stores,
 * minus duplicates of (address, label, category, source)). */
static int count_cb(void *ctx, const struct tl_tag *t)
{
	(void)t;
	(*(unsigned long *)ctx)++;
	return 0;
}

static void import_sample(const char *rel, enum tl_tag_format fmt, const char *dbname)
{
	const char *path = tu_shared_path(rel);
	unsigned long parsed = 0;
	struct tl_tag_report prep;
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file(path, fmt, count_cb, &parsed, &prep, &err), 0);
	struct tl_store *s = open_db(dbname);
	struct tl_tag_import_report rep;
	if (tl_tags_import(s, path, fmt, &rep, &err) < 0) fail_msg("%s: %s", rel, err.msg);
	assert_int_equal(rep.parse.records, parsed);
	/* every record delivered is a distinct tag stored, a repeat of one
	 * (same address, label, category, source) or a bad address */
	assert_int_equal(rep.stored + rep.duplicates, parsed - rep.bad_address);
	assert_int_equal(rep.existing, 0);
	assert_int_equal(rep.seen + rep.unseen + rep.other_chain, rep.stored);
	uint64_t n1 = count_cf(s, TL_CF_TAG);
	/* the count is what the database holds */
	assert_int_equal(n1, rep.stored);
	/* again: nothing new */
	unsigned long first = rep.stored;
	assert_int_equal(tl_tags_import(s, path, fmt, &rep, &err), 0);
	assert_int_equal(rep.stored, 0);
	assert_int_equal(rep.existing, first);
	assert_int_equal(count_cf(s, TL_CF_TAG), n1);
	tl_store_close(s);
}

static void test_ofac_xml(void **st)
{
	(void)st;
	import_sample("tag-formats/sdn_advanced.sample.xml", TL_TAGFMT_OFAC_XML, "ofac");
}

static void test_tagpack(void **st)
{
	(void)st;
	import_sample("tag-formats/tagpack/lazarus.yaml", TL_TAGFMT_AUTO, "tagpack");
}

/* A mainnet address from the OFAC sample must be found by address. */
static int first_btc(void *ctx, const struct tl_tag *t)
{
	char *out = ctx;
	if (!out[0] && !strcmp(t->chain, "bitcoin")) snprintf(out, 128, "%s", t->address);
	return 0;
}

static int collect_label(void *ctx, const struct tl_tag_rec *t)
{
	(*(int *)ctx)++;
	assert_non_null(t->label);
	assert_string_equal(t->chain, "bitcoin");
	return 0;
}

static void test_lookup_unseen(void **st)
{
	(void)st;
	const char *path = tu_shared_path("tag-formats/sdn_advanced.sample.xml");
	char addr[128] = "";
	struct tl_err err;
	assert_int_equal(tl_tags_parse_file(path, TL_TAGFMT_OFAC_XML, first_btc, addr, NULL, &err), 0);
	/* The data is present (tu_shared_path skips otherwise): a parser that
	 * stops yielding bitcoin tags must fail here, not skip. */
	assert_true(addr[0] != '\0');
	struct tl_store *s = open_db("lookup");
	struct tl_tag_import_report rep;
	assert_int_equal(tl_tags_import(s, path, TL_TAGFMT_OFAC_XML, &rep, &err), 0);
	assert_true(rep.unseen > 0); /* the index is empty: all bitcoin tags wait for their address */
	int n = 0;
	assert_true(tl_tags_of_address(s, NULL, addr, collect_label, &n, &err) >= 1);
	assert_true(n >= 1);
	n = 0;
	assert_int_equal(tl_tags_of_address(s, NULL, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", collect_label, &n, &err), 0);
	assert_int_equal(tl_tags_of_address(s, NULL, "not-an-address", NULL, NULL, &err), -1);
	tl_store_close(s);
}

static void test_broken(void **st)
{
	(void)st;
	struct tl_store *s = open_db("broken");
	struct tl_tag_import_report rep;
	struct tl_err err;
	/* a truncated OFAC file fails as a whole and writes nothing */
	assert_int_equal(tl_tags_import(s, tu_shared_path("tag-formats/sdn_advanced.truncated.broken.xml"),
					TL_TAGFMT_AUTO, &rep, &err), -1);
	assert_int_equal(count_cf(s, TL_CF_TAG), 0);
	assert_int_equal(tl_tags_import(s, tu_shared_path("tag-formats/tagpack/lazarus.missing-label.broken.yaml"),
					TL_TAGFMT_AUTO, &rep, &err) == 0 ? (int)rep.parse.skipped > 0 : 1, 1);
	/* CSV with bad rows: skipped with their line numbers, the rest stored */
	char path[512];
	snprintf(path, sizeof path, "%s/bad.csv", g_dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "chain,address,label,category,source,confidence\n"
		   "bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Good,exchange,src,90\n"
		   "bitcoin,1BoatSLRHtKNngkdXEeobR76b53LETtpyT,Bad,exchange,src,140\n"
		   "bitcoin,1NotAnAddressAtAll,Bad2,exchange,src,50\n"
		   "ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Eth,sanctioned,src,\n");
	fclose(f);
	uint64_t before = count_cf(s, TL_CF_TAG);
	assert_int_equal(tl_tags_import(s, path, TL_TAGFMT_CSV, &rep, &err), 0);
	assert_int_equal(rep.parse.skipped, 2);
	assert_int_equal(rep.stored, 2);
	assert_int_equal(rep.other_chain, 1);
	int l3 = 0, l4 = 0;
	for (int i = 0; i < rep.parse.nmsgs; i++) {
		l3 |= strstr(rep.parse.msgs[i], "line 3") != NULL;
		l4 |= strstr(rep.parse.msgs[i], "line 4") != NULL;
	}
	assert_true(l3 && l4);
	assert_int_equal(count_cf(s, TL_CF_TAG), before + 2);
	int n = 0;
	assert_int_equal(tl_tags_of_address(s, "ethereum", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", NULL, NULL, &err), 1);
	(void)n;
	/* a missing file */
	assert_int_equal(tl_tags_import(s, "/nonexistent/tags.csv", TL_TAGFMT_AUTO, &rep, &err), -1);
	tl_store_close(s);
}

static void test_shipped(void **st)
{
	(void)st;
	struct tl_store *s = open_db("shipped");
	struct tl_err err;
	struct tl_tag_import_report rep;
	if (tl_tags_import(s, TL_SOURCE_DIR "/data/tags/sanctioned.csv", TL_TAGFMT_AUTO, &rep, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rep.parse.skipped, 0);
	assert_true(rep.stored > 0);
	/* registry: numbers dense from 1, stable on re-import */
	struct tl_registry *reg;
	assert_int_equal(tl_registry_load(TL_SOURCE_DIR "/data/heists/dprk.json", &reg, &err), 0);
	struct tl_heist_import_report hr;
	if (tl_heists_import(s, TL_SOURCE_DIR "/data/heists/dprk.json", &hr, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(hr.added, reg->n);
	assert_int_equal(tl_heists_list(s, NULL, NULL, &err), (int)reg->n);
	uint32_t *nums = calloc(reg->n, sizeof *nums);
	for (size_t i = 0; i < reg->n; i++) {
		struct tl_heist_info h;
		assert_int_equal(tl_heist_get(s, reg->heists[i].id, &h, &err), 1);
		assert_true(h.num >= 1 && h.num <= reg->n);
		/* mainnet database: traceable exactly when the registry says so for bitcoin */
		assert_int_equal(h.traceable, reg->heists[i].traceable && reg->heists[i].net == tl_net_params(TL_NET_MAIN));
		struct tl_registry *one;
		assert_int_equal(tl_heist_parse(&h, &one, &err), 0);
		assert_string_equal(one->heists[0].name, reg->heists[i].name);
		assert_int_equal(one->heists[0].nsources, reg->heists[i].nsources);
		tl_registry_free(one);
		struct tl_heist_info h2;
		assert_int_equal(tl_heist_get_num(s, h.num, &h2, &err), 1);
		assert_string_equal(h2.id, h.id);
		free(h2.json);
		for (size_t j = 0; j < i; j++) assert_int_not_equal(nums[j], h.num);
		nums[i] = h.num;
		free(h.json);
	}
	assert_int_equal(tl_heists_import(s, TL_SOURCE_DIR "/data/heists/dprk.json", &hr, &err), 0);
	assert_int_equal(hr.added, 0);
	assert_int_equal(hr.updated, reg->n);
	for (size_t i = 0; i < reg->n; i++) {
		struct tl_heist_info h;
		assert_int_equal(tl_heist_get(s, reg->heists[i].id, &h, &err), 1);
		assert_int_equal(h.num, nums[i]);
		free(h.json);
	}
	struct tl_heist_info h;
	assert_int_equal(tl_heist_get(s, "no-such-heist", &h, &err), 0);
	free(nums);
	tl_registry_free(reg);
	/* a broken registry writes nothing */
	char path[512];
	snprintf(path, sizeof path, "%s/bad.json", g_dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"heists\": [{\"id\": \"x\", \"name\": \"x\"}]}");
	fclose(f);
	uint64_t n = count_cf(s, TL_CF_HEIST);
	assert_int_equal(tl_heists_import(s, path, &hr, &err), -1);
	assert_int_equal(count_cf(s, TL_CF_HEIST), n);
	tl_store_close(s);
}

static int setup(void **st)
{
	(void)st;
	g_dir = tu_tmpdir("entities");
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	tu_rmrf(g_dir);
	free(g_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_ofac_xml),
		cmocka_unit_test(test_tagpack),
		cmocka_unit_test(test_lookup_unseen),
		cmocka_unit_test(test_broken),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
