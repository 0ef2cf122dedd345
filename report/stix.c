/* STIX 2.1 bundle of a trace; see export.h and docs/sharing.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/export.h"
#include "report/sign.h"
#include "report/stix_build.h"
#include "report/uuid.h"

#define EXT_WALLET "extension-definition--be78509e-6958-51b1-8b26-d17ee0eba2d7"
#define EXT_TX "extension-definition--151d042d-4dcf-5e44-843f-1024440318e5"
/* Objects the published extension definitions refer to (their author's
 * identity and statement markings), reconstructed from the generator
 * the authors publish, so that every reference resolves in the bundle. */
#define EXT_AUTHOR "identity--9779a2db-f98c-5f4b-8d08-8ee04e02dbb5"
#define EXT_MARK "marking-definition--60c0f466-511a-5419-9f7e-4814e696da40"
#define EXT_MARK2 "marking-definition--97ba4e8b-04f6-57e8-8f6e-3a0f0a7dc0fb"
#define EXT_CREATED "2020-01-01T00:00:00.000Z"
#define TLP_CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

void tl_sat_to_btc(unsigned long long sat, char out[32])
{
	snprintf(out, 32, "%llu.%08llu", sat / 100000000ull, sat % 100000000ull);
}

/* "type--uuid5(taintline ns, type ':' key)". */
static void sdo_id(const char *type, const char *key, char *out, size_t cap)
{
	char name[1024], u[37];
	int n = snprintf(name, sizeof name, "%s:%s", type, key);
	tl_uuid5(TL_UUID_NS_TAINTLINE, name, n > 0 && (size_t)n < sizeof name ? (size_t)n : sizeof name - 1, u);
	snprintf(out, cap, "%s--%s", type, u);
}

/* Adds obj (stolen), marked with the export's TLP level. */
static void add(struct tl__stix_bld *b, json_t *obj)
{
	json_object_set_new(obj, "object_marking_refs", json_pack("[s]", b->marking));
	json_object_set_new(b->ids, json_string_value(json_object_get(obj, "id")), json_true());
	json_array_append_new(b->objs, obj);
}

/* An SDO/SRO with the common properties. */
static json_t *sdo(struct tl__stix_bld *b, const char *type, const char *id)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "spec_version", "2.1", "id", id, "created",
	                 b->created, "modified", b->created, "created_by_ref", b->producer_id);
}

static const char *wallet(struct tl__stix_bld *b, const char *address)
{
	json_t *have = json_object_get(b->wallets, address);
	if (have) return json_string_value(have);
	/* STIX 2.1 §2.9: UUIDv5 over the canonical JSON of the id-contributing
	 * properties; for this extension's wallets that is the value. */
	json_t *contrib = json_pack("{s:s}", "value", address);
	char *c = NULL, id[96], u[37];
	size_t n = 0;
	if (tl_canonical_json(contrib, &c, &n, NULL)) abort();
	json_decref(contrib);
	tl_uuid5(TL_UUID_NS_STIX_SCO, c, n, u);
	free(c);
	snprintf(id, sizeof id, "cryptocurrency-wallet--%s", u);
	add(b, json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s}}}", "type", "cryptocurrency-wallet", "spec_version", "2.1", "id", id,
	                 "value", address, "extensions", EXT_WALLET, "extension_type", "new-sco"));
	json_object_set_new(b->wallets, address, json_string(id));
	return json_string_value(json_object_get(b->wallets, address));
}

static void tx_id(const char *txid, char *out, size_t cap)
{
	json_t *contrib = json_pack("{s:s,s:s}", "symbol", "BTC", "value", txid);
	char *c = NULL, u[37];
	size_t n = 0;
	if (tl_canonical_json(contrib, &c, &n, NULL)) abort();
	json_decref(contrib);
	tl_uuid5(TL_UUID_NS_STIX_SCO, c, n, u);
	free(c);
	snprintf(out, cap, "cryptocurrency-transaction--%s", u);
}

static json_t *btc_real(json_int_t sat) { return json_real((double)sat / 1e8); }

