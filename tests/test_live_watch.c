/* Matching outputs against watches (live/watch.h): a seeded random set of
 * watches (address or heist, thresholds, events) and of candidate
 * outputs, alerted through tl_watch_alert into a real database; the
 * deliveries queued must be exactly the (watch, output, event) triples a
 * naive model finds with exact integer arithmetic (share thresholds are
 * k/100, compared as amount * 100 >= k * value), and each body must carry
 * the output's data. The seed is printed on failure; TL_SEED replays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bitcoin/network.h"
#include "live/watch.h"
#include "store/watches.h"
#include "tests/testutil.h"

#define NW 300 /* more than one round of 256 matches */
#define NC 60

static const char *const addrs[] = { "bcrt1qaaa", "bcrt1qbbb", "bcrt1qccc" };
static const char *const heists[] = { "h-one", "h-two", "h-three" };
static const char *const types[] = { "deposit", "confirmed", "movement", "reorg" };

struct mwatch {
	int addr, heist;     /* index, or -1 */
	int64_t min_amount;  /* -1 = unset */
	int share_pct;       /* -1 = unset */
	int events;          /* bitmask over types */
};

struct mcand {
	int addr; /* -1 = none */
	uint64_t value;
	uint64_t amount[3]; /* per heist; 0 = no exposure */
	int type;
};

static int model_passes(const struct mwatch *w, uint64_t amount, uint64_t value)
{
	if (amount == 0) return 0;
	if (w->min_amount >= 0 && amount < (uint64_t)w->min_amount) return 0;
	if (w->share_pct >= 0 && amount * 100 < (uint64_t)w->share_pct * value) return 0;
	return 1;
}

static int model_match(const struct mwatch *w, const struct mcand *c)
{
	if (!(w->events >> c->type & 1)) return 0;
	if (w->addr >= 0) {
		if (c->addr != w->addr) return 0;
		return model_passes(w, c->amount[0] + c->amount[1] + c->amount[2], c->value);
	}
	return model_passes(w, c->amount[w->heist], c->value);
}

static unsigned seed;
static struct mwatch W[NW + 1];
static struct mcand C[NC];
static int got[NW + 1][NC];

static int on_delivery(uint64_t watch, uint64_t seq, const char *text, void *ctx)
{
	(void)seq;
	(void)ctx;
	json_t *d = json_loads(text, 0, NULL);
	json_t *b = json_loads(json_string_value(json_object_get(d, "body")), 0, NULL);
	json_t *data = json_object_get(b, "data");
	int vout = (int)json_integer_value(json_object_get(data, "vout"));
	if (watch < 1 || watch > NW || vout < 0 || vout >= NC) fail_msg("seed %u: stray delivery %s", seed, text);
	const struct mcand *c = &C[vout];
	if (strcmp(json_string_value(json_object_get(b, "type")), types[c->type]))
		fail_msg("seed %u: watch %" PRIu64 " output %d: type %s", seed, watch, vout, text);
	if ((uint64_t)json_integer_value(json_object_get(data, "amount_sat")) != c->value)
		fail_msg("seed %u: amount_sat of output %d", seed, vout);
	size_t nexp = 0;
	uint64_t sum = 0;
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(data, "exposures"), i, e) {
		nexp++;
		sum += (uint64_t)json_integer_value(json_object_get(e, "amount_sat"));
	}
	size_t want_n = (c->amount[0] > 0) + (c->amount[1] > 0) + (c->amount[2] > 0);
	if (nexp != want_n || sum != c->amount[0] + c->amount[1] + c->amount[2])
		fail_msg("seed %u: exposures of output %d", seed, vout);
	got[watch][vout]++;
	json_decref(b);
	json_decref(d);
	return 0;
}

