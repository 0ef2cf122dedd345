/* bench_taint_account: the account-model taint engine (taint/account.h)
 * on 100,000 random transfers shaped like Ethereum's (not in CI; prints
 * figures, asserts nothing about time).
 *
 *   bench_taint_account [TRANSFERS [ACCOUNTS]]   (default 100000 20000)
 *
 * The stream: transactions from random senders, each with a fee in two
 * parts (burnt, and the tip to one of a few block producers), then one to
 * four native or token transfers; one transaction in eight a swap through
 * a router and a pool; one in sixteen failed. Amounts in wei from 10^12
 * to 10^22 and token units up to 10^24 (past 2^64, so the haircut shares
 * take the 512-bit path). Activity is skewed: a tenth of the accounts
 * (exchanges, pools) see most transfers, and 1% of the accounts are
 * exchanges (stops). The first 50 transactions carry seeds.
 *
 * For each policy: one warm-up run, then the best of three, against a
 * plain replay of the same stream that only keeps balances (a hash map
 * of (account, asset) -> u256) in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taint/account.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static tl_uint256 amount(uint32_t asset)
{
	/* 10^12 .. 10^22 wei; tokens up to 10^24 units */
	unsigned __int128 lo = 1000000000000ull;
	int exp = (int)(rnd() % (asset ? 13 : 11));
	unsigned __int128 v = lo;
	for (int i = 0; i < exp; i++) v *= 10;
	v = v / 2 + (unsigned __int128)(rnd() % 1000000) * (v / 1000000);
	return (tl_uint256){ { (uint64_t)v, (uint64_t)(v >> 64), 0, 0 } };
}

struct btx {
	struct tl_taint_tx tx;
	uint32_t first, n;
};

static uint64_t nacct;
static uint64_t pick(void)
{
	/* a tenth of the accounts take 70% of the transfers */
	return 1 + (rnd() % 10 < 7 ? rnd() % (nacct / 10) : rnd() % nacct);
}

static uint32_t cats(void *ctx, uint64_t a)
{
	(void)ctx;
	return a % 100 == 7 ? 1 : 0;
}

