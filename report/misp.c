/* MISP event of a trace; see export.h and docs/sharing.md. Objects follow
 * the MISP object templates btc-wallet (addresses still holding stolen
 * funds), coin-address (the services the funds reached) and
 * btc-transaction (the transactions of the trace). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/case_export.h"
#include "report/export.h"
#include "report/uuid.h"

/* Template uuids and versions of the MISP object templates used. */
#define T_WALLET_UUID "22910C83-DD0E-4ED2-9823-45F8CAD562A4"
#define T_WALLET_VER "3"
#define T_TX_UUID "B7341729-5A8A-439F-A775-6D814DA3C7B5"
#define T_TX_VER "4"
#define T_COIN_UUID "d0e6997e-78da-4815-a6a1-cfc1c1cb8a46"
#define T_COIN_VER "7"

static void uid(const char *key, char out[37]) { tl_uuid5(TL_UUID_NS_TAINTLINE, key, strlen(key), out); }

/* One attribute of an object: relation, MISP type, value (text). */
static json_t *attr(const char *objkey, const char *rel, const char *type, const char *value, int to_ids)
{
	char key[600], u[37];
	snprintf(key, sizeof key, "misp-attr:%s:%s", objkey, rel);
	uid(key, u);
	const char *cat = !strcmp(type, "btc") ? "Financial fraud" : "Other";
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "uuid", u, "object_relation", rel, "type", type, "category",
	                 cat, "value", value, "to_ids", to_ids, "disable_correlation", 0);
}

static json_t *object(const char *name, const char *tuuid, const char *tver, const char *key, const char *comment,
                      const char *ts)
{
	char k[600], u[37];
	snprintf(k, sizeof k, "misp-object:%s:%s", name, key);
	uid(k, u);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "name", name, "meta-category", "financial",
	                 "template_uuid", tuuid, "template_version", tver, "uuid", u, "comment", comment ? comment : "",
	                 "distribution", "5", "timestamp", ts, "Attribute", json_array());
}

/* Unix seconds of "YYYY-MM-DDTHH:MM:SSZ" as text (MISP's timestamps). */
static void unix_text(const char *iso, char out[24])
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		snprintf(out, 24, "0");
		return;
	}
	snprintf(out, 24, "%lld", (long long)timegm(&tm));
}