static void add_extension_objects(struct tl__stix_bld *b)
{
	/* the two extension definitions as published (their own markings) */
	static const struct { const char *id, *name, *desc, *file; } ext[] = {
		{ EXT_WALLET, "CryptocurrencyWallet",
		  "This extension creates a new SCO that can be used to represent cryptocurrency wallets.",
		  "cryptocurrency-wallet.json" },
		{ EXT_TX, "CryptocurrencyTransaction",
		  "This extension creates a new SCO that can be used to represent cryptocurrency transactions.",
		  "cryptocurrency-transaction.json" },
	};
	for (int i = 0; i < 2; i++) {
		char url[256];
		snprintf(url, sizeof url,
		         "https://raw.githubusercontent.com/muchdogesec/stix2extensions/main/automodel_generated/schemas/scos/%s",
		         ext[i].file);
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:[s,s]}", "type",
		                      "extension-definition", "spec_version", "2.1", "id", ext[i].id, "created_by_ref",
		                      EXT_AUTHOR, "created", EXT_CREATED, "modified", EXT_CREATED, "name", ext[i].name,
		                      "description", ext[i].desc, "schema", url, "version", "1.0", "extension_types",
		                      "new-sco", "object_marking_refs", TLP_CLEAR_ID, EXT_MARK);
		json_object_set_new(b->ids, ext[i].id, json_true());
		json_array_append_new(b->objs, o);
	}
	json_array_append_new(b->objs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s,s]}", "type", "identity",
	                                         "spec_version", "2.1", "id", EXT_AUTHOR, "created", EXT_CREATED,
	                                         "modified", EXT_CREATED, "name", "dogesec", "identity_class",
	                                         "organization", "object_marking_refs", TLP_CLEAR_ID, EXT_MARK2));
	static const struct { const char *id, *what; } marks[] = {
		{ EXT_MARK, "stix2extensions" }, { EXT_MARK2, "stix4doge" } };
	for (int i = 0; i < 2; i++) {
		char st[160];
		snprintf(st, sizeof st, "This object was created using: https://github.com/muchdogesec/%s", marks[i].what);
		json_array_append_new(b->objs,
		                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s},s:[s,s]}", "type", "marking-definition",
		                                "spec_version", "2.1", "id", marks[i].id, "created_by_ref", EXT_AUTHOR,
		                                "created", EXT_CREATED, "definition_type", "statement", "definition",
		                                "statement", st, "object_marking_refs", TLP_CLEAR_ID, EXT_MARK2));
	}
	json_object_set_new(b->ids, EXT_AUTHOR, json_true());
	json_object_set_new(b->ids, EXT_MARK, json_true());
	json_object_set_new(b->ids, EXT_MARK2, json_true());
}

/* "txid:vout" -> address of every endpoint and holding (one map, so that
 * resolving the graph's edges stays linear in the trace's size). */
static json_t *outpoint_addresses(const json_t *trace)
{
	json_t *m = json_object();
	static const char *const lists[] = { "endpoints", "holdings" };
	for (int l = 0; l < 2; l++) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(trace, lists[l]), i, e) {
			const char *o = json_string_value(json_object_get(e, "outpoint"));
			const json_t *a = json_object_get(e, "address");
			if (o && json_is_string(a)) json_object_set(m, o, (json_t *)a);
		}
	}
	return m;
}

/* ---- the builder for the case export (stix_build.h) ---- */

void tl__stix_sdo_id(const char *type, const char *key, char *out, size_t cap) { sdo_id(type, key, out, cap); }
void tl__stix_add(struct tl__stix_bld *b, json_t *obj) { add(b, obj); }
json_t *tl__stix_sdo(struct tl__stix_bld *b, const char *type, const char *id) { return sdo(b, type, id); }
const char *tl__stix_wallet(struct tl__stix_bld *b, const char *address) { return wallet(b, address); }
void tl__stix_tx_id(const char *txid, char *out, size_t cap) { tx_id(txid, out, cap); }