int main(int argc, char **argv)
{
	size_t want = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
	nacct = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000;
	if (want < 100 || nacct < 100) {
		fprintf(stderr, "usage: bench_taint_account [TRANSFERS>=100 [ACCOUNTS>=100]]\n");
		return 2;
	}
	struct tl_taint_xfer *x = calloc(want + 16, sizeof *x);
	struct btx *txs = calloc(want, sizeof *txs);
	size_t nx = 0, ntx = 0;
	const uint64_t NW = TL_TAINT_NOWHERE;
	while (nx < want) {
		struct btx *t = &txs[ntx];
		uint64_t s = pick();
		t->tx = (struct tl_taint_tx){ .num = ntx + 1, .sender = s, .height = (uint32_t)(ntx / 150),
			                      .time = 1700000000 + (int64_t)(ntx / 150) * 12, .ok = rnd() % 16 != 0 };
		t->first = (uint32_t)nx;
		tl_uint256 fee = amount(0);
		fee.w[0] /= 1000; /* fees are small */
		fee.w[1] = 0;
		tl_uint256 tip = tl_uint256_from_u64(fee.w[0] / 10);
		bool b = tl_uint256_sub(&fee, &fee, &tip);
		(void)b;
		x[nx++] = (struct tl_taint_xfer){ .from = s, .to = NW, .kind = TL_TK_FEE, .amount = fee };
		x[nx++] = (struct tl_taint_xfer){ .from = s, .to = 1 + rnd() % 5, .kind = TL_TK_FEE, .amount = tip };
		if (rnd() % 8 == 0) {
			uint32_t A = (uint32_t)(rnd() % 4), B = (A + 1 + (uint32_t)(rnd() % 3)) % 4;
			uint64_t router = 11, pool = 12 + A * 4 + B;
			x[nx++] = (struct tl_taint_xfer){ .from = s, .to = router, .asset = A, .amount = amount(A) };
			x[nx++] = (struct tl_taint_xfer){ .from = router, .to = pool, .asset = A, .amount = x[nx - 1].amount };
			x[nx++] = (struct tl_taint_xfer){ .from = pool, .to = s, .asset = B, .amount = amount(B) };
		} else {
			for (int j = 0, k = 1 + (int)(rnd() % 4); j < k; j++) {
				uint32_t asset = rnd() % 3 ? 0 : 1 + (uint32_t)(rnd() % 3);
				uint64_t from = j == 0 || rnd() % 2 ? s : pick();
				x[nx++] = (struct tl_taint_xfer){ .from = from, .to = pick(), .asset = asset, .amount = amount(asset),
					                          .seed = ntx < 50 && j == 0 };
			}
		}
		t->n = (uint32_t)(nx - t->first);
		ntx++;
	}
	printf("stream: %zu transfers in %zu transactions, %llu accounts, 4 assets\n", nx, ntx,
	       (unsigned long long)nacct);

	/* the plain replay: balances only */
	double plain = 1e9;
	size_t cap = 1;
	while (cap < nacct * 8) cap <<= 1;
	struct {
		uint64_t key;
		tl_uint256 bal;
	} *map = calloc(cap, sizeof *map);
	for (int rep = 0; rep < 4; rep++) {
		memset(map, 0, cap * sizeof *map);
		double t0 = now();
		for (size_t i = 0; i < nx; i++) {
			uint64_t ends[2] = { x[i].from, x[i].to };
			for (int k = 0; k < 2; k++) {
				if (ends[k] == NW) continue;
				uint64_t key = (ends[k] << 8 | x[i].asset) + 1;
				size_t h = (key * 0x9e3779b97f4a7c15ull) >> 20 & (cap - 1);
				while (map[h].key && map[h].key != key) h = (h + 1) & (cap - 1);
				map[h].key = key;
				bool c = k ? tl_uint256_add(&map[h].bal, &map[h].bal, &x[i].amount)
				           : tl_uint256_sub(&map[h].bal, &map[h].bal, &x[i].amount);
				(void)c;
			}
		}
		double dt = now() - t0;
		if (rep && dt < plain) plain = dt;
	}
	printf("plain balance replay: %.1f ms (%.2f M transfers/s)\n", plain * 1e3, nx / plain / 1e6);

	for (int pol = 0; pol < 4; pol++) {
		double best = 1e9;
		struct tl_taint_result r;
		size_t n_end = 0, n_hold = 0;
		for (int rep = 0; rep < 4; rep++) {
			struct tl_taint_params p;
			tl_taint_params_default(&p);
			p.policy = (enum tl_taint_policy)pol;
			p.stop_cats = 1;
			p.account_cats = cats;
			struct tl_taint *e = tl_taint_new(&p);
			struct tl_err err;
			double t0 = now();
			for (size_t k = 0; k < ntx; k++)
				if (tl_taint_apply(e, &txs[k].tx, x + txs[k].first, txs[k].n, &err)) {
					fprintf(stderr, "bench_taint_account: %s\n", err.msg);
					return 1;
				}
			if (tl_taint_finish(e, &r, &err)) {
				fprintf(stderr, "bench_taint_account: %s\n", err.msg);
				return 1;
			}
			double dt = now() - t0;
			if (rep && dt < best) best = dt;
			n_end = r.n_endpoints;
			n_hold = r.n_holdings;
			int ok = 1;
			for (uint32_t a = 0; a < r.n_assets; a++) ok &= pol == TL_TP_POISON || tl_taint_conserved(&r.totals[a]);
			if (!ok) {
				fprintf(stderr, "bench_taint_account: %s does not conserve\n", tl_taint_policy_name(p.policy));
				return 1;
			}
			tl_taint_free(e);
		}
		printf("%-9s: %7.1f ms (%.2f M transfers/s, %.1fx the plain replay); %zu endpoints, %zu holdings; "
		       "goal < 1000 ms: %s\n",
		       tl_taint_policy_name((enum tl_taint_policy)pol), best * 1e3, nx / best / 1e6, best / plain, n_end,
		       n_hold, best < 1.0 ? "met" : "NOT met");
	}
	free(map);
	free(x);
	free(txs);
	return 0;
}