int tl_misp_export(const json_t *trace, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
{
	*out = NULL;
	const json_t *prov = json_object_get(trace, "provenance");
	const char *gen = json_string_value(json_object_get(prov, "generated_at"));
	const json_t *graph = json_object_get(trace, "graph");
	if (!gen || !json_is_object(graph)) return tl_err_set(err, "not a trace result (no provenance or graph)");
	const json_t *heist = json_array_get(json_object_get(prov, "heists"), 0);
	const char *hid = json_string_value(json_object_get(heist, "id"));
	const char *hname = json_string_value(json_object_get(heist, "name"));
	const char *actor = json_string_value(json_object_get(heist, "actor"));
	const char *producer = o->producer ? o->producer : "taintline";
	char ts[24], eu[37], ou[37], key[600], date[11];
	unix_text(gen, ts);
	snprintf(date, sizeof date, "%.10s", gen);
	snprintf(key, sizeof key, "misp-event:%s:%s:%s", hid ? hid : "trace", gen, tl_tlp_name(o->tlp));
	uid(key, eu);
	snprintf(key, sizeof key, "organisation:%s", producer);
	uid(key, ou);
	char info[400], tag[32];
	snprintf(info, sizeof info, "Trace of %s (%s policy, height %lld)", hname ? hname : hid ? hid : "stolen funds",
	         json_string_value(json_object_get(trace, "policy")) ? json_string_value(json_object_get(trace, "policy"))
	                                                             : "?",
	         (long long)json_integer_value(json_object_get(json_object_get(trace, "tip"), "height")));
	snprintf(tag, sizeof tag, "tlp:%s", tl_tlp_name(o->tlp));
	json_t *objs = json_array();
	size_t i;
	json_t *e;
	/* addresses still holding stolen funds: btc-wallet, to block */
	json_array_foreach(json_object_get(trace, "holdings"), i, e) {
		const char *a = json_string_value(json_object_get(e, "address"));
		const char *op = json_string_value(json_object_get(e, "outpoint"));
		if (!a || !op) continue;
		char btc[32], c[200];
		tl_sat_to_btc((unsigned long long)json_integer_value(json_object_get(e, "amount_sat")), btc);
		snprintf(c, sizeof c, "holds stolen funds at %.80s", op);
		json_t *ob = object("btc-wallet", T_WALLET_UUID, T_WALLET_VER, op, c, ts);
		json_t *at = json_object_get(ob, "Attribute");
		json_array_append_new(at, attr(op, "wallet-address", "btc", a, 1));
		json_array_append_new(at, attr(op, "BTC_received", "float", btc, 0));
		json_array_append_new(objs, ob);
	}
	/* services the funds reached: coin-address */
	json_array_foreach(json_object_get(trace, "endpoints"), i, e) {
		const char *a = json_string_value(json_object_get(e, "address"));
		const char *op = json_string_value(json_object_get(e, "outpoint"));
		if (!a || !op) continue;
		const json_t *tg = json_object_get(e, "tag");
		char btc[32], c[300];
		tl_sat_to_btc((unsigned long long)json_integer_value(json_object_get(e, "amount_sat")), btc);
		snprintf(c, sizeof c, "%s BTC of stolen funds reached %.100s (%.40s) at %.80s", btc,
		         json_string_value(json_object_get(tg, "label")) ? json_string_value(json_object_get(tg, "label")) : "",
		         json_string_value(json_object_get(tg, "category")) ? json_string_value(json_object_get(tg, "category"))
		                                                            : "",
		         op);
		json_t *ob = object("coin-address", T_COIN_UUID, T_COIN_VER, op, c, ts);
		json_t *at = json_object_get(ob, "Attribute");
		json_array_append_new(at, attr(op, "address", "btc", a, 0));
		json_array_append_new(at, attr(op, "symbol", "text", "BTC", 0));
		json_array_append_new(at, attr(op, "total-received", "float", btc, 0));
		const char *label = json_string_value(json_object_get(tg, "label"));
		if (label && *label) json_array_append_new(at, attr(op, "text", "text", label, 0));
		json_array_append_new(objs, ob);
	}
	/* transactions of the trace: btc-transaction with the tainted value out */
	json_t *outv = json_object(); /* txid -> sat */
	json_array_foreach(json_object_get(graph, "edges"), i, e) {
		const char *from = json_string_value(json_object_get(e, "from"));
		if (!from) continue;
		json_int_t prev = json_integer_value(json_object_get(outv, from));
		json_object_set_new(outv, from, json_integer(prev + json_integer_value(json_object_get(e, "amount_sat"))));
	}
	json_array_foreach(json_object_get(graph, "nodes"), i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		const char *tid = json_string_value(json_object_get(e, "id"));
		if (!kind || !tid || strcmp(kind, "tx")) continue;
		char btc[32];
		tl_sat_to_btc((unsigned long long)json_integer_value(json_object_get(outv, tid)), btc);
		/* the theft's own transactions say which outputs were stolen, in
		 * the form tl_share_import reads back */
		char marks[400] = "";
		size_t k, ml = 0;
		json_t *so;
		json_array_foreach(json_object_get(trace, "seed_outputs"), k, so) {
			const char *t = json_string_value(json_object_get(so, "txid"));
			const char *op = json_string_value(json_object_get(so, "outpoint"));
			int n = 0;
			if (t && !strcmp(t, tid)) n = snprintf(marks + ml, sizeof marks - ml, "; every output");
			else if (op && strlen(op) > 65 && !strncmp(op, tid, 64) && op[64] == ':')
				n = snprintf(marks + ml, sizeof marks - ml, "; output %.10s", op + 65);
			if (n > 0 && (size_t)n < sizeof marks - ml) ml += (size_t)n;
		}
		char comment[600];
		if (ml) snprintf(comment, sizeof comment, "%s%s", TL_MISP_SEED_MARK, marks);
		else snprintf(comment, sizeof comment, "stolen funds moved out of it (value_BTC)");
		json_t *ob = object("btc-transaction", T_TX_UUID, T_TX_VER, tid, comment, ts);
		json_t *at = json_object_get(ob, "Attribute");
		json_array_append_new(at, attr(tid, "transaction-number", "text", tid, 0));
		json_array_append_new(at, attr(tid, "value_BTC", "float", btc, 0));
		json_array_append_new(objs, ob);
	}
	json_decref(outv);

	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:{s:s,s:s},s:[{s:s}],s:[],s:o}", "uuid", eu, "info", info,
	                       "date", date, "threat_level_id", "1", "analysis", "2", "distribution", "0", "published", 0,
	                       "timestamp", ts, "Orgc", "name", producer, "uuid", ou, "Tag", "name", tag, "Attribute",
	                       "Object", objs);
	if (actor) {
		json_t *refs = json_array();
		const json_t *at = json_object_get(heist, "attribution");
		const char *url = json_string_value(json_object_get(at, "url"));
		if (url) json_array_append_new(refs, json_string(url));
		json_t *s;
		json_array_foreach(json_object_get(heist, "sources"), i, s) {
			const char *u = json_string_value(s);
			if (!u && json_is_object(s)) u = json_string_value(json_object_get(s, "url"));
			if (u) json_array_append_new(refs, json_string(u));
		}
		char cu[37], d[600];
		snprintf(key, sizeof key, "misp-cluster:%s", actor);
		uid(key, cu);
		snprintf(d, sizeof d, "Attributed by %.200s (%.300s)",
		         json_string_value(json_object_get(at, "authority")) ? json_string_value(json_object_get(at, "authority"))
		                                                              : "?",
		         json_string_value(json_object_get(at, "document")) ? json_string_value(json_object_get(at, "document"))
		                                                             : "");
		json_object_set_new(ev, "Galaxy",
		                    json_pack("[{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:{s:o}}]}]", "name", "Threat Actor", "type",
		                              "threat-actor", "namespace", "misp", "GalaxyCluster", "uuid", cu, "type",
		                              "threat-actor", "value", actor, "description", d, "meta", "refs", refs));
	}
	*out = json_pack("{s:o}", "Event", ev);
	return *out ? 0 : tl_err_set(err, "out of memory");
}