void tl__stix_begin(struct tl__stix_bld *b, enum tl_tlp tlp, const char *producer)
{
	json_array_append_new(b->objs, tl_tlp_marking(tlp));
	json_object_set_new(b->ids, tl_tlp_marking_id(tlp), json_true());
	if (tlp != TL_TLP_CLEAR) {
		json_array_append_new(b->objs, tl_tlp_marking(TL_TLP_CLEAR));
		json_object_set_new(b->ids, TLP_CLEAR_ID, json_true());
	}
	add_extension_objects(b);
	json_t *ident = sdo(b, "identity", b->producer_id);
	json_object_del(ident, "created_by_ref");
	json_object_set_new(ident, "name", json_string(producer));
	json_object_set_new(ident, "identity_class", json_string("organization"));
	add(b, ident);
}

int tl__stix_is_meta(const struct tl__stix_bld *b, const json_t *obj)
{
	const char *t = json_string_value(json_object_get(obj, "type"));
	const char *oid = json_string_value(json_object_get(obj, "id"));
	return !t || !oid || !strcmp(t, "marking-definition") || !strcmp(t, "extension-definition") ||
	       (!strcmp(t, "identity") && (!strcmp(oid, b->producer_id) || !strcmp(oid, EXT_AUTHOR)));
}

