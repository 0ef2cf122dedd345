/* A case as a STIX 2.1 bundle or a MISP event; see case_export.h. */
#include "report/case_export.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/manifest.h"
#include "report/sign.h"
#include "report/stix_build.h"
#include "store/cases.h"
#include "tracer/trace.h"

static int is_txid(const char *s)
{
	if (!s || strlen(s) != 64) return 0;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p)) return 0;
	return 1;
}

/* Base58 and bech32 addresses use letters and digits only; anything else
 * (a group node's made-up ref, markup) is not an address. */
static int is_address(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 14 || n > 90) return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p)) return 0;
	return 1;
}

int tl_case_normalize(uint64_t id, const json_t *meta, const json_t *graph, json_t **out, struct tl_err *err)
{
	*out = NULL;
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *tlp = json_string_value(json_object_get(meta, "tlp"));
	const char *updated = json_string_value(json_object_get(meta, "updated"));
	enum tl_tlp lv;
	if (!json_is_object(meta) || !name || !tlp || tl_tlp_parse_name(tlp, &lv) || !updated || strlen(updated) != 20)
		return tl_err_set(err, "case %" PRIu64 " is stored damaged (no name, tlp or update time)", id);
	const char *notes = json_string_value(json_object_get(meta, "notes"));
	const char *author = json_string_value(json_object_get(meta, "author"));
	const json_t *snap = json_object_get(graph, "snapshot");
	/* refs: node id -> "tx:TXID" / "address:ADDR"; seen: those added */
	json_t *addrs = json_array(), *txs = json_array(), *flows = json_array(), *refs = json_object(),
	       *seen = json_object();
	json_int_t skipped = 0;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(snap, "nodes"), i, n) {
		const json_t *d = json_object_get(n, "data");
		const char *nid = json_string_value(json_object_get(d, "id"));
		const char *kind = json_string_value(json_object_get(d, "kind"));
		const char *ref = json_string_value(json_object_get(d, "ref"));
		char key[160];
		if (nid && kind && !strcmp(kind, "tx") && is_txid(ref)) {
			char low[65];
			for (int k = 0; k < 65; k++) low[k] = (char)tolower((unsigned char)ref[k]);
			snprintf(key, sizeof key, "tx:%s", low);
			if (!json_object_get(seen, key)) json_array_append_new(txs, json_string(low));
		} else if (nid && kind && !strcmp(kind, "address") && is_address(ref)) {
			snprintf(key, sizeof key, "address:%s", ref);
			if (!json_object_get(seen, key)) json_array_append_new(addrs, json_string(ref));
		} else {
			skipped++;
			continue;
		}
		json_object_set_new(refs, nid, json_string(key));
		json_object_set_new(seen, key, json_true());
	}
	json_t *e;
	json_array_foreach(json_object_get(snap, "edges"), i, e) {
		const json_t *d = json_object_get(e, "data");
		const char *s = json_string_value(json_object_get(d, "source"));
		const char *t = json_string_value(json_object_get(d, "target"));
		const char *from = s ? json_string_value(json_object_get(refs, s)) : NULL;
		const char *to = t ? json_string_value(json_object_get(refs, t)) : NULL;
		if (!from || !to || !strcmp(from, to)) {
			skipped++;
			continue;
		}
		json_t *f = json_pack("{s:s,s:s}", "from", from, "to", to);
		const json_t *a = json_object_get(d, "amount");
		if (json_is_integer(a) && json_integer_value(a) >= 0) json_object_set(f, "amount_sat", (json_t *)a);
		json_array_append_new(flows, f);
	}
	json_decref(refs);
	json_decref(seen);
	const char *heist = json_string_value(json_object_get(graph, "heist"));
	*out = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:I}", "id", (json_int_t)id, "name", name, "notes",
	                 notes ? notes : "", "author", author ? author : "", "tlp", tl_tlp_level_name(lv), "updated",
	                 updated, "heist", heist ? json_string(heist) : json_null(), "addresses", addrs, "txs", txs,
	                 "flows", flows, "skipped", skipped);
	return *out ? 0 : tl_err_set(err, "out of memory");
}

/* The STIX id of a flow end ("tx:..." or "address:..."). */
static const char *end_id(struct tl__stix_bld *b, const char *ref, char *buf, size_t cap)
{
	if (!strncmp(ref, "tx:", 3)) {
		tl__stix_tx_id(ref + 3, buf, cap);
		return buf;
	}
	return tl__stix_wallet(b, ref + 8);
}

