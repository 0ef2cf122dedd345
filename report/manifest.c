/* Manifests of signed reports and their recomputation; see manifest.h. */
#include "report/manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bitcoin/hash.h"
#include "store/tags.h"
#include "tracer/entities.h"
#include "tracer/tag_clearance.h"
#include "taint/policy.h"
#include "intel/registry.h"
#include "tracer/trace.h"

static void be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

int tl_tag_source_digest(struct tl_store *st, const char *source, char hex[65], size_t *count, struct tl_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return tl_err_set(err, "sha256 unavailable");
	}
	struct tl_iter *it = tl_iter_new(st, TL_CF_TAG);
	size_t n = 0;
	int rc = 0;
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		struct tl_tag_rec r;
		if (tl_tag_rec_decode(v, vl, &r)) {
			rc = tl_err_set(err, "corrupt tag record in the database");
			break;
		}
		int match = r.source && !strcmp(r.source, source);
		tl_tag_rec_free(&r);
		if (!match) continue;
		uint8_t len[4];
		be32(len, (uint32_t)kl);
		EVP_DigestUpdate(md, len, 4);
		EVP_DigestUpdate(md, k, kl);
		be32(len, (uint32_t)vl);
		EVP_DigestUpdate(md, len, 4);
		EVP_DigestUpdate(md, v, vl);
		n++;
	}
	tl_iter_free(it);
	uint8_t h[32];
	unsigned hl = 0;
	if (!rc && !EVP_DigestFinal_ex(md, h, &hl)) rc = tl_err_set(err, "sha256 failed");
	EVP_MD_CTX_free(md);
	if (rc) return -1;
	tl_hex_encode(h, 32, hex);
	*count = n;
	return 0;
}

/* Tag sources named by the trace's endpoints, sorted, each once. */
static json_t *used_sources(const json_t *trace)
{
	json_t *set = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(trace, "endpoints"), i, e) {
		const char *s = json_string_value(json_object_get(json_object_get(e, "tag"), "source"));
		if (s) json_object_set_new(set, s, json_true());
	}
	json_t *arr = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(set, k, v) json_array_append_new(arr, json_string(k));
	json_decref(set);
	/* sort (insertion sort: a trace names few sources) */
	size_t n = json_array_size(arr);
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0; b--) {
			json_t *x = json_array_get(arr, b - 1), *y = json_array_get(arr, b);
			if (strcmp(json_string_value(x), json_string_value(y)) <= 0) break;
			json_incref(x);
			json_array_set(arr, b - 1, y);
			json_array_set_new(arr, b, x);
		}
	return arr;
}

int tl_manifest_from_trace(struct tl_store *st, const json_t *trace, const char *kind, json_t **out,
                           struct tl_err *err)
{
	*out = NULL;
	const json_t *prov = json_object_get(trace, "provenance");
	if (!json_is_object(trace) || !json_is_object(prov) || !json_object_get(trace, "tip") ||
	    !json_object_get(trace, "params"))
		return tl_err_set(err, "not a trace result (no tip, params or provenance)");
	json_t *m = json_object();
	json_object_set_new(m, "kind", json_string(kind));
	json_object_set(m, "software", json_object_get(prov, "software"));
	json_object_set(m, "generated_at", json_object_get(prov, "generated_at"));
	json_object_set(m, "network", json_object_get(trace, "network"));
	json_object_set_new(m, "tip", json_deep_copy(json_object_get(trace, "tip")));
	json_object_set(m, "policy", json_object_get(trace, "policy"));
	json_object_set_new(m, "params", json_deep_copy(json_object_get(trace, "params")));
	json_object_set_new(m, "seeds", json_deep_copy(json_object_get(trace, "seeds")));
	json_t *reg = json_array();
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(prov, "heists"), i, h)
		json_array_append_new(reg, json_pack("{s:O,s:O,s:O}", "id", json_object_get(h, "id"), "definition",
		                                     json_object_get(h, "definition") ? json_object_get(h, "definition")
		                                                                      : json_null(),
		                                     "definition_sha256",
		                                     json_object_get(h, "definition_sha256")
		                                             ? json_object_get(h, "definition_sha256")
		                                             : json_null()));
	json_object_set_new(m, "registry", reg);
	json_t *srcs = used_sources(trace), *ts = json_array(), *s;
	json_array_foreach(srcs, i, s) {
		char hex[65];
		size_t cnt = 0;
		if (st) {
			if (tl_tag_source_digest(st, json_string_value(s), hex, &cnt, err)) {
				json_decref(srcs);
				json_decref(ts);
				json_decref(m);
				return -1;
			}
			json_array_append_new(ts, json_pack("{s:O,s:I,s:s}", "source", s, "tags", (json_int_t)cnt,
			                                    "sha256", hex));
		} else {
			json_array_append_new(ts, json_pack("{s:O,s:n,s:n}", "source", s, "tags", "sha256"));
		}
	}
	json_decref(srcs);
	json_object_set_new(m, "tag_sources", ts);
	*out = m;
	return 0;
}