int tl_stix_export(const json_t *trace, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
{
	*out = NULL;
	const json_t *prov = json_object_get(trace, "provenance");
	const char *gen0 = json_string_value(json_object_get(prov, "generated_at"));
	const json_t *graph = json_object_get(trace, "graph");
	if (!gen0 || strlen(gen0) != 20 || gen0[19] != 'Z' || !json_is_object(graph))
		return tl_err_set(err, "not a trace result (no provenance.generated_at or graph)");
	/* STIX wants created/modified to the millisecond */
	char gen[32];
	snprintf(gen, sizeof gen, "%.19s.000Z", gen0);
	const json_t *heist = json_array_get(json_object_get(prov, "heists"), 0);
	const char *producer = o->producer ? o->producer : "taintline";
	char producer_id[96], id[128];
	sdo_id("identity", producer, producer_id, sizeof producer_id);
	struct tl__stix_bld b = { .objs = json_array(), .ids = json_object(), .wallets = json_object(),
	                 .marking = tl_tlp_marking_id(o->tlp), .created = gen, .producer_id = producer_id };

	/* TLP markings: the export's level, and CLEAR (the extension objects') */
	json_array_append_new(b.objs, tl_tlp_marking(o->tlp));
	json_object_set_new(b.ids, tl_tlp_marking_id(o->tlp), json_true());
	if (o->tlp != TL_TLP_CLEAR) {
		json_array_append_new(b.objs, tl_tlp_marking(TL_TLP_CLEAR));
		json_object_set_new(b.ids, TLP_CLEAR_ID, json_true());
	}
	add_extension_objects(&b);

	json_t *ident = sdo(&b, "identity", producer_id);
	json_object_del(ident, "created_by_ref");
	json_object_set_new(ident, "name", json_string(producer));
	json_object_set_new(ident, "identity_class", json_string("organization"));
	add(&b, ident);

	const char *hid = json_string_value(json_object_get(heist, "id"));
	const char *hname = json_string_value(json_object_get(heist, "name"));
	const char *actor = json_string_value(json_object_get(heist, "actor"));
	char actor_id[128] = "";
	if (actor) {
		sdo_id("intrusion-set", actor, actor_id, sizeof actor_id);
		json_t *is = sdo(&b, "intrusion-set", actor_id);
		json_object_set_new(is, "name", json_string(actor));
		json_t *refs = json_array();
		const json_t *at = json_object_get(heist, "attribution");
		const char *auth = json_string_value(json_object_get(at, "authority"));
		const char *doc = json_string_value(json_object_get(at, "document"));
		const char *url = json_string_value(json_object_get(at, "url"));
		if (auth) {
			json_t *r = json_pack("{s:s}", "source_name", auth);
			if (doc) json_object_set_new(r, "description", json_string(doc));
			if (url) json_object_set_new(r, "url", json_string(url));
			json_array_append_new(refs, r);
			char d[600];
			snprintf(d, sizeof d, "Attributed by %.200s (%.300s)", auth, doc ? doc : "");
			json_object_set_new(is, "description", json_string(d));
		}
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(heist, "sources"), i, s) {
			const char *u = json_string_value(s);
			if (!u && json_is_object(s)) u = json_string_value(json_object_get(s, "url"));
			if (!u) continue;
			json_array_append_new(refs, strstr(u, "://") ? json_pack("{s:s,s:s}", "source_name", "source", "url", u)
			                                            : json_pack("{s:s,s:s}", "source_name", "source",
			                                                        "description", u));
		}
		if (json_array_size(refs)) json_object_set_new(is, "external_references", refs);
		else json_decref(refs);
		/* the same actor as a threat-actor (who), the intrusion set being
		 * what it does; the set is attributed to it */
		char ta_id[128], rid[128], key[300];
		sdo_id("threat-actor", actor, ta_id, sizeof ta_id);
		json_t *ta = sdo(&b, "threat-actor", ta_id);
		json_object_set_new(ta, "name", json_string(actor));
		if (json_object_get(is, "description")) json_object_set(ta, "description", json_object_get(is, "description"));
		if (json_object_get(is, "external_references"))
			json_object_set_new(ta, "external_references", json_deep_copy(json_object_get(is, "external_references")));
		add(&b, is);
		add(&b, ta);
		snprintf(key, sizeof key, "%s>%s:attributed-to", actor_id, ta_id);
		sdo_id("relationship", key, rid, sizeof rid);
		json_t *r = sdo(&b, "relationship", rid);
		json_object_set_new(r, "relationship_type", json_string("attributed-to"));
		json_object_set_new(r, "source_ref", json_string(actor_id));
		json_object_set_new(r, "target_ref", json_string(ta_id));
		add(&b, r);
	}

	/* wallets of the places the funds reached */
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(trace, "endpoints"), i, e) {
		const char *a = json_string_value(json_object_get(e, "address"));
		if (a) wallet(&b, a);
	}
	json_array_foreach(json_object_get(trace, "holdings"), i, e) {
		const char *a = json_string_value(json_object_get(e, "address"));
		if (a) wallet(&b, a);
	}

	/* transactions: every tx node, with the followed outputs */
	json_t *txids = json_object(); /* txid -> tx object */
	json_t *opaddr = outpoint_addresses(trace);
	json_t *n;
	json_array_foreach(json_object_get(graph, "nodes"), i, n) {
		const char *kind = json_string_value(json_object_get(n, "kind"));
		const char *tid = json_string_value(json_object_get(n, "id"));
		if (!kind || !tid || strcmp(kind, "tx")) continue;
		tx_id(tid, id, sizeof id);
		json_t *t = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s}}}", "type", "cryptocurrency-transaction",
		                      "spec_version", "2.1", "id", id, "symbol", "BTC", "value", tid, "extensions", EXT_TX,
		                      "extension_type", "new-sco");
		json_object_set(txids, tid, t);
		add(&b, t);
	}
	json_array_foreach(json_object_get(graph, "edges"), i, e) {
		const char *from = json_string_value(json_object_get(e, "from"));
		const char *to = json_string_value(json_object_get(e, "to"));
		const char *kind = json_string_value(json_object_get(e, "kind"));
		json_int_t amt = json_integer_value(json_object_get(e, "amount_sat"));
		json_t *ft = from ? json_object_get(txids, from) : NULL;
		if (!ft || !to || !kind) continue;
		char desc[160], rid[128], key[300], btc[32];
		tl_sat_to_btc((unsigned long long)amt, btc);
		const char *target = NULL;
		if (!strcmp(kind, "flow")) {
			json_t *tt = json_object_get(txids, to);
			if (!tt) continue;
			target = json_string_value(json_object_get(tt, "id"));
		} else {
			const char *addr = json_string_value(json_object_get(opaddr, to));
			if (!addr) continue;
			target = wallet(&b, addr);
			json_t *outs = json_object_get(ft, "output");
			if (!outs) {
				outs = json_array();
				json_object_set_new(ft, "output", outs);
			}
			json_array_append_new(outs, json_pack("{s:s,s:o}", "address_ref", target, "amount", btc_real(amt)));
		}
		snprintf(key, sizeof key, "%s>%s:%s", from, to, kind);
		sdo_id("relationship", key, rid, sizeof rid);
		snprintf(desc, sizeof desc, "%s BTC (%lld sat) of the stolen funds moved here (%s)", btc, (long long)amt,
		         kind);
		json_t *r = sdo(&b, "relationship", rid);
		json_object_set_new(r, "relationship_type", json_string("transfers-to"));
		json_object_set_new(r, "source_ref", json_string(json_string_value(json_object_get(ft, "id"))));
		json_object_set_new(r, "target_ref", json_string(target));
		json_object_set_new(r, "description", json_string(desc));
		json_object_set_new(r, "x_taintline_amount_sat", json_integer(amt));
		add(&b, r);
	}
	json_decref(txids);
	json_decref(opaddr);

	/* indicators: addresses still holding stolen funds should be blocked */
	json_array_foreach(json_object_get(trace, "holdings"), i, e) {
		const char *a = json_string_value(json_object_get(e, "address"));
		if (!a) continue;
		char pat[200], name[300], iid[128], btc[32];
		json_int_t amt = json_integer_value(json_object_get(e, "amount_sat"));
		tl_sat_to_btc((unsigned long long)amt, btc);
		snprintf(pat, sizeof pat, "[cryptocurrency-wallet:value = '%s']", a);
		snprintf(name, sizeof name, "Holds %s BTC from %s", btc, hname ? hname : hid ? hid : "the traced theft");
		sdo_id("indicator", a, iid, sizeof iid);
		if (json_object_get(b.ids, iid)) continue; /* one per address */
		json_t *ind = sdo(&b, "indicator", iid);
		json_object_set_new(ind, "name", json_string(name));
		json_object_set_new(ind, "indicator_types", json_pack("[s]", "malicious-activity"));
		json_object_set_new(ind, "pattern", json_string(pat));
		json_object_set_new(ind, "pattern_type", json_string("stix"));
		json_object_set_new(ind, "valid_from", json_string(gen));
		add(&b, ind);
		char rid[128], key[300];
		snprintf(key, sizeof key, "%s>%s:based-on", iid, wallet(&b, a));
		sdo_id("relationship", key, rid, sizeof rid);
		json_t *r = sdo(&b, "relationship", rid);
		json_object_set_new(r, "relationship_type", json_string("based-on"));
		json_object_set_new(r, "source_ref", json_string(iid));
		json_object_set_new(r, "target_ref", json_string(wallet(&b, a)));
		add(&b, r);
		if (actor) {
			snprintf(key, sizeof key, "%s>%s:indicates", iid, actor_id);
			sdo_id("relationship", key, rid, sizeof rid);
			r = sdo(&b, "relationship", rid);
			json_object_set_new(r, "relationship_type", json_string("indicates"));
			json_object_set_new(r, "source_ref", json_string(iid));
			json_object_set_new(r, "target_ref", json_string(actor_id));
			add(&b, r);
		}
	}

	/* the report: the theft and its trace, naming every object but markings,
	 * extension definitions and the producer */
	char rid[128], rname[400], rdesc[1200];
	const json_t *tip = json_object_get(trace, "tip");
	const json_t *tot = json_object_get(trace, "totals");
	/* one report per heist, whenever traced: a later export is a new
	 * version of the same object (its "modified"), so that a partner
	 * updates the heist it imported rather than adding another */
	if (hid) snprintf(rid, sizeof rid, "%s", hid);
	else snprintf(rid, sizeof rid, "trace/%s", gen);
	sdo_id("report", rid, id, sizeof id);
	snprintf(rname, sizeof rname, "Trace of %s", hname ? hname : hid ? hid : "stolen funds");
	char s1[32], s2[32], s3[32];
	tl_sat_to_btc((unsigned long long)json_integer_value(json_object_get(tot, "seeded_sat")), s1);
	tl_sat_to_btc((unsigned long long)json_integer_value(json_object_get(tot, "endpoints_sat")), s2);
	tl_sat_to_btc((unsigned long long)json_integer_value(json_object_get(tot, "holdings_sat")), s3);
	snprintf(rdesc, sizeof rdesc,
	         "%s BTC seeded; %s BTC reached services (endpoints), %s BTC still held. Policy %s on %s at height %lld "
	         "(%s); %s.",
	         s1, s2, s3, json_string_value(json_object_get(trace, "policy")) ?: "?",
	         json_string_value(json_object_get(trace, "network")) ?: "?",
	         (long long)json_integer_value(json_object_get(tip, "height")),
	         json_string_value(json_object_get(tip, "hash")) ?: "?",
	         json_string_value(json_object_get(prov, "software")) ?: "taintline");
	json_t *rep = sdo(&b, "report", id);
	json_object_set_new(rep, "name", json_string(rname));
	json_object_set_new(rep, "description", json_string(rdesc));
	json_object_set_new(rep, "report_types", json_pack("[s,s]", "threat-actor", "indicator"));
	json_object_set_new(rep, "published", json_string(gen));
	json_t *refs = json_array();
	json_array_foreach(b.objs, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *oid = json_string_value(json_object_get(e, "id"));
		if (!strcmp(t, "marking-definition") || !strcmp(t, "extension-definition") ||
		    (!strcmp(t, "identity") && (!strcmp(oid, producer_id) || !strcmp(oid, EXT_AUTHOR))))
			continue;
		json_array_append_new(refs, json_string(oid));
	}
	json_object_set_new(rep, "object_refs", refs);
	/* seed_outputs: where the theft starts ("txid" or "txid:vout"), so that
	 * an importer can seed exactly the stolen outputs */
	json_t *x = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "heist", hid ? json_string(hid) : json_null(), "tip", tip,
	                      "network", json_object_get(trace, "network"), "policy", json_object_get(trace, "policy"),
	                      "params", json_object_get(trace, "params"), "totals", tot, "seed_outputs",
	                      json_object_get(trace, "seed_outputs"));
	json_decref(json_object_get(x, "heist")); /* O took its own reference */
	json_object_set_new(rep, "x_taintline_trace", x);
	add(&b, rep);

	char bid[128];
	snprintf(rid, sizeof rid, "%s/%s/%s", hid ? hid : "trace", gen, tl_tlp_name(o->tlp));
	sdo_id("bundle", rid, bid, sizeof bid);
	*out = json_pack("{s:s,s:s,s:o}", "type", "bundle", "id", bid, "objects", b.objs);
	json_decref(b.ids);
	json_decref(b.wallets);
	return *out ? 0 : tl_err_set(err, "out of memory");
}

