/* Screening lookups as a request needs them: from the text a client sends
 * (TXID:VOUT or an address) through its resolution in the index (txid ->
 * tx_num, address -> addr_id) to the exposure lookup, over random keys of
 * the whole chain, beside the lookup by internal id alone (what earlier
 * figures timed). In process, one thread; the HTTP figures are
 * bench_api.sh's.
 *   bench_screen DB KEYS_FILE [ROUNDS]
 * KEYS_FILE is bench_keys' output for the chain DB indexes; DB needs its
 * heists imported and screening materialized ('taintline heist import',
 * 'taintline screen --rebuild'). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitcoin/hash.h"
#include "store/store.h"
#include "tracer/screen.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a loaded machine wall-clock rates say
 * more about the other processes than about this one. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct tl_err *err)
{
	fprintf(stderr, "bench_screen: %s: %s\n", what, err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_screen DB KEYS_FILE [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	char (*outp)[80] = NULL, (*addr)[96] = NULL;
	size_t no = 0, na = 0, cap_o = 0, cap_a = 0;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		size_t l = strlen(line);
		if (l < 3 || l - 2 >= 80) continue; /* no key is that long */
		if (line[0] == 'o' && line[1] == ' ') {
			if (no == cap_o) outp = realloc(outp, (cap_o = cap_o ? 2 * cap_o : 1024) * sizeof *outp);
			memcpy(outp[no++], line + 2, l - 1);
		} else if (line[0] == 'a' && line[1] == ' ') {
			if (na == cap_a) addr = realloc(addr, (cap_a = cap_a ? 2 * cap_a : 1024) * sizeof *addr);
			memcpy(addr[na++], line + 2, l - 1);
		}
	}
	fclose(f);
	if (!no || !na) {
		fprintf(stderr, "bench_screen: no keys in %s\n", argv[2]);
		return 1;
	}
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 256 };
	if (tl_store_open(argv[1], &so, &s, &err)) die("open", &err);
	struct tl_screen *sc;
	if (tl_screen_open(s, NULL, &sc, &err)) die("screen", &err);
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, &err)) die("tip", &err);
	struct tl_screen_exp exp[8];
	uint64_t rng = 88172645463325252ull, exposed = 0, missing = 0;
	size_t n = (size_t)rounds * no;
#define NEXT() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)

	/* outpoints: hex -> txid -> tx_num -> lookup */
	double t0 = now(), c0 = cpu();
	for (size_t i = 0; i < n; i++) {
		const char *k = outp[NEXT() % no];
		uint8_t txid[32];
		uint64_t num;
		char hex[65];
		memcpy(hex, k, 64);
		hex[64] = 0;
		if (strlen(k) < 66 || tl_hash_from_hex(hex, txid)) { missing++; continue; }
		uint32_t vout = (uint32_t)strtoul(k + 65, NULL, 10);
		int c = tl_store_txid_nums(s, txid, &num, 1, &err);
		if (c < 0) die("txid", &err);
		if (c == 0) { missing++; continue; }
		int e = tl_screen_lookup_outref(sc, num, vout, exp, 8, &err);
		if (e < 0) die("lookup", &err);
		exposed += e > 0;
	}
	double t_out = now() - t0, c_out = cpu() - c0;
	printf("keys: %zu outpoints, %zu addresses (random order, %d rounds); load ", no, na, rounds);
	FILE *la = fopen("/proc/loadavg", "r");
	if (la && fgets(line, sizeof line, la)) printf("%s", line); else printf("\n");
	if (la) fclose(la);
	printf("outpoint, resolved from TXID:VOUT: %9.0f /s wall, %9.0f per CPU-s (%llu exposed, %llu unresolved)\n",
	       n / t_out, n / c_out, (unsigned long long)exposed, (unsigned long long)missing);

	/* addresses: string -> addr_id -> lookup */
	n = (size_t)rounds * na;
	exposed = missing = 0;
	t0 = now();
	c0 = cpu();
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		int c = tl_store_addr_id_of_string(s, addr[NEXT() % na], &id, &err);
		if (c < 0) die("address", &err);
		if (c == 0) { missing++; continue; }
		int e = tl_screen_lookup_addr(sc, id, exp, 8, &err);
		if (e < 0) die("lookup", &err);
		exposed += e > 0;
	}
	double t_addr = now() - t0, c_addr = cpu() - c0;
	printf("address, resolved from its string:  %9.0f /s wall, %9.0f per CPU-s (%llu exposed, %llu unresolved)\n",
	       n / t_addr, n / c_addr, (unsigned long long)exposed, (unsigned long long)missing);

	/* the lookups alone, by random internal ids (the earlier figure) */
	n = 200000;
	t0 = now();
	c0 = cpu();
	for (size_t i = 0; i < n; i++) {
		uint64_t r = NEXT();
		if (tl_screen_lookup_outref(sc, r % tip.next_tx_num, (uint32_t)(r >> 40) % 3, exp, 8, &err) < 0)
			die("lookup", &err);
	}
	double t_id = now() - t0, c_id = cpu() - c0;
	t0 = now();
	c0 = cpu();
	for (size_t i = 0; i < n; i++)
		if (tl_screen_lookup_addr(sc, 1 + NEXT() % (tip.next_addr_id - 1), exp, 8, &err) < 0) die("lookup", &err);
	double t_ida = now() - t0, c_ida = cpu() - c0;
	printf("by internal id only (no resolution): outpoints %.0f /s wall, %.0f per CPU-s; addresses %.0f /s wall, %.0f "
	       "per CPU-s\n", n / t_id, n / c_id, n / t_ida, n / c_ida);
	tl_screen_close(sc);
	tl_store_close(s);
	free(outp);
	free(addr);
	return 0;
}
