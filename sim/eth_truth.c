/* Ground truth of the Ethereum simulator: truth.json (parameters,
 * contracts, entities, and per heist the seeds, every transaction and
 * where every stolen wei went), tags.csv (the format `taintline tags
 * import` reads) and heists.json (the heist registry format). Amounts
 * are decimal strings in base units; assets are "ETH" or the token
 * contract's lower-case address. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sim/eth_internal.h"

static const char *chain_name(const struct esim *s) { return s->p.mainnet ? "ethereum" : "ethereum-dev"; }

static json_t *jaddr(const struct esim *s, int32_t a)
{
	char h[43];
	esim_hex(s->a[a].addr, 20, h);
	return json_string(h);
}

static json_t *jhash(const uint8_t h[32])
{
	char x[67];
	esim_hex(h, 32, x);
	return json_string(x);
}

static json_t *jamount(u128 v)
{
	char d[40];
	esim_u128_dec(v, d);
	return json_string(d);
}

static void asset_key(const struct esim *s, int asset, char out[43])
{
	if (asset == A_ETH) strcpy(out, "ETH");
	else esim_hex(s->a[asset == A_WETH ? s->weth : asset == A_TKN ? s->tkn : s->stk].addr, 20, out);
}

static json_t *event_json(const struct esim *s, const struct eh_event *e, const char *from_key, const char *to_key)
{
	char k[43];
	json_t *o = json_object();
	json_object_set_new(o, "tx", jhash(e->tx));
	json_object_set_new(o, "block", json_integer(e->block));
	if (from_key) json_object_set_new(o, from_key, jaddr(s, e->from));
	if (to_key) json_object_set_new(o, to_key, jaddr(s, e->to));
	asset_key(s, e->asset, k);
	json_object_set_new(o, "asset", json_string(k));
	json_object_set_new(o, "amount", jamount(e->amount));
	return o;
}

static json_t *events_json(const struct esim *s, const struct eh_list *l, const char *fk, const char *tk)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++) json_array_append_new(a, event_json(s, &l->v[i], fk, tk));
	return a;
}

static json_t *seeds_json(const struct esim *s, const struct eheist *h)
{
	json_t *a = json_array();
	json_array_append_new(a, json_pack("{s:o}", "txid", jhash(h->drain_tx[0])));
	if (h->stolen[A_STK]) json_array_append_new(a, json_pack("{s:o}", "txid", jhash(h->drain_tx[1])));
	json_array_append_new(a, json_pack("{s:o,s:o}", "txid", jhash(h->drain_tx[0]), "to", jaddr(s, h->exploiter)));
	return a;
}

static const char *flow_names[F_N] = { "drained", "converted_in", "clean_in", "mixer_in", "cashouts", "mixed",
				       "bridged", "converted_out", "other_out", "fees" };

static void heist_accounts(const struct eheist *h, int32_t **out, size_t *n)
{
	size_t k = 4 + h->n_split + h->n_postmix;
	int32_t *v = malloc(k * sizeof *v);
	if (!v) abort();
	size_t i = 0;
	v[i++] = h->exploiter; v[i++] = h->oper; v[i++] = h->inter; v[i++] = h->consol;
	for (uint32_t j = 0; j < h->n_split; j++) v[i++] = h->split[j];
	for (uint32_t j = 0; j < h->n_postmix; j++) v[i++] = h->postmix[j];
	*out = v;
	*n = i;
}

/* Returns the heist's object, or NULL when its books do not balance
 * (a simulator bug, reported by the caller). */