static int check_refs(const json_t *v, const json_t *ids, const char *key, char *reason, size_t cap)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
			if (!check_refs(x, ids, k, reason, cap)) return 0;
		return 1;
	}
	size_t kl = key ? strlen(key) : 0;
	int is_ref = kl > 4 && !strcmp(key + kl - 4, "_ref");
	int is_refs = kl > 5 && !strcmp(key + kl - 5, "_refs");
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (is_refs && json_is_string(x)) {
				if (!json_object_get(ids, json_string_value(x))) {
					snprintf(reason, cap, "%s names %s, which is not in the bundle", key,
					         json_string_value(x));
					return 0;
				}
			} else if (!check_refs(x, ids, NULL, reason, cap)) {
				return 0;
			}
		}
		return 1;
	}
	if (is_ref && json_is_string(v) && !json_object_get(ids, json_string_value(v))) {
		snprintf(reason, cap, "%s names %s, which is not in the bundle", key, json_string_value(v));
		return 0;
	}
	return 1;
}

int tl_stix_refs_resolve(const json_t *bundle, char *reason, size_t cap)
{
	const json_t *objs = json_object_get(bundle, "objects");
	if (!json_is_array(objs)) {
		snprintf(reason, cap, "no objects array");
		return 0;
	}
	json_t *ids = json_object();
	size_t i;
	json_t *o;
	int ok = 1;
	json_array_foreach(objs, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		if (!id) {
			snprintf(reason, cap, "objects[%zu] has no id", i);
			ok = 0;
			break;
		}
		if (json_object_get(ids, id)) {
			snprintf(reason, cap, "id %s appears twice", id);
			ok = 0;
			break;
		}
		json_object_set_new(ids, id, json_true());
	}
	if (ok)
		json_array_foreach(objs, i, o)
			if (!check_refs(o, ids, NULL, reason, cap)) {
				ok = 0;
				break;
			}
	json_decref(ids);
	return ok;
}
