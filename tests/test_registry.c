/* Heist registry: hand-made vectors for every validation rule, and the
 * shipped data/heists/dprk.json checked against the research file it was
 * built from (no invented facts, every heist sourced). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/testutil.h"
#include "intel/registry.h"

static int parse(const char *json, struct tl_registry **reg, struct tl_err *err)
{
	memset(err, 0, sizeof *err);
	return tl_registry_parse(json, strlen(json), "t.json", reg, err);
}

#define HEAD "{\"heists\":[{\"id\":\"x\",\"name\":\"X\",\"date\":\"2024-05-31\",\"chain\":\"bitcoin\"," \
	     "\"attribution\":{\"authority\":\"FBI\",\"document\":\"PSA\",\"url\":\"https://example.org/psa\"},"

static void test_good(void **state)
{
	(void)state;
	struct tl_registry *reg;
	struct tl_err err;
	const char *j = HEAD "\"seeds\":["
			     "{\"txid\":\"975EC405AC9DC9FA5AB8009D94D6A1FE31DFF8A8127EA90D023104E52754E4D7\"},"
			     "{\"txid\":\"975ec405ac9dc9fa5ab8009d94d6a1fe31dff8a8127ea90d023104e52754e4d7\",\"vout\":1},"
			     "{\"address\":\"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\",\"from\":\"2024-05-30\","
			     "\"until\":\"2024-06-02\",\"source\":\"BIP173\"}],"
			     "\"actor\":\"TraderTraitor\",\"sources\":[\"https://a.example\",{\"url\":\"https://b.example\",\"title\":\"B\"}],"
			     "\"amounts\":[{\"asset\":\"BTC\",\"amount\":4502.9},{\"asset\":\"USD\",\"amount\":308000000},"
			     "{\"asset\":\"JPY\",\"amount\":\"48200000000\"}],\"extra\":{\"anything\":[1,2]}},"
			     "{\"id\":\"eth-1\",\"name\":\"E\",\"date\":\"2022-11\",\"chain\":\"ethereum\","
			     "\"attribution\":{\"authority\":\"A\",\"document\":\"D\"},"
			     "\"seeds\":[{\"txid\":\"0xc28fad5e8d5e0ce6a2eaf67b6687be5d58113e16be590824d6cfa1a94467d0b7\"},"
			     "{\"address\":\"0x098B716B8Aaf21512996dC57EB0615e2383E2f96\"}]}]}";
	assert_int_equal(parse(j, &reg, &err), 0);
	assert_int_equal(reg->n, 2);
	const struct tl_heist *h = tl_registry_find(reg, "x");
	assert_non_null(h);
	assert_true(h->traceable);
	assert_ptr_equal(h->net, tl_net_params(TL_NET_MAIN));
	assert_int_equal(h->nseeds, 3);
	assert_int_equal(h->seeds[0].kind, TL_SEED_TX);
	assert_string_equal(h->seeds[0].txid_hex, "975ec405ac9dc9fa5ab8009d94d6a1fe31dff8a8127ea90d023104e52754e4d7");
	/* internal byte order is the reverse of the displayed hex */
	assert_int_equal(h->seeds[0].txid[0], 0xd7);
	assert_int_equal(h->seeds[0].txid[31], 0x97);
	assert_int_equal(h->seeds[1].kind, TL_SEED_OUTPUT);
	assert_int_equal(h->seeds[1].vout, 1);
	assert_memory_equal(h->seeds[0].txid, h->seeds[1].txid, 32);
	assert_int_equal(h->seeds[2].kind, TL_SEED_ADDRESS);
	/* BIP173: P2WPKH of 751e76e8199196d454941c45d1b3a323f1433bd6 */
	static const uint8_t spk[22] = {0x00, 0x14, 0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4, 0x54,
					0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1, 0x43, 0x3b, 0xd6};
	assert_int_equal(h->seeds[2].script_len, 22);
	assert_memory_equal(h->seeds[2].script, spk, 22);
	assert_string_equal(h->seeds[2].from, "2024-05-30");
	assert_string_equal(h->seeds[2].until, "2024-06-02");
	assert_string_equal(h->seeds[2].source, "BIP173");
	assert_string_equal(h->attribution.url, "https://example.org/psa");
	assert_string_equal(h->actor, "TraderTraitor");
	assert_int_equal(h->nsources, 2);
	assert_string_equal(h->sources[1], "https://b.example");
	assert_int_equal(h->namounts, 3);
	assert_string_equal(h->amounts[0].amount, "4502.9");
	assert_string_equal(h->amounts[1].amount, "308000000");
	assert_string_equal(h->amounts[2].amount, "48200000000");
	const struct tl_heist *e = tl_registry_find(reg, "eth-1");
	assert_non_null(e);
	assert_false(e->traceable);
	assert_null(e->net);
	assert_null(e->attribution.url);
	assert_int_equal(e->nseeds, 2);
	assert_string_equal(e->date, "2022-11");
	assert_null(tl_registry_find(reg, "nope"));
	tl_registry_free(reg);
}