static void test_alerts_match_model(void **state)
{
	(void)state;
	seed = (unsigned)time(NULL);
	const char *env = getenv("TL_SEED");
	if (env) seed = (unsigned)strtoul(env, NULL, 10);
	srand(seed);
	char *dir = tu_tmpdir("live_watch"), db[4096];
	snprintf(db, sizeof db, "%s/db", dir);
	struct tl_store_opts so = { .create = true, .net = tl_net_by_name("regtest") };
	struct tl_store *s;
	struct tl_err err;
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("open: %s", err.msg);

	struct tl_batch *b = tl_batch_new(s);
	for (int i = 1; i <= NW; i++) {
		struct mwatch *w = &W[i];
		/* a third of them all alike, so that one output matches many */
		int common = i % 3 == 0;
		w->addr = common ? 0 : rand() % 2 ? rand() % 3 : -1;
		w->heist = w->addr < 0 ? rand() % 3 : -1;
		w->min_amount = common ? 1 : rand() % 2 ? rand() % 5000 : -1;
		w->share_pct = common ? -1 : (w->min_amount < 0 || rand() % 2) ? rand() % 101 : -1;
		w->events = common ? 15 : 1 + rand() % 15;
		json_t *j = json_pack("{s:s,s:s,s:s}", "owner", "loopback", "url", "http://127.0.0.1:9/", "secret",
				      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
		if (w->addr >= 0) json_object_set_new(j, "address", json_string(addrs[w->addr]));
		else json_object_set_new(j, "heist", json_string(heists[w->heist]));
		if (w->min_amount >= 0) json_object_set_new(j, "min_amount_sat", json_integer(w->min_amount));
		if (w->share_pct >= 0) json_object_set_new(j, "min_share", json_real(w->share_pct / 100.0));
		json_t *ev = json_array();
		for (int t = 0; t < 4; t++)
			if (w->events >> t & 1) json_array_append_new(ev, json_string(types[t]));
		json_object_set_new(j, "events", ev);
		char *text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		tl_batch_put_watch(b, (uint64_t)i, text);
		free(text);
	}
	assert_int_equal(tl_store_write(s, b, &err), 0);
	tl_batch_free(b);

	size_t total = 0, want_total = 0;
	for (int k = 0; k < NC; k++) {
		struct mcand *c = &C[k];
		c->addr = k % 4 == 0 ? 0 : rand() % 4 - 1;
		c->value = 1 + (uint64_t)(rand() % 10000);
		for (int h = 0; h < 3; h++) c->amount[h] = rand() % 3 ? 0 : (uint64_t)(rand() % (c->value + 1));
		if (k % 4 == 0) c->amount[0] = c->value;
		c->type = k % 4 == 0 ? 0 : rand() % 4;
		struct tl_watch_exposure exp[3];
		size_t n = 0;
		for (int h = 0; h < 3; h++)
			if (c->amount[h]) exp[n++] = (struct tl_watch_exposure){ heists[h], c->amount[h], (uint32_t)h + 1 };
		struct tl_watch_candidate cand = { .vout = (uint32_t)k, .address = c->addr >= 0 ? addrs[c->addr] : NULL,
						   .value_sat = c->value, .confirmations = 0, .risk = "high",
						   .exp = exp, .nexp = n };
		snprintf(cand.txid, sizeof cand.txid, "%064x", k);
		size_t q;
		if (tl_watch_alert(s, types[c->type], &cand, 1700000000000LL, &q, &err) < 0)
			fail_msg("seed %u: alert: %s", seed, err.msg);
		total += q;
		size_t want = 0;
		for (int i = 1; i <= NW; i++) want += (size_t)model_match(&W[i], c);
		if (q != want) fail_msg("seed %u: output %d queued %zu alerts, model %zu", seed, k, q, want);
		want_total += want;
	}
	assert_true(want_total > 256); /* the rounds of 256 were exercised */
	memset(got, 0, sizeof got);
	assert_int_equal(tl_deliveries_all(s, on_delivery, NULL, &err), 0);
	size_t seen = 0;
	for (int i = 1; i <= NW; i++)
		for (int k = 0; k < NC; k++) {
			if (got[i][k] != model_match(&W[i], &C[k]))
				fail_msg("seed %u: watch %d output %d: %d deliveries, model %d", seed, i, k, got[i][k],
					 model_match(&W[i], &C[k]));
			seen += (size_t)got[i][k];
		}
	assert_int_equal(seen, total);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alerts_match_model),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