static json_t *heist_json(const struct esim *s, const struct eheist *h)
{
	static const char *route_names[] = { "consolidate", "bridge", "cashout", "mix", "dormant" };
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(h->id));
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "happened", json_boolean(h->happened));
	if (!h->happened) return o;
	json_object_set_new(o, "date", json_string(h->date));
	json_object_set_new(o, "block", json_integer(h->h_theft));
	char ex[32];
	snprintf(ex, sizeof ex, "exchange-%d", h->victim_ex + 1);
	json_object_set_new(o, "victim", json_pack("{s:s,s:o}", "exchange", ex, "address", jaddr(s, h->victim)));
	json_object_set_new(o, "exploiter", jaddr(s, h->exploiter));
	json_object_set_new(o, "operator", jaddr(s, h->oper));
	json_object_set_new(o, "intermediary", jaddr(s, h->inter));
	json_object_set_new(o, "consolidation", jaddr(s, h->consol));
	json_t *sp = json_array();
	for (uint32_t j = 0; j < h->n_split; j++)
		json_array_append_new(sp, json_pack("{s:o,s:s}", "address", jaddr(s, h->split[j]), "route",
						    route_names[h->route[j]]));
	json_object_set_new(o, "split_accounts", sp);
	json_t *pm = json_array();
	for (uint32_t j = 0; j < h->n_postmix; j++) json_array_append_new(pm, jaddr(s, h->postmix[j]));
	json_object_set_new(o, "postmix_accounts", pm);
	json_object_set_new(o, "seeds", seeds_json(s, h));
	json_t *dt = json_pack("{s:o}", "ETH", jhash(h->drain_tx[0]));
	if (h->stolen[A_STK]) json_object_set_new(dt, "staking_token", jhash(h->drain_tx[1]));
	json_object_set_new(o, "drain_txs", dt);
	char k[43];
	json_t *stolen = json_object();
	for (int a = 0; a < A_N; a++)
		if (h->stolen[a]) { asset_key(s, a, k); json_object_set_new(stolen, k, jamount(h->stolen[a])); }
	json_object_set_new(o, "stolen", stolen);
	/* holdings: what the heist's accounts still hold */
	int32_t *acc;
	size_t na;
	heist_accounts(h, &acc, &na);
	u128 hold[A_N] = { 0 };
	json_t *hl = json_array();
	for (size_t i = 0; i < na; i++)
		for (int a = 0; a < A_N; a++) {
			u128 b = s->a[acc[i]].bal[a];
			if (!b) continue;
			hold[a] += b;
			asset_key(s, a, k);
			json_array_append_new(hl, json_pack("{s:o,s:s,s:o}", "address", jaddr(s, acc[i]), "asset", k,
							    "amount", jamount(b)));
		}
	free(acc);
	json_t *fl = json_object();
	bool balanced = true;
	for (int a = 0; a < A_N; a++) {
		const u128 *f = h->flow[a];
		u128 in = f[F_DRAINED] + f[F_CONVERTED_IN] + f[F_CLEAN_IN] + f[F_MIXER_IN];
		u128 out = f[F_CASHOUT] + f[F_MIXED] + f[F_BRIDGED] + f[F_CONVERTED_OUT] + f[F_OTHER_OUT] + f[F_FEES] + hold[a];
		if (!in && !out) continue;
		if (in != out) balanced = false;
		json_t *x = json_object();
		for (int i = 0; i < F_N; i++) json_object_set_new(x, flow_names[i], jamount(f[i]));
		json_object_set_new(x, "holdings", jamount(hold[a]));
		asset_key(s, a, k);
		json_object_set_new(fl, k, x);
	}
	json_object_set_new(o, "flows", fl);
	json_object_set_new(o, "accounting",
			    json_string("per asset, over the heist's accounts (exploiter, operator, intermediary, "
					"consolidation, split and post-mix accounts): drained + converted_in + clean_in + "
					"mixer_in = cashouts + mixed + bridged + converted_out + other_out + fees + holdings"));
	json_object_set_new(o, "holdings", hl);
	json_t *co = json_array();
	for (size_t i = 0; i < h->cashouts.n; i++) {
		const struct eh_event *e = &h->cashouts.v[i];
		json_t *x = event_json(s, e, "from", "deposit_address");
		snprintf(ex, sizeof ex, "exchange-%d", s->a[e->to].ex + 1);
		json_object_set_new(x, "exchange", json_string(ex));
		json_object_set_new(x, "via", json_string(e->flag == 1 ? "mixer" : e->flag == 2 ? "consolidation" : "split"));
		json_array_append_new(co, x);
	}
	json_object_set_new(o, "cashouts", co);
	json_t *br = events_json(s, &h->bridged, "from", NULL);
	for (size_t i = 0; i < h->bridged.n; i++)
		json_object_set_new(json_array_get(br, i), "memo", json_string(h->bridged.v[i].memo));
	json_object_set_new(o, "bridged", br);
	json_object_set_new(o, "mixer_deposits", events_json(s, &h->mixed, "from", NULL));
	json_object_set_new(o, "mixer_withdrawals", events_json(s, &h->unmixed, NULL, "to"));
	json_t *sw = events_json(s, &h->swaps, "from", NULL);
	for (size_t i = 0; i < h->swaps.n; i++) {
		json_t *x = json_array_get(sw, i);
		json_object_set_new(x, "received_asset", json_string("ETH"));
		json_object_set_new(x, "received", jamount(h->swaps.v[i].amount2));
	}
	json_object_set_new(o, "swaps", sw);
	json_object_set_new(o, "clean_funds", events_json(s, &h->clean, "from", "to"));
	json_t *tx = json_array();
	for (const char *p = h->txs.s; p && p < h->txs.s + h->txs.len; p += strlen(p) + 1)
		json_array_append_new(tx, json_string(p));
	json_object_set_new(o, "txs", tx);
	if (!balanced) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int put(FILE *f, const char *key, json_t *v, bool last)
{
	int rc = fprintf(f, "  \"%s\": ", key) < 0 ? -1 : 0;
	if (!rc) rc = json_dumpf(v, f, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!rc) rc = fputs(last ? "\n" : ",\n", f) < 0 ? -1 : 0;
	json_decref(v);
	return rc;
}