static void expect_error(const char *json, const char *msg)
{
	struct tl_registry *reg = (struct tl_registry *)1;
	struct tl_err err;
	assert_int_equal(parse(json, &reg, &err), -1);
	assert_null(reg);
	if (!strstr(err.msg, msg)) {
		fprintf(stderr, "expected '%s' in '%s'\n", msg, err.msg);
		fail();
	}
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(HEAD "\"seeds\":[{\"txid\":\"975ec405ac9dc9fa5ab8009d94d6a1fe31dff8a8127ea90d023104e52754e4d7\"},"
			  "{\"address\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\"},{\"txid\":\"abc\"}]}]}",
		     "t.json: heist 'x': seeds[2].txid: not 64 hex digits");
	expect_error(HEAD "\"seeds\":[{\"txid\":\"975ec405ac9dc9fa5ab8009d94d6a1fe31dff8a8127ea90d023104e52754e4dg\"}]}]}",
		     "heist 'x': seeds[0].txid: not 64 hex digits");
	expect_error(HEAD "\"seeds\":[{\"txid\":\"975ec405ac9dc9fa5ab8009d94d6a1fe31dff8a8127ea90d023104e52754e4d7\",\"vout\":-1}]}]}",
		     "seeds[0].vout: not an integer");
	expect_error(HEAD "\"seeds\":[{\"address\":\"tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx\"}]}]}",
		     "heist 'x': seeds[0].address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx' is not a valid bitcoin address");
	expect_error(HEAD "\"seeds\":[{\"address\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb\"}]}]}",
		     "seeds[0].address");
	expect_error(HEAD "\"seeds\":[{\"address\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\",\"from\":\"2024-06-02\",\"until\":\"2024-06-01\"}]}]}",
		     "seeds[0].until: 2024-06-01 is before from 2024-06-02");
	expect_error(HEAD "\"seeds\":[{\"address\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\",\"from\":\"2023-02-29\"}]}]}",
		     "seeds[0].from: '2023-02-29' is not a date");
	expect_error(HEAD "\"seeds\":[{\"address\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\",\"txid\":\"00\"}]}]}",
		     "seeds[0]: has both txid and address");
	expect_error(HEAD "\"seeds\":[{}]}]}", "seeds[0]: needs a txid or an address");
	expect_error(HEAD "\"seeds\":[{\"txid\":\"975ec405ac9dc9fa5ab8009d94d6a1fe31dff8a8127ea90d023104e52754e4d7\",\"from\":\"2024-01-01\"}]}]}",
		     "only address seeds have a time window");
	expect_error(HEAD "\"seeds\":{}}]}", "heist 'x': seeds: not an array");
	expect_error(HEAD "\"amounts\":[{\"asset\":\"BTC\",\"amount\":\"1,5\"}]}]}", "amounts[0].amount");
	expect_error(HEAD "\"sources\":[42]}]}", "heist 'x': sources[0]");
	expect_error("{\"heists\":[{\"id\":\"y\",\"name\":\"Y\",\"date\":\"2024-13-01\",\"chain\":\"bitcoin\"}]}",
		     "heist 'y': date: '2024-13-01'");
	expect_error("{\"heists\":[{\"id\":\"y\",\"name\":\"Y\",\"date\":\"2024-01-01\",\"chain\":\"bitcoin\"}]}",
		     "heist 'y': attribution: missing");
	expect_error("{\"heists\":[{\"id\":\"y\",\"name\":\"Y\",\"date\":\"2024-01-01\",\"chain\":\"bitcoin\","
		     "\"attribution\":{\"authority\":\"A\"}}]}",
		     "heist 'y': attribution.document: missing");
	expect_error("{\"heists\":[{\"id\":\"y\",\"name\":\"Y\",\"date\":\"2024-01-01\",\"chain\":\"bitcoin\","
		     "\"attribution\":{\"authority\":\"A\",\"document\":\"D\",\"url\":\"ftp://x\"}}]}",
		     "attribution.url: not an http(s) URL");
	expect_error("{\"heists\":[{\"name\":\"Y\"}]}", "heist '#0': id: missing");
	expect_error("{\"heists\":[{\"id\":\"Bad Id\"}]}", "id: use 1 to 64 characters");
	expect_error("{\"heists\":[{\"id\":\"y\",\"name\":\"Y\",\"date\":\"2024-01-01\",\"chain\":\"Bitcoin\"}]}",
		     "chain: 'Bitcoin'");
	expect_error("{\"heists\":[{\"id\":\"a\",\"name\":\"A\",\"date\":\"2024\",\"chain\":\"tron\",\"attribution\":{\"authority\":\"A\",\"document\":\"D\"}},"
		     "{\"id\":\"a\",\"name\":\"A\",\"date\":\"2024\",\"chain\":\"tron\",\"attribution\":{\"authority\":\"A\",\"document\":\"D\"}}]}",
		     "heist 'a': id: duplicate");
	expect_error("{\"heists\":[{\"id\":\"a\",\"id\":\"b\"}]}", "duplicate object key");
	expect_error("{\"heists\":[", "line 1");
	expect_error("[]", "expected an object {\"heists\"");
	expect_error("", "JSON error");
}