int tl_misp_export_case(const json_t *c, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
{
	*out = NULL;
	const char *updated = json_string_value(json_object_get(c, "updated"));
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *notes = json_string_value(json_object_get(c, "notes"));
	json_int_t cid = json_integer_value(json_object_get(c, "id"));
	if (!updated || !name) return tl_err_set(err, "not a normalized case");
	const char *producer = o->producer ? o->producer : "taintline";
	char ts[24], eu[37], ou[37], key[600], date[11], info[400], tag[32];
	unix_text(updated, ts);
	snprintf(date, sizeof date, "%.10s", updated);
	snprintf(key, sizeof key, "misp-event:case/%lld:%s:%s", (long long)cid, updated, tl_tlp_name(o->tlp));
	uid(key, eu);
	snprintf(key, sizeof key, "organisation:%s", producer);
	uid(key, ou);
	snprintf(info, sizeof info, "Case %lld: %.300s", (long long)cid, name);
	snprintf(tag, sizeof tag, "tlp:%s", tl_tlp_name(o->tlp));
	/* what the case says moved into an address, and out of a transaction */
	json_t *in_sat = json_object(), *out_sat = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(c, "flows"), i, f) {
		const char *from = json_string_value(json_object_get(f, "from"));
		const char *to = json_string_value(json_object_get(f, "to"));
		const json_t *a = json_object_get(f, "amount_sat");
		if (!a) continue;
		json_int_t v = json_integer_value(a);
		if (!strncmp(to, "address:", 8))
			json_object_set_new(in_sat, to + 8, json_integer(json_integer_value(json_object_get(in_sat, to + 8)) + v));
		if (!strncmp(from, "tx:", 3))
			json_object_set_new(out_sat, from + 3,
			                    json_integer(json_integer_value(json_object_get(out_sat, from + 3)) + v));
	}
	json_t *objs = json_array(), *v;
	json_array_foreach(json_object_get(c, "addresses"), i, v) {
		const char *a = json_string_value(v);
		char okey[200];
		snprintf(okey, sizeof okey, "case/%lld/%s", (long long)cid, a);
		json_t *ob = object("btc-wallet", T_WALLET_UUID, T_WALLET_VER, okey, "an address of the case", ts);
		json_t *at = json_object_get(ob, "Attribute");
		json_array_append_new(at, attr(okey, "wallet-address", "btc", a, 0));
		const json_t *got = json_object_get(in_sat, a);
		if (got) {
			char btc[32];
			tl_sat_to_btc((unsigned long long)json_integer_value(got), btc);
			json_array_append_new(at, attr(okey, "BTC_received", "float", btc, 0));
		}
		json_array_append_new(objs, ob);
	}
	json_array_foreach(json_object_get(c, "txs"), i, v) {
		const char *t = json_string_value(v);
		char okey[200], btc[32];
		snprintf(okey, sizeof okey, "case/%lld/%s", (long long)cid, t);
		json_t *ob = object("btc-transaction", T_TX_UUID, T_TX_VER, okey, "a transaction of the case", ts);
		json_t *at = json_object_get(ob, "Attribute");
		json_array_append_new(at, attr(okey, "transaction-number", "text", t, 0));
		const json_t *sent = json_object_get(out_sat, t);
		if (sent) {
			tl_sat_to_btc((unsigned long long)json_integer_value(sent), btc);
			json_array_append_new(at, attr(okey, "value_BTC", "float", btc, 0));
		}
		json_array_append_new(objs, ob);
	}
	json_decref(in_sat);
	json_decref(out_sat);
	/* the notes, as the event's comment */
	json_t *attrs = json_array();
	if (notes && *notes) {
		char akey[64], u[37];
		snprintf(akey, sizeof akey, "misp-attr:case/%lld:notes", (long long)cid);
		uid(akey, u);
		json_array_append_new(attrs, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "uuid", u, "type", "comment", "category",
		                                       "Other", "value", notes, "to_ids", 0, "disable_correlation", 1));
	}
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:{s:s,s:s},s:[{s:s}],s:o,s:o}", "uuid", eu, "info", info,
	                       "date", date, "threat_level_id", "2", "analysis", "1", "distribution", "0", "published", 0,
	                       "timestamp", ts, "Orgc", "name", producer, "uuid", ou, "Tag", "name", tag, "Attribute",
	                       attrs, "Object", objs);
	*out = ev ? json_pack("{s:o}", "Event", ev) : NULL;
	return *out ? 0 : tl_err_set(err, "out of memory");
}
