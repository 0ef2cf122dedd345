/* Ground-truth files: truth.json (entities and their addresses, every
 * heist step, CoinJoins, stale txids, parameters), tags.csv (exchanges
 * and the mixer), heists.json (the heist registry format, seeded by the
 * simulated thefts) and sim-state.json (what --extend needs). Big arrays
 * are streamed; jansson encodes the small objects. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"
#include "sim/internal.h"

static const char *kind_name(uint8_t k)
{
	static const char *n[] = { "miner", "user", "exchange", "merchant", "mixer", "attacker" };
	return k < EK_COUNT ? n[k] : "unknown";
}

static json_t *strlist_json(const struct sim_strlist *l)
{
	json_t *a = json_array();
	for (const char *s = l->s; s && s < l->s + l->len; s += strlen(s) + 1) json_array_append_new(a, json_string(s));
	return a;
}

static json_t *params_json(const struct sim_state *st, const char *history)
{
	json_t *p = json_object();
	char seed[24];
	snprintf(seed, sizeof seed, "%" PRIu64, st->p.seed);
	json_object_set_new(p, "seed", json_string(seed));
	json_object_set_new(p, "blocks", json_integer(st->p.blocks));
	json_object_set_new(p, "txs_per_block", json_integer(st->p.txs_per_block));
	json_object_set_new(p, "network", json_string(st->np->name));
	json_object_set_new(p, "fast", json_boolean(st->p.fast));
	/* only when set, so that the demo's files stay byte-identical */
	if (st->p.shape == TL_SIM_SHAPE_MAINNET) json_object_set_new(p, "shape", json_string("mainnet"));
	json_object_set_new(p, "xor", json_boolean(st->p.xor_key));
	json_object_set_new(p, "forks", json_integer(st->p.forks));
	json_t *h = json_loads(history ? history : "[]", 0, NULL);
	json_object_set_new(p, "extensions", h ? h : json_array());
	return p;
}

static json_t *seeds_json(const struct sim_state *st, const struct sim_heist *h)
{
	json_t *a = json_array();
	json_t *s = json_object();
	json_object_set_new(s, "txid", json_string(h->theft_txid));
	json_array_append_new(a, s);
	s = json_object();
	json_object_set_new(s, "txid", json_string(h->theft_txid));
	json_object_set_new(s, "vout", json_integer(1));
	json_array_append_new(a, s);
	s = json_object();
	char until[11];
	sim_date(st->tip_time, until);
	json_object_set_new(s, "address", json_string(h->seed_address));
	json_object_set_new(s, "from", json_string(h->date));
	json_object_set_new(s, "until", json_string(until));
	json_array_append_new(a, s);
	return a;
}

static json_t *attribution_json(void)
{
	json_t *a = json_object();
	json_object_set_new(a, "authority", json_string("taintline simulator (simulated, not a real attribution)"));
	json_object_set_new(a, "document",
			    json_string("Simulated heist modelled on public descriptions of DPRK laundering (peel chains, "
					"CoinJoin, exchange cash-outs); see docs/simulator.md"));
	json_object_set_new(a, "url", json_string("https://example.invalid/taintline/simulated"));
	return a;
}

