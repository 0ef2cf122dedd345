/* The Ethereum pipeline on the simulator's output, scored (eth_recall.h). */
#include "tests/eth_recall.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ethereum/address.h"
#include "ethereum/u256.h"
#include "store/eth_store.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sh(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *msg, size_t cap, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(msg, cap, "failed (%d): %.400s", rc, cmd);
		return -1;
	}
	return 0;
}

int er_prepare(struct er_run *r, unsigned blocks, unsigned tpb, unsigned heists, unsigned seed, char *msg, size_t cap)
{
	if (sh(msg, cap,
	       "%s simulate --chain ethereum --out %s/sim --seed %u --blocks %u --txs-per-block %u --heists %u --no-rpc "
	       ">/dev/null 2>&1 && %s index --chain ethereum --etl %s/sim --db %s/db -q >/dev/null && "
	       "%s tags import --db %s/db %s/sim/tags.csv >/dev/null && %s heist import --db %s/db %s/sim/heists.json >/dev/null",
	       r->bin, r->dir, seed, blocks, tpb, heists, r->bin, r->dir, r->dir, r->bin, r->dir, r->dir, r->bin, r->dir,
	       r->dir))
		return -1;
	char p[1024];
	snprintf(p, sizeof p, "%s/sim/truth.json", r->dir);
	json_error_t je;
	r->truth = json_load_file(p, 0, &je);
	if (!r->truth) {
		snprintf(msg, cap, "%s: %s", p, je.text);
		return -1;
	}
	return 0;
}

static json_t *heist_of(json_t *truth, const char *id)
{
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(truth, "heists"), i, h)
		if (!strcmp(json_string_value(json_object_get(h, "id")), id)) return h;
	return NULL;
}

static int u256(json_t *o, const char *k, tl_uint256 *v)
{
	const char *s = json_string_value(json_object_get(o, k));
	return !s || tl_uint256_from_dec(s, strlen(s), v);
}

/* seeded + converted_in = endpoints + holdings + fees + cut + converted_out */
static int balanced(json_t *totals, char *which, size_t cap)
{
	const char *asset;
	json_t *t;
	json_object_foreach(totals, asset, t) {
		static const char *in[] = { "seeded", "converted_in" };
		static const char *out[] = { "endpoints", "holdings", "fees", "cut", "converted_out" };
		tl_uint256 a = tl_uint256_from_u64(0), b = tl_uint256_from_u64(0), v;
		int bad = 0;
		for (int i = 0; i < 2; i++) bad |= u256(t, in[i], &v) || tl_uint256_add(&a, &a, &v);
		for (int i = 0; i < 5; i++) bad |= u256(t, out[i], &v) || tl_uint256_add(&b, &b, &v);
		if (bad || tl_uint256_cmp(&a, &b)) {
			snprintf(which, cap, "%s%s", asset, bad ? " (unreadable)" : "");
			return 0;
		}
	}
	return 1;
}

int er_score(struct er_run *r, const char *id, const char *policy, int mixed, int heuristic, struct er_score *s,
             char *msg, size_t cap)
{
	memset(s, 0, sizeof *s);
	json_t *h = heist_of(r->truth, id);
	if (!h) {
		snprintf(msg, cap, "heist %s not in truth.json", id);
		return -1;
	}
	json_t *want = json_object(), *own = json_object();
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(h, "cashouts"), i, c) {
		const char *d = json_string_value(json_object_get(c, "deposit_address"));
		const char *via = json_string_value(json_object_get(c, "via"));
		json_object_set_new(own, d, json_true());
		if (!strcmp(via, "mixer") == !!mixed) json_object_set_new(want, d, json_true());
	}
	s->want = json_object_size(want);
	char out[1024];
	snprintf(out, sizeof out, "%s/trace-%s-%s-%d-%d.json", r->dir, id, policy, mixed, heuristic);
	double t0 = now();
	int rc = sh(msg, cap, "%s trace --db %s/db --heist %s --policy %s --max-hops 0 --min-amount 0%s%s --format json -o %s",
	            r->bin, r->dir, id, policy, mixed ? "" : " --stop-at-mixers", heuristic ? " --deposit-heuristic" : "", out);
	s->seconds = now() - t0;
	json_t *o = NULL, *found = json_object();
	struct tl_eth_store *st = NULL;
	if (!rc) {
		json_error_t je;
		o = json_load_file(out, 0, &je);
		if (!o) rc = -1, snprintf(msg, cap, "%s: %s", out, je.text);
	}
	struct tl_err err = { 0 };
	struct tl_eth_store_opts so = { .read_only = true };
	if (!rc && !heuristic && tl_eth_store_open((snprintf(out, sizeof out, "%s/db", r->dir), out), &so, &st, &err))
		rc = -1, snprintf(msg, cap, "%s", err.msg);
	json_t *e;
	json_array_foreach(rc ? NULL : json_object_get(o, "endpoints"), i, e) {
		s->endpoints++;
		json_t *tag = json_object_get(e, "tag");
		const char *cat = json_string_value(json_object_get(tag, "category"));
		if (!cat || strcmp(cat, "exchange")) continue;
		if (heuristic) {
			const char *src = json_string_value(json_object_get(tag, "source"));
			if (src && !strcmp(src, "deposit-address heuristic"))
				json_object_set_new(found, json_string_value(json_object_get(e, "address")), json_true());
			continue;
		}
		const char *tx = json_string_value(json_object_get(e, "tx"));
		uint8_t hash[32];
		struct tl_eth_tx_rec tr;
		if (!tx || tl_eth_hex_bytes(tx, strlen(tx), hash, 32) || tl_eth_store_tx(st, hash, &tr, &err) != 1) continue;
		char hx[43];
		json_object_set_new(found, tl_eth_addr_hex(tr.from, hx), json_true());
	}
	if (!rc) {
		const char *k;
		json_t *v;
		s->found = json_object_size(found);
		json_object_foreach(found, k, v) {
			s->hit += json_object_get(own, k) != NULL;
			s->hit_want += json_object_get(want, k) != NULL;
		}
		s->conserved = !strcmp(policy, "poison") || balanced(json_object_get(o, "totals"), s->unbalanced,
		                                                       sizeof s->unbalanced);
	}
	tl_eth_store_close(st);
	json_decref(o);
	json_decref(found);
	json_decref(want);
	json_decref(own);
	return rc;
}