int tl_stix_export_case(const json_t *c, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
{
	*out = NULL;
	const char *updated = json_string_value(json_object_get(c, "updated"));
	json_int_t cid = json_integer_value(json_object_get(c, "id"));
	if (!updated || strlen(updated) != 20) return tl_err_set(err, "not a normalized case");
	char gen[32], key[400], producer_id[96], id[128];
	snprintf(gen, sizeof gen, "%.19s.000Z", updated); /* STIX wants milliseconds */
	const char *producer = o->producer ? o->producer : "taintline";
	tl__stix_sdo_id("identity", producer, producer_id, sizeof producer_id);
	struct tl__stix_bld b = { .objs = json_array(), .ids = json_object(), .wallets = json_object(),
	                          .marking = tl_tlp_marking_id(o->tlp), .created = gen, .producer_id = producer_id };
	tl__stix_begin(&b, o->tlp, producer);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(c, "addresses"), i, v) tl__stix_wallet(&b, json_string_value(v));
	json_t *txobj = json_object(); /* txid -> its object (borrowed from the bundle) */
	json_array_foreach(json_object_get(c, "txs"), i, v) {
		const char *t = json_string_value(v);
		tl__stix_tx_id(t, id, sizeof id);
		json_t *x = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s}}}", "type", "cryptocurrency-transaction",
		                      "spec_version", "2.1", "id", id, "symbol", "BTC", "value", t, "extensions",
		                      "extension-definition--151d042d-4dcf-5e44-843f-1024440318e5", "extension_type",
		                      "new-sco");
		json_object_set(txobj, t, x);
		tl__stix_add(&b, x);
	}
	json_array_foreach(json_object_get(c, "flows"), i, v) {
		const char *from = json_string_value(json_object_get(v, "from"));
		const char *to = json_string_value(json_object_get(v, "to"));
		const json_t *amt = json_object_get(v, "amount_sat");
		char fb[128], tb[128], rid[128], desc[200], btc[32];
		const char *fid = end_id(&b, from, fb, sizeof fb), *tid = end_id(&b, to, tb, sizeof tb);
		snprintf(key, sizeof key, "case/%lld/%s>%s", (long long)cid, fid, tid);
		tl__stix_sdo_id("relationship", key, rid, sizeof rid);
		if (json_object_get(b.ids, rid)) continue; /* one per pair */
		json_t *r = tl__stix_sdo(&b, "relationship", rid);
		json_object_set_new(r, "relationship_type", json_string("transfers-to"));
		json_object_set_new(r, "source_ref", json_string(fid));
		json_object_set_new(r, "target_ref", json_string(tid));
		if (amt) {
			tl_sat_to_btc((unsigned long long)json_integer_value(amt), btc);
			snprintf(desc, sizeof desc, "%s BTC (%lld sat) moved here, as the case records it", btc,
			         (long long)json_integer_value(amt));
			json_object_set_new(r, "description", json_string(desc));
			json_object_set(r, "x_taintline_amount_sat", (json_t *)amt);
			/* a transaction's output to a wallet, in the extension's terms */
			json_t *ft = !strncmp(from, "tx:", 3) ? json_object_get(txobj, from + 3) : NULL;
			if (ft && !strncmp(to, "address:", 8)) {
				json_t *outs = json_object_get(ft, "output");
				if (!outs) json_object_set_new(ft, "output", outs = json_array());
				json_array_append_new(outs, json_pack("{s:s,s:f}", "address_ref", tid, "amount",
				                                      (double)json_integer_value(amt) / 1e8));
			}
		}
		tl__stix_add(&b, r);
	}
	json_decref(txobj);

	/* the report: the case, naming every object of it */
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *notes = json_string_value(json_object_get(c, "notes"));
	const char *heist = json_string_value(json_object_get(c, "heist"));
	char rid[128], rname[300];
	snprintf(key, sizeof key, "case/%lld", (long long)cid);
	tl__stix_sdo_id("report", key, rid, sizeof rid);
	snprintf(rname, sizeof rname, "Case %lld: %.250s", (long long)cid, name);
	json_t *rep = tl__stix_sdo(&b, "report", rid);
	json_object_set_new(rep, "name", json_string(rname));
	json_object_set_new(rep, "description", json_string(notes && *notes ? notes : rname));
	json_object_set_new(rep, "report_types", json_pack("[s]", "threat-report"));
	json_object_set_new(rep, "published", json_string(gen));
	json_t *refs = json_array();
	json_array_foreach(b.objs, i, v)
		if (!tl__stix_is_meta(&b, v)) json_array_append_new(refs, json_string(json_string_value(json_object_get(v, "id"))));
	if (!json_array_size(refs)) json_array_append_new(refs, json_string(producer_id)); /* an empty case */
	json_object_set_new(rep, "object_refs", refs);
	json_object_set_new(rep, "x_taintline_case",
	                    json_pack("{s:I,s:s,s:o,s:O}", "id", (json_int_t)cid, "tlp",
	                              json_string_value(json_object_get(c, "tlp")), "heist",
	                              heist ? json_string(heist) : json_null(), "skipped", json_object_get(c, "skipped")));
	tl__stix_add(&b, rep);
	/* the notes, as a note on the report */
	if (notes && *notes) {
		char nid[128];
		tl__stix_sdo_id("note", key, nid, sizeof nid);
		json_t *nt = tl__stix_sdo(&b, "note", nid);
		json_object_set_new(nt, "abstract", json_string(rname));
		json_object_set_new(nt, "content", json_string(notes));
		const char *author = json_string_value(json_object_get(c, "author"));
		if (author && *author) json_object_set_new(nt, "authors", json_pack("[s]", author));
		json_object_set_new(nt, "object_refs", json_pack("[s]", rid));
		tl__stix_add(&b, nt);
	}
	char bid[128];
	snprintf(key, sizeof key, "case/%lld/%s/%s", (long long)cid, gen, tl_tlp_name(o->tlp));
	tl__stix_sdo_id("bundle", key, bid, sizeof bid);
	*out = json_pack("{s:s,s:s,s:o}", "type", "bundle", "id", bid, "objects", b.objs);
	json_decref(b.ids);
	json_decref(b.wallets);
	return *out ? 0 : tl_err_set(err, "out of memory");
}

