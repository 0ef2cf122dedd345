/* bench_eth_recall: the Ethereum pipeline on a simulated chain, measured
 * against the simulator's ground truth (prints figures, asserts nothing).
 *
 *   bench_eth_recall [BLOCKS [TXS_PER_BLOCK [HEISTS [WORKDIR]]]]   (default 400 60 2)
 *
 * Runs the taintline binary next to this program (or $TL_BINARY):
 * simulate --chain ethereum, index, tags import, heist import, then for
 * each heist, policy, with and without --deposit-heuristic, stopping at
 * the mixer ("not mixed": scores the cash-outs whose funds never went
 * through it) and walking through it ("mixed": the others):
 *   recall    = the heist's wanted cash-out deposit accounts found / wanted
 *   precision = the heist's own deposit accounts found / deposit accounts found
 * and the trace's wall time and whether every asset's taint balanced
 * (seeded + converted_in = endpoints + holdings + fees + cut +
 * converted_out; poison does not conserve). Then screening lookups in
 * process (tl_eth_screen_lookup) over every account of the chain in a
 * shuffled order, twice (the second pass warm). */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ethereum/address.h"
#include "store/eth_screen.h"
#include "store/eth_store.h"
#include "tests/eth_recall.h"

int main(int argc, char **argv)
{
	unsigned blocks = argc > 1 ? (unsigned)atoi(argv[1]) : 400, tpb = argc > 2 ? (unsigned)atoi(argv[2]) : 60,
	         heists = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
	char bin[PATH_MAX], dir[PATH_MAX], msg[512];
	if (getenv("TL_BINARY")) snprintf(bin, sizeof bin, "%s", getenv("TL_BINARY"));
	else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0) return fprintf(stderr, "cannot find myself\n"), 1;
		self[n] = 0;
		snprintf(bin, sizeof bin, "%s/taintline", dirname(self));
	}
	if (argc > 4) snprintf(dir, sizeof dir, "%s", argv[4]);
	else {
		snprintf(dir, sizeof dir, "/tmp/bench_eth_recall.XXXXXX");
		if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
	}
	struct er_run r = { .bin = bin, .dir = dir };
	printf("simulating %u blocks x %u, %u heists into %s\n", blocks, tpb, heists, dir);
	if (er_prepare(&r, blocks, tpb, heists, 1, msg, sizeof msg)) return fprintf(stderr, "%s\n", msg), 1;
	printf("chain: %s transactions\n",
	       json_dumps(json_object_get(json_object_get(r.truth, "chain"), "transactions"), JSON_ENCODE_ANY));
	static const char *pol[] = { "poison", "haircut", "fifo", "seniority" };
	size_t hi;
	json_t *h;
	json_array_foreach(json_object_get(r.truth, "heists"), hi, h) {
		if (!json_is_true(json_object_get(h, "happened"))) continue;
		const char *id = json_string_value(json_object_get(h, "id"));
		printf("\nheist %s: %zu cash-outs\n", id, json_array_size(json_object_get(h, "cashouts")));
		printf("  %-10s %-10s %-9s %6s %7s %9s %6s %9s %7s %9s\n", "policy", "funds", "heuristic", "wanted", "recall",
		       "precision", "found", "endpoints", "time s", "conserved");
		for (int p = 0; p < 4; p++)
			for (int mixed = 0; mixed < 2; mixed++)
				for (int heur = 0; heur < 2; heur++) {
					struct er_score s;
					if (er_score(&r, id, pol[p], mixed, heur, &s, msg, sizeof msg))
						return fprintf(stderr, "%s\n", msg), 1;
					printf("  %-10s %-10s %-9s %6zu %7.3f %9.3f %6zu %9zu %7.2f %9s%s\n", pol[p],
					       mixed ? "mixed" : "not mixed", heur ? "on" : "off", s.want,
					       s.want ? (double)s.hit_want / s.want : 1.0, s.found ? (double)s.hit / s.found : 1.0,
					       s.found, s.endpoints, s.seconds,
					       !strcmp(pol[p], "poison") ? "n/a" : s.conserved ? "yes" : "NO ", s.unbalanced);
				}
	}
	/* screening lookups in process */
	char dbp[PATH_MAX + 4];
	snprintf(dbp, sizeof dbp, "%s/db", dir);
	struct tl_err err = { 0 };
	struct tl_eth_store *st;
	struct tl_eth_store_opts so = { .read_only = true, .cache_mb = 256 };
	if (tl_eth_store_open(dbp, &so, &st, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
	struct tl_eth_tip tip;
	if (tl_eth_store_tip(st, &tip, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
	size_t n = tip.next_acct - 1, exposed = 0;
	uint8_t(*addrs)[20] = malloc(n * 20);
	for (size_t i = 0; i < n; i++)
		if (tl_eth_store_account_addr(st, i + 1, addrs[i], &err) != 1) return fprintf(stderr, "account %zu\n", i), 1;
	srand(1);
	for (size_t i = n; i > 1; i--) { /* shuffle */
		size_t j = (size_t)rand() % i;
		uint8_t t[20];
		memcpy(t, addrs[i - 1], 20);
		memcpy(addrs[i - 1], addrs[j], 20);
		memcpy(addrs[j], t, 20);
	}
	struct tl_eth_screen *sh;
	if (tl_eth_screen_open(st, &sh, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
	for (int pass = 0; pass < 2; pass++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		exposed = 0;
		for (size_t i = 0; i < n; i++) {
			json_t *o;
			if (tl_eth_screen_lookup(sh, addrs[i], &o, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
			exposed += json_array_size(json_object_get(o, "exposures")) > 0;
			json_decref(o);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		double dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		printf("\nscreening (%s): %zu accounts (%zu exposed) in %.3f s = %.0f lookups/s in process\n",
		       pass ? "warm" : "cold", n, exposed, dt, dt > 0 ? (double)n / dt : 0.0);
	}
	free(addrs);
	tl_eth_screen_close(sh);
	tl_eth_store_close(st);
	json_decref(r.truth);
	return 0;
}