/* Truncations of a valid document: an error or a parse, never a crash. */
static void test_truncations(void **state)
{
	(void)state;
	const char *j = HEAD "\"seeds\":[{\"address\":\"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\",\"from\":\"2024-05-30\"}]}]}";
	size_t n = strlen(j);
	for (size_t cut = 0; cut < n; cut++) {
		struct tl_registry *reg;
		struct tl_err err;
		assert_int_equal(tl_registry_parse(j, cut, "cut", &reg, &err), -1);
		assert_null(reg);
	}
}

/* ---- shipped data/heists/dprk.json ---- */

/* 1 if address (chain BTC) appears in the research registry.json. */
static int in_research(json_t *research, const char *hid, const char *addr)
{
	size_t i;
	json_t *h;
	json_array_foreach(research, i, h)
	{
		if (strcmp(json_string_value(json_object_get(h, "id")), hid) != 0) continue;
		size_t k;
		json_t *a;
		json_array_foreach(json_object_get(h, "addresses"), k, a)
		{
			if (strcmp(json_string_value(json_object_get(a, "address")), addr) == 0) return 1;
		}
	}
	return 0;
}

static void test_shipped(void **state)
{
	(void)state;
	json_error_t je;
	json_t *research = json_load_file(tu_shared_path("heists/registry.json"), 0, &je);
	assert_non_null(research);
	struct tl_registry *reg;
	struct tl_err err = { 0 };
	if (tl_registry_load(TL_SOURCE_DIR "/data/heists/dprk.json", &reg, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		fail();
	}
	/* count independently with jansson */
	json_t *shipped = json_load_file(TL_SOURCE_DIR "/data/heists/dprk.json", 0, &je);
	assert_non_null(shipped);
	assert_int_equal(reg->n, json_array_size(json_object_get(shipped, "heists")));
	assert_true(reg->n >= 15);
	size_t traceable = 0, btc_seeds = 0, not_bitcoin = 0;
	for (size_t i = 0; i < reg->n; i++) {
		const struct tl_heist *h = &reg->heists[i];
		/* every heist carries a source */
		assert_true(h->nsources > 0);
		assert_true(h->attribution.authority && *h->attribution.authority);
		for (size_t s = 0; s < h->nsources; s++) assert_true(strncmp(h->sources[s], "http", 4) == 0);
		for (size_t s = 0; s < h->namounts; s++) assert_non_null(h->amounts[s].source);
		if (h->traceable) traceable++;
		if (!h->net) not_bitcoin++;
		for (size_t s = 0; s < h->nseeds; s++) {
			const struct tl_heist_seed *sd = &h->seeds[s];
			assert_non_null(sd->source);
			if (h->net && sd->kind == TL_SEED_ADDRESS) {
				btc_seeds++;
				/* no invented facts: the address is in the research file for this heist */
				assert_true(in_research(research, h->id, sd->address));
				/* a window around the theft */
				assert_true(sd->from[0] && sd->until[0]);
				assert_true(strncmp(sd->from, h->date, 4) <= 0 || strncmp(sd->from, h->date, 4) == 0);
			}
		}
	}
	assert_true(traceable >= 6);
	assert_true(not_bitcoin >= 3);
	const struct tl_heist *tl = tl_registry_find(reg, "exchange-hack-2018-04-tian-li");
	assert_non_null(tl);
	assert_int_equal(tl->nseeds, 20);
	const struct tl_heist *bybit = tl_registry_find(reg, "bybit-2025-02-21");
	assert_non_null(bybit);
	assert_string_equal(bybit->chain, "ethereum");
	assert_false(bybit->traceable);
	assert_true(btc_seeds > 50);
	tl_registry_free(reg);
	json_decref(shipped);
	json_decref(research);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_shipped),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
