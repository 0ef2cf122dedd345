/* Recall and precision of the Bitcoin-side cash-outs of the multichain
 * simulator's Ethereum heist, per policy: simulate --chain multichain,
 * index both chains, trace the heist over both databases, and compare
 * the Bitcoin endpoints tagged exchange with truth.json's btc_cashouts
 * (by outpoint, counted per endpoint).
 *   bench_xchain_recall TAINTLINE DIR [SEED]
 * DIR must not exist; it is left in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc) fprintf(stderr, "bench_xchain_recall: '%s' failed (%d)\n", cmd, rc);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_xchain_recall TAINTLINE DIR [SEED]\n");
		return 2;
	}
	const char *tl = argv[1], *dir = argv[2], *seed = argc > 3 ? argv[3] : "1";
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "%s simulate --chain multichain --out %s --seed %s", tl, dir, seed);
	if (run(cmd)) return 1;
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl %s/ethereum --db %s/eth --network dev >/dev/null 2>&1", tl, dir, dir);
	if (run(cmd)) return 1;
	snprintf(cmd, sizeof cmd, "%s index --blocks-dir %s/bitcoin/blocks --db %s/btc --network regtest >/dev/null 2>&1", tl, dir, dir);
	if (run(cmd)) return 1;
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", dir);
	json_error_t je;
	json_t *truth = json_load_file(path, 0, &je);
	if (!truth) {
		fprintf(stderr, "bench_xchain_recall: %s: %s\n", path, je.text);
		return 1;
	}
	json_t *cash = json_object_get(json_object_get(truth, "bybit"), "btc_cashouts");
	printf("seed %s: %zu Bitcoin cash-outs of the Ethereum heist in the truth\n", seed, json_array_size(cash));
	printf("%-8s %9s %8s %6s %8s %9s\n", "policy", "crossings", "found", "hits", "recall", "precision");
	static const char *pols[] = { "poison", "haircut", "fifo", "tiho" };
	for (int p = 0; p < 4; p++) {
		snprintf(cmd, sizeof cmd,
			 "%s trace --db %s/btc --db %s/eth --heist sim-bybit --heists %s/ethereum/heists.json --tags %s/ethereum/tags.csv "
			 "--tags %s/bitcoin/tags.csv --policy %s -o %s/x-%s.json",
			 tl, dir, dir, dir, dir, dir, pols[p], dir, pols[p]);
		if (run(cmd)) return 1;
		snprintf(path, sizeof path, "%s/x-%s.json", dir, pols[p]);
		json_t *x = json_load_file(path, 0, &je);
		if (!x) {
			fprintf(stderr, "bench_xchain_recall: %s: %s\n", path, je.text);
			return 1;
		}
		size_t found = 0, hits = 0, i, k;
		json_t *e, *c;
		json_array_foreach(json_object_get(x, "endpoints"), i, e)
		{
			const char *chain = json_string_value(json_object_get(e, "chain"));
			const char *cat = json_string_value(json_object_get(json_object_get(e, "tag"), "category"));
			const char *op = json_string_value(json_object_get(e, "outpoint"));
			if (!chain || strcmp(chain, "bitcoin") || !cat || strcmp(cat, "exchange") || !op) continue;
			found++;
			json_array_foreach(cash, k, c)
			{
				char want[80];
				snprintf(want, sizeof want, "%s:%lld", json_string_value(json_object_get(c, "txid")),
					 (long long)json_integer_value(json_object_get(c, "vout")));
				if (!strcmp(want, op)) {
					hits++;
					break;
				}
			}
		}
		printf("%-8s %9zu %8zu %6zu %8.3f %9.3f\n", pols[p], json_array_size(json_object_get(x, "crossings")), found, hits,
		       json_array_size(cash) ? (double)hits / (double)json_array_size(cash) : 0.0,
		       found ? (double)hits / (double)found : 0.0);
		json_decref(x);
	}
	json_decref(truth);
	return 0;
}