static int u64_of(const json_t *o, const char *k, uint64_t *v)
{
	const json_t *x = json_object_get(o, k);
	if (!json_is_integer(x) || json_integer_value(x) < 0) return -1;
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

/* Walk parameters from a manifest's policy and params. */
static int params_of(const json_t *m, struct tl_walk_params *p, struct tl_err *err)
{
	tl_walk_params_default(p);
	const json_t *pa = json_object_get(m, "params");
	if (tl_policy_parse(json_string_value(json_object_get(m, "policy")), &p->policy, err)) return -1;
	uint64_t v;
	if (u64_of(pa, "max_hops", &v) || v > UINT32_MAX) return tl_err_set(err, "manifest params.max_hops");
	p->max_hops = (uint32_t)v;
	if (u64_of(pa, "min_sat", &p->min_sat)) return tl_err_set(err, "manifest params.min_sat");
	if (u64_of(pa, "until_height", &v) || v > UINT32_MAX) return tl_err_set(err, "manifest params.until_height");
	p->until_height = (uint32_t)v;
	if (u64_of(pa, "max_tx", &p->max_tx)) return tl_err_set(err, "manifest params.max_tx");
	if (u64_of(pa, "peel_min_len", &v) || v > UINT32_MAX) return tl_err_set(err, "manifest params.peel_min_len");
	p->peel_min_len = (uint32_t)v;
	const json_t *sam = json_object_get(pa, "stop_at_mixers");
	if (!json_is_boolean(sam)) return tl_err_set(err, "manifest params.stop_at_mixers");
	p->stop_at_mixers = json_is_true(sam);
	p->stop_cats = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(pa, "stop_categories"), i, c) {
		uint32_t f = tl_storegraph_cat_flags(json_string_value(c) ? json_string_value(c) : "");
		if (!f) return tl_err_set(err, "manifest params.stop_categories[%zu]", i);
		p->stop_cats |= f;
	}
	return 0;
}

static int recorded_def_sha(const json_t *m, const char *id, const char **sha)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(m, "registry"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "id")) ? json_string_value(json_object_get(r, "id")) : "",
		            id)) {
			*sha = json_string_value(json_object_get(r, "definition_sha256"));
			return 1;
		}
	return 0;
}

int tl_manifest_retrace(struct tl_storegraph *sg, const json_t *m, json_t **out, char *reason, size_t cap,
                        struct tl_err *err)
{
	*out = NULL;
	struct tl_store *st = tl_storegraph_store(sg);
	struct tl_tip tip;
	if (tl_store_tip(st, &tip, err)) return -1;
	char hh[65];
	tl_hash_to_hex(tip.hash, hh);
	const json_t *mt = json_object_get(m, "tip");
	const char *mh = json_string_value(json_object_get(mt, "hash"));
	json_int_t mheight = json_integer_value(json_object_get(mt, "height"));
	if (!mh || mheight != tip.height || strcmp(mh, hh)) {
		snprintf(reason, cap,
		         "the database's tip is %d %s; the report was made at %" JSON_INTEGER_FORMAT
		         " %s: it cannot be recomputed here",
		         (int)tip.height, hh, mheight, mh ? mh : "(none)");
		return 0;
	}
	size_t i;
	json_t *ts;
	json_array_foreach(json_object_get(m, "tag_sources"), i, ts) {
		const char *src = json_string_value(json_object_get(ts, "source"));
		const char *want = json_string_value(json_object_get(ts, "sha256"));
		if (!src || !want) continue;
		char hex[65];
		size_t cnt;
		if (tl_tag_source_digest(st, src, hex, &cnt, err)) return -1;
		if (strcmp(hex, want)) {
			snprintf(reason, cap, "tag source '%.100s' changed since the report (%zu tags now, sha256 %s, was %.64s)",
			         src, cnt, hex, want);
			return 0;
		}
	}
	struct tl_walk_params p;
	if (params_of(m, &p, err)) return -1;
	/* a report made for a restricted clearance is recomputed under it */
	const json_t *cl = json_object_get(json_object_get(m, "params"), "clearance");
	if (cl) {
		struct tl_clearance c;
		if (!json_is_string(cl) || tl_clearance_from_name(json_string_value(cl), &c, err))
			return tl_err_set(err, "manifest params.clearance");
		tl_storegraph_set_clearance(sg, &c);
	}
	struct tl_trace_seeds s;
	tl_trace_seeds_init(&s);
	json_t *done = json_object();
	int rc = -1;
	json_t *d;
	json_array_foreach(json_object_get(m, "seeds"), i, d) {
		const char *heist = json_string_value(json_object_get(d, "heist"));
		const char *kind = json_string_value(json_object_get(d, "kind"));
		if (heist) {
			if (json_object_get(done, heist)) continue;
			json_object_set_new(done, heist, json_true());
			struct tl_heist_info hi;
			memset(&hi, 0, sizeof hi);
			int hr = tl_heist_get(st, heist, &hi, err);
			if (hr < 0) goto out;
			if (hr == 0) {
				snprintf(reason, cap, "heist '%.80s' is not in this database", heist);
				rc = 0;
				goto out;
			}
			uint8_t hsh[32];
			char hex[65];
			tl_sha256(hi.json, strlen(hi.json), hsh);
			tl_hex_encode(hsh, 32, hex);
			const char *want = NULL;
			if (recorded_def_sha(m, heist, &want) && want && strcmp(want, hex)) {
				free(hi.json);
				snprintf(reason, cap, "heist '%.80s': its definition changed since the report (sha256 %s, was %.64s)",
				         heist, hex, want);
				rc = 0;
				goto out;
			}
			struct tl_registry *reg = NULL;
			hr = tl_heist_parse(&hi, &reg, err);
			free(hi.json);
			if (hr) goto out;
			hr = reg->n ? tl_trace_seeds_add_heist(sg, &reg->heists[0], &s, err) : tl_err_set(err, "empty heist");
			tl_registry_free(reg);
			if (hr) goto out;
		} else if (kind && (!strcmp(kind, "tx") || !strcmp(kind, "output"))) {
			char spec[80];
			const char *txid = json_string_value(json_object_get(d, "txid"));
			if (!txid) { tl_err_set(err, "manifest seeds[%zu]: no txid", i); goto out; }
			if (!strcmp(kind, "output"))
				snprintf(spec, sizeof spec, "%.64s:%" JSON_INTEGER_FORMAT, txid,
				         json_integer_value(json_object_get(d, "vout")));
			else
				snprintf(spec, sizeof spec, "%.64s", txid);
			if (tl_trace_seeds_add_outpoint(sg, spec, &s, err)) goto out;
		} else if (kind && !strcmp(kind, "address")) {
			const char *a = json_string_value(json_object_get(d, "address"));
			const char *f = json_string_value(json_object_get(d, "from"));
			const char *t = json_string_value(json_object_get(d, "to"));
			int64_t from = INT64_MIN, to = INT64_MAX;
			char day[11];
			/* windows are whole UTC days: "YYYY-MM-DDT00:00:00Z" to "...T23:59:59Z" */
			if (f) { snprintf(day, sizeof day, "%.10s", f); if (tl_trace_parse_date(day, 0, &from, err)) goto out; }
			if (t) { snprintf(day, sizeof day, "%.10s", t); if (tl_trace_parse_date(day, 1, &to, err)) goto out; }
			if (!a) { tl_err_set(err, "manifest seeds[%zu]: no address", i); goto out; }
			if (tl_trace_seeds_add_address(sg, a, from, to, &s, err)) goto out;
		} else {
			tl_err_set(err, "manifest seeds[%zu]: unknown kind", i);
			goto out;
		}
	}
	json_t *res = NULL;
	int r = tl_trace_run(sg, &s, &p, &res, err);
	if (r) {
		if (r > 0) tl_err_set(err, "the trace stopped early (%d)", r);
		goto out;
	}
	json_t *prov = json_object_get(res, "provenance");
	json_object_set(prov, "generated_at", json_object_get(m, "generated_at"));
	*out = res;
	rc = 1;
out:
	json_decref(done);
	tl_trace_seeds_free(&s);
	return rc;
}

