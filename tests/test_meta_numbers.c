/* Numbered meta records (store/meta_keys.h through store/cases.h and
 * store/watches.h): a randomized model-based test. Cases, the case audit
 * log, watches and each watch's deliveries are created, written with
 * chosen numbers, deleted, and surrounded by stray keys under their
 * prefixes (other lengths, non-hex digits); after every step the next
 * number each kind hands out must equal a naive model's: one more than
 * the largest number present or ever given out (the sequence record).
 * TL_META_SEED=N replays one seed; a failure prints it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/cases.h"
#include "store/store.h"
#include "store/watches.h"
#include "tests/testutil.h"

#define MAXN 64 /* numbers drawn from 1..MAXN so that deletes and reuse meet */
#define NWATCH 4

/* The model: which numbers are present, and the highest given out. */
struct kind {
	unsigned char present[MAXN + 1];
	uint64_t seq;
};

static struct kind cases, audit, watches, deliv[NWATCH + 1];
static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t naive_next(const struct kind *k)
{
	uint64_t m = k->seq;
	for (uint64_t i = 1; i <= MAXN; i++)
		if (k->present[i] && i > m) m = i;
	return m + 1;
}

static void commit(struct tl_store *s, struct tl_batch *b)
{
	struct tl_err err;
	if (tl_store_write(s, b, &err) < 0) fail_msg("write: %s", err.msg);
	tl_batch_free(b);
}

/* A key under prefix that is not one of its records: a wrong length, or
 * the right length with a digit that is not lower-case hex. */
static void put_stray(struct tl_store *s, const char *prefix, size_t keylen)
{
	char k[96];
	size_t pl = strlen(prefix);
	memcpy(k, prefix, pl);
	size_t len;
	switch (next_rand() % 3) {
	case 0: /* too short */
		len = pl + 1 + next_rand() % 8;
		memset(k + pl, 'f', len - pl);
		break;
	case 1: /* too long: sorts after every record */
		len = keylen + 1;
		memset(k + pl, 'f', len - pl);
		break;
	default: /* right length, not hex: 'z' sorts after every digit */
		len = keylen;
		memset(k + pl, 'z', len - pl);
		break;
	}
	struct tl_batch *b = tl_batch_new(s);
	tl_batch_put(b, TL_CF_META, k, len, "x", 1);
	commit(s, b);
}

static void check_all(struct tl_store *s, uint64_t seed, int step)
{
	struct tl_err err;
	uint64_t got;
	if (tl_cases_next_id(s, &got, &err) < 0) fail_msg("seed %" PRIu64 " step %d: %s", seed, step, err.msg);
	if (got != naive_next(&cases))
		fail_msg("seed %" PRIu64 " step %d: next case %" PRIu64 ", model %" PRIu64, seed, step, got,
		         naive_next(&cases));
	if (tl_cases_audit_next(s, &got, &err) < 0) fail_msg("seed %" PRIu64 ": %s", seed, err.msg);
	if (got != naive_next(&audit))
		fail_msg("seed %" PRIu64 " step %d: next audit entry %" PRIu64 ", model %" PRIu64, seed, step, got,
		         naive_next(&audit));
	if (tl_watches_next_id(s, &got, &err) < 0) fail_msg("seed %" PRIu64 ": %s", seed, err.msg);
	if (got != naive_next(&watches))
		fail_msg("seed %" PRIu64 " step %d: next watch %" PRIu64 ", model %" PRIu64, seed, step, got,
		         naive_next(&watches));
	for (uint64_t w = 1; w <= NWATCH; w++) {
		if (tl_watch_delivery_next(s, w, &got, &err) < 0) fail_msg("seed %" PRIu64 ": %s", seed, err.msg);
		if (got != naive_next(&deliv[w]))
			fail_msg("seed %" PRIu64 " step %d: next delivery of watch %" PRIu64 " %" PRIu64
			         ", model %" PRIu64,
			         seed, step, w, got, naive_next(&deliv[w]));
	}
}

static void run_seed(const char *dir, uint64_t seed)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/db-%" PRIu64, dir, seed);
	struct tl_store *s;
	struct tl_err err;
	struct tl_store_opts o = { .create = true, .net = tl_net_params(TL_NET_REGTEST) };
	if (tl_store_open(path, &o, &s, &err) < 0) fail_msg("%s", err.msg);
	memset(&cases, 0, sizeof cases);
	memset(&audit, 0, sizeof audit);
	memset(&watches, 0, sizeof watches);
	memset(deliv, 0, sizeof deliv);
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	check_all(s, seed, 0);
	for (int step = 1; step <= 300; step++) {
		uint64_t n = 1 + next_rand() % MAXN, id;
		struct tl_batch *b = tl_batch_new(s);
		switch (next_rand() % 10) {
		case 0: /* a new case, as the case routes make one */
			if (tl_cases_next_id(s, &id, &err) < 0) fail_msg("%s", err.msg);
			if (id > MAXN) break;
			tl_batch_put_case(b, id, "{}", next_rand() % 2 ? "{}" : NULL);
			tl_batch_put_case_seq(b, id);
			cases.present[id] = 1;
			if (id > cases.seq) cases.seq = id;
			break;
		case 1: /* a case written with its number (no sequence record) */
			tl_batch_put_case(b, n, "{}", NULL);
			cases.present[n] = 1;
			break;
		case 2:
			tl_batch_del_case(b, n);
			cases.present[n] = 0;
			break;
		case 3:
			tl_batch_put_case_audit(b, n, "{}");
			audit.present[n] = 1;
			break;
		case 4: /* a new watch */
			if (tl_watches_next_id(s, &id, &err) < 0) fail_msg("%s", err.msg);
			if (id > MAXN) break;
			tl_batch_put_watch(b, id, "{}");
			tl_batch_put_watch_seq(b, id);
			watches.present[id] = 1;
			if (id > watches.seq) watches.seq = id;
			break;
		case 5:
			tl_batch_put_watch(b, n, "{}");
			watches.present[n] = 1;
			break;
		case 6:
			if (tl_batch_del_watch(s, b, n, &err) < 0) fail_msg("%s", err.msg);
			watches.present[n] = 0;
			if (n <= NWATCH) memset(deliv[n].present, 0, sizeof deliv[n].present); /* its deliveries go too */
			break;
		case 7: { /* a delivery of one watch */
			uint64_t w = 1 + next_rand() % NWATCH;
			tl_batch_put_watch_delivery(b, w, n, "{}");
			deliv[w].present[n] = 1;
			break;
		}
		case 8: {
			static const char *const prefixes[] = { "case/", "caselog/", "watch/", "wdeliv/0000000000000002/" };
			static const size_t lens[] = { 5 + 16 + 2, 8 + 16, 6 + 16, 7 + 16 + 1 + 16 };
			size_t i = next_rand() % 4;
			put_stray(s, prefixes[i], lens[i]);
			break;
		}
		default: break; /* nothing written: reads twice in a row agree */
		}
		commit(s, b);
		check_all(s, seed, step);
	}
	tl_store_close(s);
}

static void test_next_numbers_match_the_model(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("meta_numbers");
	const char *one = getenv("TL_META_SEED");
	if (one) {
		run_seed(dir, strtoull(one, NULL, 10));
	} else {
		for (uint64_t seed = 1; seed <= 12; seed++) run_seed(dir, seed);
	}
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_numbers_match_the_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