static json_t *heist_truth(struct sim_state *st, const struct sim_heist *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(h->id));
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "happened", json_boolean(h->theft_txid[0] != 0));
	if (!h->theft_txid[0]) return o;
	json_object_set_new(o, "date", json_string(h->date));
	json_object_set_new(o, "height", json_integer(h->h_theft));
	json_object_set_new(o, "victim", json_string(st->ent[h->victim].id));
	json_object_set_new(o, "attacker", json_string(st->ent[h->attacker].id));
	json_object_set_new(o, "stolen_sat", json_integer((json_int_t)h->stolen));
	json_object_set_new(o, "theft_txid", json_string(h->theft_txid));
	json_object_set_new(o, "seeds", seeds_json(st, h));
	json_object_set_new(o, "attacker_txids", strlist_json(&h->attacker_txs));
	json_object_set_new(o, "coinjoin_txids", strlist_json(&h->coinjoins));
	json_t *pc = json_array();
	for (uint32_t i = 0; i < h->n_peel; i++)
		if (h->peel[i].n) json_array_append_new(pc, strlist_json(&h->peel[i]));
	json_object_set_new(o, "peel_chains", pc);
	json_t *co = json_array();
	uint64_t total = 0;
	for (size_t i = 0; i < h->n_cash; i++) {
		const struct sim_cashout *c = &h->cash[i];
		json_t *x = json_object();
		char op[80];
		snprintf(op, sizeof op, "%s:%u", c->txid, c->vout);
		json_object_set_new(x, "exchange", json_string(st->ent[c->exchange].id));
		json_object_set_new(x, "address", json_string(c->address));
		json_object_set_new(x, "txid", json_string(c->txid));
		json_object_set_new(x, "vout", json_integer(c->vout));
		json_object_set_new(x, "outpoint", json_string(op));
		json_object_set_new(x, "amount_sat", json_integer((json_int_t)c->value));
		json_object_set_new(x, "height", json_integer(c->height));
		json_array_append_new(co, x);
		total += c->value;
	}
	json_object_set_new(o, "cashouts", co);
	json_object_set_new(o, "cashout_total_sat", json_integer((json_int_t)total));
	/* what the attacker still holds from this heist: left dormant */
	json_t *d = json_array();
	uint64_t dormant = 0;
	const struct sim_entity *a = &st->ent[h->attacker];
	uint16_t hid = (uint16_t)(h - st->heists + 1);
	for (size_t i = 0; i < a->w.n; i++) {
		const struct sim_coin *c = &a->w.c[i];
		if (c->heist != hid) continue;
		json_t *x = json_object();
		char txid[65], addr[96];
		tl_hash_to_hex(c->txid, txid);
		sim_address_of(st, c->key, c->type, addr);
		json_object_set_new(x, "txid", json_string(txid));
		json_object_set_new(x, "vout", json_integer(c->vout));
		json_object_set_new(x, "address", json_string(addr));
		json_object_set_new(x, "amount_sat", json_integer((json_int_t)c->value));
		json_object_set_new(x, "planned", json_string(c->role == R_DORMANT ? "dormant" : "not yet moved"));
		json_array_append_new(d, x);
		dormant += c->value;
	}
	json_object_set_new(o, "dormant", d);
	json_object_set_new(o, "dormant_total_sat", json_integer((json_int_t)dormant));
	/* premix coins of the heist still queued at the coordinator */
	json_t *q = json_array();
	for (size_t i = 0; i < st->wq.n; i++) {
		if (st->wq.v[i].c.heist != hid) continue;
		char txid[65];
		tl_hash_to_hex(st->wq.v[i].c.txid, txid);
		json_t *x = json_object();
		json_object_set_new(x, "txid", json_string(txid));
		json_object_set_new(x, "vout", json_integer(st->wq.v[i].c.vout));
		json_object_set_new(x, "amount_sat", json_integer((json_int_t)st->wq.v[i].c.value));
		json_array_append_new(q, x);
	}
	json_object_set_new(o, "queued_premix", q);
	return o;
}

static int put_json(FILE *f, const char *key, json_t *v, bool last)
{
	int rc = fprintf(f, "  \"%s\": ", key) < 0 ? -1 : 0;
	if (!rc) rc = json_dumpf(v, f, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!rc) rc = fputs(last ? "\n" : ",\n", f) < 0 ? -1 : 0;
	json_decref(v);
	return rc;
}