int tl_share_case(struct tl_store *st, uint64_t id, const struct tl_share_case_opts *o, json_t **out,
                  struct tl_err *err)
{
	*out = NULL;
	int stix = !strcmp(o->format, "stix");
	if (!stix && strcmp(o->format, "misp")) return tl_err_set(err, "unknown format '%.20s' (stix, misp)", o->format);
	char *mtext = NULL, *gtext = NULL;
	int r = tl_case_get(st, id, &mtext, &gtext, err);
	if (r <= 0) return r;
	json_t *meta = json_loads(mtext, 0, NULL);
	json_t *graph = gtext ? json_loads(gtext, JSON_DECODE_ANY, NULL) : NULL;
	free(mtext);
	free(gtext);
	json_t *c = NULL, *doc = NULL;
	r = tl_case_normalize(id, meta, graph, &c, err);
	enum tl_tlp lv = TL_TLP_RED;
	if (!r && tl_tlp_parse_name(json_string_value(json_object_get(c, "tlp")), &lv)) r = -1;
	if (!r && o->c && !o->c->all) {
		/* above the caller's clearance: not there */
		struct tl_tlp_mark m = { .level = lv };
		if (!tl_tlp_visible(&m, o->c)) goto out;
	}
	if (!r && lv > o->tlp)
		r = tl_err_set(err, "case %" PRIu64 " is TLP:%s; it cannot go out as TLP:%s", id, tl_tlp_name(lv),
		               tl_tlp_name(o->tlp));
	struct tl_export_opts eo = { .tlp = o->tlp, .producer = o->producer };
	if (!r) r = stix ? tl_stix_export_case(c, &eo, &doc, err) : tl_misp_export_case(c, &eo, &doc, err);
	if (!r && o->sign_key) {
		/* what verify --db needs to make the export again */
		json_t *man = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:O}", "kind", stix ? "case-stix" : "case-misp",
		                        "software", tl_trace_software(), "case", (json_int_t)id, "tlp",
		                        tl_tlp_name(o->tlp), "producer", o->producer ? o->producer : "taintline",
		                        "network", tl_store_net(st)->name, "generated_at", json_object_get(c, "updated"));
		r = tl_sign_document(doc, o->sign_key, man, err); /* man stolen */
	}
	if (r) {
		json_decref(doc);
		doc = NULL;
	}
out:
	json_decref(c);
	json_decref(meta);
	json_decref(graph);
	*out = doc;
	return r ? -1 : 0;
}