static int addr_list(FILE *f, const struct esim *s, uint8_t kind, int ex, int attacker)
{
	int rc = 0, first = 1;
	for (size_t i = 0; i < s->n_a; i++) {
		const struct eacct *a = &s->a[i];
		if (a->kind != kind || (ex >= 0 && a->ex != ex) || (attacker >= 0 && (a->attacker_dep != 0) != attacker))
			continue;
		char h[43];
		esim_hex(a->addr, 20, h);
		rc |= fprintf(f, "%s\"%s\"", first ? "" : ",", h) < 0;
		first = 0;
	}
	return rc;
}

static int write_truth_json(struct esim *s, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) return tl_err_set(s->err, "cannot write %s: %s", path, strerror(errno));
	int rc = fputs("{\n  \"generator\": \"taintline simulate --chain ethereum\",\n  \"format\": 1,\n", f) < 0;
	char seed[24];
	snprintf(seed, sizeof seed, "%" PRIu64, s->p.seed);
	rc |= put(f, "parameters",
		  json_pack("{s:s,s:i,s:i,s:i,s:s}", "seed", seed, "blocks", (json_int_t)s->p.blocks, "txs_per_block",
			    (json_int_t)s->p.txs_per_block, "heists", (json_int_t)s->p.heists, "chain", chain_name(s)),
		  false);
	char k[43];
	json_t *ch = json_object();
	json_object_set_new(ch, "chain", json_string(chain_name(s)));
	json_object_set_new(ch, "chain_id", json_integer(s->p.mainnet ? 1 : 1337));
	json_object_set_new(ch, "tip", json_integer(s->b.number));
	json_object_set_new(ch, "tip_hash", jhash(s->b.hash));
	json_object_set_new(ch, "transactions", json_integer((json_int_t)s->n_txs));
	json_object_set_new(ch, "failed_transactions", json_integer((json_int_t)s->n_failed));
	json_object_set_new(ch, "burned_base_fees", jamount(s->burned));
	json_object_set_new(ch, "withdrawals_total", jamount(s->minted_eth));
	json_object_set_new(ch, "prior_funds",
			    json_string("none: block 1's EIP-4895 withdrawals pre-fund every initial account and block 2 "
					"mints the tokens (Transfer logs from the zero address); every balance is "
					"explained by the exported blocks"));
	rc |= put(f, "chain", ch, false);
	json_t *as = json_object();
	json_object_set_new(as, "ETH", json_pack("{s:s,s:i}", "symbol", "ETH", "decimals", 18));
	asset_key(s, A_WETH, k);
	json_object_set_new(as, k, json_pack("{s:s,s:i}", "symbol", "WETH", "decimals", 18));
	asset_key(s, A_TKN, k);
	json_object_set_new(as, k, json_pack("{s:s,s:i}", "symbol", "SUSD", "decimals", 6));
	asset_key(s, A_STK, k);
	json_object_set_new(as, k, json_pack("{s:s,s:i,s:s}", "symbol", "SSTETH", "decimals", 18, "kind", "staking token"));
	rc |= put(f, "assets", as, false);
	char denom[40];
	esim_u128_dec(100 * ETHER, denom);
	rc |= put(f, "contracts",
		  json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o}", "weth", jaddr(s, s->weth), "token",
			    jaddr(s, s->tkn), "staking_token", jaddr(s, s->stk), "dex_pool", jaddr(s, s->pool), "mixer",
			    jaddr(s, s->mixer), "mixer_denomination", denom, "router", jaddr(s, s->router),
			    "router_vault", jaddr(s, s->vault), "batch_payments", jaddr(s, s->multisend), "relayer",
			    jaddr(s, s->relayer), "token_issuer", jaddr(s, s->issuer)),
		  false);
	/* exchanges, streamed: deposit account lists grow with the chain */
	rc |= fputs("  \"exchanges\": [", f) < 0;
	for (int e = 0; e < ESIM_EXCHANGES; e++) {
		char h1[43], h2[43];
		esim_hex(s->a[s->hot[e]].addr, 20, h1);
		esim_hex(s->a[s->cold[e]].addr, 20, h2);
		rc |= fprintf(f, "%s\n    {\"id\":\"exchange-%d\",\"name\":\"Simulated exchange %d\",\"hot_wallet\":\"%s\","
			      "\"cold_wallet\":\"%s\",\"customer_deposit_accounts\":[",
			      e ? "," : "", e + 1, e + 1, h1, h2) < 0;
		rc |= addr_list(f, s, K_DEPOSIT, e, 0);
		rc |= fputs("],\"attacker_deposit_accounts\":[", f) < 0;
		rc |= addr_list(f, s, K_DEPOSIT, e, 1);
		rc |= fputs("]}", f) < 0;
	}
	rc |= fputs("\n  ],\n  \"validators\": [", f) < 0;
	rc |= addr_list(f, s, K_VALIDATOR, -1, -1);
	rc |= fputs("],\n  \"users\": [", f) < 0;
	rc |= addr_list(f, s, K_USER, -1, -1);
	rc |= fputs("],\n", f) < 0;
	json_t *hs = json_array();
	for (uint32_t i = 0; i < s->n_h; i++) {
		json_t *x = heist_json(s, &s->h[i]);
		if (!x) {
			json_decref(hs);
			fclose(f);
			return tl_err_set(s->err, "heist %u: its accounting does not balance (simulator bug)", i + 1);
		}
		json_array_append_new(hs, x);
	}
	rc |= put(f, "heists", hs, true);
	rc |= fputs("}\n", f) < 0;
	if (fclose(f)) rc = 1;
	return rc ? tl_err_set(s->err, "cannot write %s: %s", path, strerror(errno)) : 0;
}