static int write_truth_json(struct sim_state *st, const char *path, const char *history)
{
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	int rc = 0;
	char tip[65];
	tl_hash_to_hex(st->tip_hash, tip);
	rc |= fputs("{\n  \"generator\": \"taintline simulate\",\n  \"format\": 1,\n", f) < 0;
	rc |= put_json(f, "parameters", params_json(st, history), false);
	rc |= put_json(f, "fast", json_boolean(st->p.fast), false);
	rc |= put_json(f, "signatures",
		       json_string(st->p.fast ? "random bytes of the right sizes (--fast): keys and signatures do not verify"
					     : "real: ECDSA (legacy and BIP143 sighash) and BIP340 Schnorr (BIP341 key path)"),
		       false);
	json_t *chain = json_object();
	json_object_set_new(chain, "network", json_string(st->np->name));
	json_object_set_new(chain, "tip_height", json_integer(st->tip));
	json_object_set_new(chain, "tip_hash", json_string(tip));
	json_object_set_new(chain, "transactions", json_integer((json_int_t)st->n_txs));
	rc |= put_json(f, "chain", chain, false);
	/* entities, streamed: address lists can be long */
	rc |= fputs("  \"entities\": [", f) < 0;
	for (size_t i = 0; i < st->n_ent; i++) {
		const struct sim_entity *e = &st->ent[i];
		json_t *head = json_object();
		json_object_set_new(head, "id", json_string(e->id));
		json_object_set_new(head, "kind", json_string(kind_name(e->kind)));
		json_object_set_new(head, "name", json_string(e->name));
		char *hs = json_dumps(head, JSON_COMPACT);
		json_decref(head);
		if (!hs) { rc = 1; break; }
		hs[strlen(hs) - 1] = 0; /* drop the closing brace */
		rc |= fprintf(f, "%s\n    %s,\"addresses\":[", i ? "," : "", hs) < 0;
		free(hs);
		const char *a = e->addrs;
		for (uint32_t j = 0; j < e->n_addrs; j++, a += strlen(a) + 1)
			rc |= fprintf(f, "%s\"%s\"", j ? "," : "", a) < 0;
		rc |= fputs("]}", f) < 0;
	}
	rc |= fputs("\n  ],\n", f) < 0;
	json_t *hs = json_array();
	for (uint32_t i = 0; i < st->n_heists; i++) json_array_append_new(hs, heist_truth(st, &st->heists[i]));
	rc |= put_json(f, "heists", hs, false);
	rc |= put_json(f, "coinjoin_txids", strlist_json(&st->coinjoin_txids), false);
	rc |= put_json(f, "stale_txids", strlist_json(&st->stale_txids), true);
	rc |= fputs("}\n", f) < 0;
	if (fclose(f)) rc = 1;
	return rc ? -1 : 0;
}

static int write_tags(struct sim_state *st, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	int rc = fputs("chain,address,label,category,source,confidence\n", f) < 0;
	for (size_t i = 0; i < st->n_ent; i++) {
		const struct sim_entity *e = &st->ent[i];
		const char *cat = e->kind == EK_EXCHANGE ? "exchange" : e->kind == EK_MIXER ? "mixer" : NULL;
		if (!cat) continue;
		const char *a = e->addrs;
		for (uint32_t j = 0; j < e->n_addrs; j++, a += strlen(a) + 1)
			rc |= fprintf(f, "%s,%s,%s,%s,taintline-simulator,100\n", st->np->tag_chain, a,
				      e->kind == EK_MIXER ? "CoinJoin coordinator" : e->name, cat) < 0;
	}
	if (fclose(f)) rc = 1;
	return rc ? -1 : 0;
}

static int write_heists(struct sim_state *st, const char *path)
{
	json_t *root = json_object(), *a = json_array();
	for (uint32_t i = 0; i < st->n_heists; i++) {
		const struct sim_heist *h = &st->heists[i];
		if (!h->theft_txid[0]) continue;
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(h->id));
		json_object_set_new(o, "name", json_string(h->name));
		json_object_set_new(o, "date", json_string(h->date));
		json_object_set_new(o, "chain", json_string(st->np->tag_chain));
		json_object_set_new(o, "attribution", attribution_json());
		json_object_set_new(o, "seeds", seeds_json(st, h));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "heists", a);
	int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return rc;
}

static int write_state(struct sim_state *st, const char *path, const char *history)
{
	json_t *p = params_json(st, history);
	json_object_set_new(p, "stale_txids", strlist_json(&st->stale_txids));
	json_object_set_new(p, "tip_height", json_integer(st->tip));
	int rc = json_dump_file(p, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(p);
	return rc;
}

int sim_write_truth(struct sim_state *st, const char *dir, const char *history_json, struct tl_err *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", dir);
	if (write_truth_json(st, path, history_json)) return tl_err_set(err, "cannot write %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	if (write_tags(st, path)) return tl_err_set(err, "cannot write %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/heists.json", dir);
	if (write_heists(st, path)) return tl_err_set(err, "cannot write %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/sim-state.json", dir);
	if (write_state(st, path, history_json)) return tl_err_set(err, "cannot write %s: %s", path, strerror(errno));
	return 0;
}