static void value_text(const json_t *v, char *out, size_t cap)
{
	if (!v) {
		snprintf(out, cap, "(absent)");
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	snprintf(out, cap, "%.60s%s", s ? s : "?", s && strlen(s) > 60 ? "..." : "");
	free(s);
}

static int diff_rec(const json_t *a, const json_t *b, char *path, size_t plen, size_t pcap, char *out, size_t cap)
{
	if (a && b && json_equal((json_t *)a, (json_t *)b)) return 0;
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v) {
			int n = snprintf(path + plen, pcap - plen, "%s%s", plen ? "." : "", k);
			size_t nl = n > 0 && (size_t)n < pcap - plen ? plen + (size_t)n : plen;
			if (diff_rec(v, json_object_get(b, k), path, nl, pcap, out, cap)) return 1;
			path[plen] = 0;
		}
		json_object_foreach((json_t *)b, k, v)
			if (!json_object_get(a, k)) {
				snprintf(out, cap, "%s%s%s: absent here, present in the recomputation", path, plen ? "." : "", k);
				return 1;
			}
	} else if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		for (size_t i = 0; i < na && i < nb; i++) {
			int n = snprintf(path + plen, pcap - plen, "[%zu]", i);
			size_t nl = n > 0 && (size_t)n < pcap - plen ? plen + (size_t)n : plen;
			if (diff_rec(json_array_get(a, i), json_array_get(b, i), path, nl, pcap, out, cap)) return 1;
			path[plen] = 0;
		}
		if (na != nb) {
			snprintf(out, cap, "%s: %zu elements here, %zu recomputed", plen ? path : "(document)", na, nb);
			return 1;
		}
		return 0;
	}
	char va[80], vb[80];
	value_text(a, va, sizeof va);
	value_text(b, vb, sizeof vb);
	snprintf(out, cap, "%s: %s here, %s recomputed", plen ? path : "(document)", va, vb);
	return 1;
}

void tl_json_first_diff(const json_t *a, const json_t *b, char *out, size_t cap)
{
	char path[256] = "";
	out[0] = 0;
	diff_rec(a, b, path, 0, sizeof path, out, cap);
}