static int write_tags(struct esim *s, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	const char *c = chain_name(s);
	int rc = fputs("chain,address,label,category,source,confidence\n", f) < 0;
	char h[43];
#define TAG(acct, label, cat)                                                                              \
	do {                                                                                               \
		esim_hex(s->a[acct].addr, 20, h);                                                          \
		rc |= fprintf(f, "%s,%s,%s,%s,taintline-simulator,100\n", c, h, label, cat) < 0;           \
	} while (0)
	for (int e = 0; e < ESIM_EXCHANGES; e++) {
		char l[48];
		snprintf(l, sizeof l, "Simulated exchange %d hot wallet", e + 1);
		TAG(s->hot[e], l, "exchange");
	}
	TAG(s->pool, "Simulated DEX pool", "service");
	TAG(s->weth, "WETH", "service");
	TAG(s->mixer, "Simulated mixer (100 ETH pool)", "mixer");
	TAG(s->router, "Simulated cross-chain router", "bridge");
	TAG(s->vault, "Simulated cross-chain router vault", "bridge");
#undef TAG
	if (fclose(f)) rc = 1;
	return rc ? -1 : 0;
}

static int write_heists(struct esim *s, const char *path)
{
	json_t *root = json_object(), *a = json_array();
	json_object_set_new(root, "format", json_string("taintline heist registry 1"));
	json_object_set_new(root, "description", json_string("Simulated Bybit-shaped heists (taintline simulate --chain ethereum)"));
	for (uint32_t i = 0; i < s->n_h; i++) {
		const struct eheist *h = &s->h[i];
		if (!h->happened) continue;
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(h->id));
		json_object_set_new(o, "name", json_string(h->name));
		json_object_set_new(o, "date", json_string(h->date));
		json_object_set_new(o, "chain", json_string(chain_name(s)));
		json_object_set_new(o, "chains", json_pack("[s]", chain_name(s)));
		json_object_set_new(
			o, "attribution",
			json_pack("{s:s,s:s,s:s}", "authority", "taintline simulator (simulated, not a real attribution)",
				  "document", "Simulated heist shaped like public accounts of the Bybit theft; see docs/simulator.md",
				  "url", "https://example.invalid/taintline/simulated"));
		json_object_set_new(o, "seeds", seeds_json(s, h));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "heists", a);
	int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return rc;
}

int esim_write_truth(struct esim *s, const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", dir);
	if (write_truth_json(s, path)) return -1;
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	if (write_tags(s, path)) return tl_err_set(s->err, "cannot write %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/heists.json", dir);
	if (write_heists(s, path)) return tl_err_set(s->err, "cannot write %s: %s", path, strerror(errno));
	return 0;
}
