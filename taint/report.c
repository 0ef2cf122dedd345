/* The JSON of an account-model trace; see report.h. */
#include "taint/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *tl_taint_json_amount(const tl_uint256 *a)
{
	char buf[TL_U256_DEC_MAX];
	return json_string(tl_uint256_to_dec(a, buf));
}

static json_t *iso_time(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm)) return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

struct names_cache {
	const struct tl_taint_names *n;
	struct tl_err *err;
	int failed;
};

static json_t *acct_name(struct names_cache *c, uint64_t a)
{
	char buf[128];
	if (a == TL_TAINT_NOWHERE) return json_null();
	if (c->n->account(c->n->ctx, a, buf, sizeof buf, c->err)) {
		c->failed = 1;
		return json_null();
	}
	return json_string(buf);
}

static json_t *asset_name(struct names_cache *c, uint32_t a)
{
	char buf[128];
	if (c->n->asset(c->n->ctx, a, buf, sizeof buf, c->err)) {
		c->failed = 1;
		return json_string("?");
	}
	return json_string(buf);
}

static json_t *tx_name(struct names_cache *c, uint64_t t)
{
	char buf[128];
	if (c->n->tx(c->n->ctx, t, buf, sizeof buf, c->err)) {
		c->failed = 1;
		return json_null();
	}
	return json_string(buf);
}

static int nonzero(const struct tl_taint_totals *t)
{
	const tl_uint256 *f[] = { &t->seeded, &t->endpoints, &t->holdings, &t->fees, &t->cut, &t->converted_in,
		                  &t->converted_out, &t->unknown_prior };
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!tl_uint256_is_zero(f[i])) return 1;
	return 0;
}

/* The node id of an account in the graph: its address, or "burn". */
static const char *node_id(json_t *name) { return json_is_string(name) ? json_string_value(name) : "burn"; }

json_t *tl_taint_json(const struct tl_taint_result *r, const struct tl_taint_params *p, const char *chain,
                      json_t *tip, json_t *params_extra, json_t *seeds, const struct tl_taint_names *names,
                      struct tl_err *err)
{
	struct names_cache c = { .n = names, .err = err };
	json_t *o = json_object();
	json_object_set_new(o, "tip", tip ? tip : json_null());
	json_object_set_new(o, "chain", json_string(chain));
	json_object_set_new(o, "policy", json_string(tl_taint_policy_name(p->policy)));
	json_t *params = json_pack("{s:I,s:o}", "max_hops", (json_int_t)p->max_hops, "min_amount",
	                           tl_taint_json_amount(&p->min_amount));
	if (params_extra) {
		json_object_update(params, params_extra);
		json_decref(params_extra);
	}
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "seeds", seeds ? seeds : json_array());

	json_t *tot = json_object();
	for (uint32_t a = 0; a < r->n_assets; a++) {
		const struct tl_taint_totals *t = &r->totals[a];
		if (!nonzero(t)) continue;
		json_t *name = asset_name(&c, a);
		json_object_set_new(
			tot, json_string_value(name),
			json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "seeded", tl_taint_json_amount(&t->seeded),
		                  "endpoints", tl_taint_json_amount(&t->endpoints), "holdings",
		                  tl_taint_json_amount(&t->holdings), "fees", tl_taint_json_amount(&t->fees), "cut",
		                  tl_taint_json_amount(&t->cut), "cut_dust", tl_taint_json_amount(&t->cut_dust),
		                  "cut_hops", tl_taint_json_amount(&t->cut_hops), "converted_in",
		                  tl_taint_json_amount(&t->converted_in), "converted_out",
		                  tl_taint_json_amount(&t->converted_out), "unknown_prior",
		                  tl_taint_json_amount(&t->unknown_prior)));
		json_decref(name);
	}
	json_object_set_new(o, "totals", tot);
	if (names->asset_info) {
		json_t *as = json_object();
		for (uint32_t a = 0; a < r->n_assets; a++) {
			if (!nonzero(&r->totals[a])) continue;
			char sym[64];
			int dec = -1;
			json_t *name = asset_name(&c, a);
			if (names->asset_info(names->ctx, a, sym, sizeof sym, &dec, err)) c.failed = 1;
			else json_object_set_new(as, json_string_value(name), json_pack("{s:s,s:i}", "symbol", sym, "decimals", dec));
			json_decref(name);
		}
		json_object_set_new(o, "assets", as);
	}
	json_object_set_new(o, "stats", json_pack("{s:I,s:I,s:I}", "transactions", (json_int_t)r->txs, "transfers",
	                                          (json_int_t)r->transfers, "conversions", (json_int_t)r->conversions));

	json_t *ea = json_array();
	for (size_t i = 0; i < r->n_endpoints; i++) {
		const struct tl_taint_endpoint *e = &r->endpoints[i];
		json_t *tag = e->account != TL_TAINT_NOWHERE && names->tag ? names->tag(names->ctx, e->account, e->cats)
		                                                           : NULL;
		json_array_append_new(
			ea, json_pack("{s:s,s:o,s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:s}", "chain", chain, "address",
		                      acct_name(&c, e->account), "asset", asset_name(&c, e->asset), "amount",
		                      tl_taint_json_amount(&e->amount), "tx", tx_name(&c, e->tx), "hops",
		                      (json_int_t)e->hops, "height", (json_int_t)e->height, "time", iso_time(e->time), "tag",
		                      tag ? tag : json_null(), "from", acct_name(&c, e->from), "kind",
		                      e->account == TL_TAINT_NOWHERE ? "burn" : "tagged"));
	}
	json_object_set_new(o, "endpoints", ea);

	json_t *ha = json_array();
	for (size_t i = 0; i < r->n_holdings; i++) {
		const struct tl_taint_holding *h = &r->holdings[i];
		json_array_append_new(ha, json_pack("{s:o,s:o,s:o,s:o,s:I}", "address", acct_name(&c, h->account), "asset",
		                                    asset_name(&c, h->asset), "amount", tl_taint_json_amount(&h->amount),
		                                    "balance", tl_taint_json_amount(&h->balance), "hops",
		                                    (json_int_t)h->hops));
	}
	json_object_set_new(o, "holdings", ha);

	/* graph: account nodes, one edge per (from, to, asset) flow; the
	 * node of an endpoint says so, a holding's node carries its amount
	 * per asset. */
	json_t *nodes = json_array(), *edges = json_array(), *seen = json_object();
	for (size_t i = 0; i < r->n_edges; i++) {
		const struct tl_taint_edge *g = &r->edges[i];
		json_t *f = acct_name(&c, g->from), *t = acct_name(&c, g->to);
		json_t *ends[2] = { f, t };
		for (int k = 0; k < 2; k++) {
			const char *id = node_id(ends[k]);
			if (json_object_get(seen, id)) continue;
			json_t *n = json_pack("{s:s,s:s,s:b}", "id", id, "kind", json_is_string(ends[k]) ? "account" : "burn",
			                      "endpoint", 0);
			json_object_set(seen, id, n); /* seen: id -> the node (borrowed through the array) */
			json_array_append_new(nodes, n);
		}
		json_array_append_new(edges, json_pack("{s:s,s:s,s:o,s:o,s:I}", "from", node_id(f), "to", node_id(t), "asset",
		                                       asset_name(&c, g->asset), "amount", tl_taint_json_amount(&g->amount),
		                                       "transfers", (json_int_t)g->transfers));
		json_decref(f);
		json_decref(t);
	}
	/* Endpoint nodes say so, with the category of their tag. */
	for (size_t i = 0; i < r->n_endpoints; i++) {
		json_t *a = acct_name(&c, r->endpoints[i].account);
		json_t *n = json_object_get(seen, node_id(a));
		json_decref(a);
		if (!json_is_object(n)) continue;
		json_object_set_new(n, "endpoint", json_true());
		json_t *tag = json_object_get(json_array_get(ea, i), "tag");
		if (json_is_object(tag) && json_object_get(tag, "category"))
			json_object_set(n, "category", json_object_get(tag, "category"));
	}
	json_decref(seen);
	json_object_set_new(o, "graph", json_pack("{s:o,s:o}", "nodes", nodes, "edges", edges));
	if (c.failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- text renderers ---- */
struct sbuf {
	char *p;
	size_t n;
	FILE *f;
};

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int edges_of(const json_t *trace, json_t **edges, json_t **nodes, struct tl_err *err)
{
	json_t *g = json_object_get(trace, "graph");
	*edges = json_object_get(g, "edges");
	*nodes = json_object_get(g, "nodes");
	if (!json_is_array(*edges) || !json_is_array(*nodes)) return tl_err_set(err, "trace object has no graph");
	return 0;
}

static int finish_buf(struct sbuf *b, char **buf, size_t *len, struct tl_err *err)
{
	if (fclose(b->f)) {
		free(b->p);
		return tl_err_set(err, "out of memory");
	}
	*buf = b->p;
	*len = b->n;
	return 0;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"') fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int tl_taint_report_csv(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	json_t *edges, *nodes;
	if (edges_of(trace, &edges, &nodes, err)) return -1;
	struct sbuf b = { 0 };
	b.f = open_memstream(&b.p, &b.n);
	if (!b.f) return tl_err_set(err, "out of memory");
	fputs("from,to,asset,amount,transfers\n", b.f);
	for (size_t i = 0; i < json_array_size(edges); i++) {
		json_t *e = json_array_get(edges, i);
		csv_field(b.f, jstr(e, "from"));
		fputc(',', b.f);
		csv_field(b.f, jstr(e, "to"));
		fputc(',', b.f);
		csv_field(b.f, jstr(e, "asset"));
		fprintf(b.f, ",%s,%lld\n", jstr(e, "amount"), (long long)json_integer_value(json_object_get(e, "transfers")));
	}
	return finish_buf(&b, buf, len, err);
}

/* A DOT string: quotes and backslashes escaped, line breaks as DOT's
 * \\n, other control bytes dropped. */
static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n') fputs("\\n", f);
		if (*s == '"' || *s == '\\') fputc('\\', f);
		if ((unsigned char)*s >= 0x20) fputc(*s, f);
	}
	fputc('"', f);
}

/* 0x1234...abcd: long addresses shortened for the picture. */
static void short_addr(const char *a, char out[24])
{
	size_t n = strlen(a);
	if (n > 16) snprintf(out, 24, "%.6s...%s", a, a + n - 4);
	else snprintf(out, 24, "%s", a);
}

int tl_taint_report_dot(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	json_t *edges, *nodes;
	if (edges_of(trace, &edges, &nodes, err)) return -1;
	struct sbuf b = { 0 };
	b.f = open_memstream(&b.p, &b.n);
	if (!b.f) return tl_err_set(err, "out of memory");
	fprintf(b.f, "digraph taint {\n  rankdir=LR;\n  node [shape=ellipse, fontsize=10];\n");
	for (size_t i = 0; i < json_array_size(nodes); i++) {
		json_t *n = json_array_get(nodes, i);
		char sh[24], label[96];
		short_addr(jstr(n, "id"), sh);
		const char *cat = jstr(n, "category");
		snprintf(label, sizeof label, "%s%s%s", sh, *cat ? "\n" : "", cat);
		fputs("  ", b.f);
		dot_str(b.f, jstr(n, "id"));
		fputs(" [label=", b.f);
		dot_str(b.f, label);
		if (json_is_true(json_object_get(n, "endpoint"))) fputs(", shape=box, style=filled, fillcolor=\"#fde2e2\"", b.f);
		fputs("];\n", b.f);
	}
	for (size_t i = 0; i < json_array_size(edges); i++) {
		json_t *e = json_array_get(edges, i);
		char sh[24], label[160];
		short_addr(jstr(e, "asset"), sh);
		snprintf(label, sizeof label, "%s %s", jstr(e, "amount"), sh);
		fputs("  ", b.f);
		dot_str(b.f, jstr(e, "from"));
		fputs(" -> ", b.f);
		dot_str(b.f, jstr(e, "to"));
		fputs(" [label=", b.f);
		dot_str(b.f, label);
		fputs("];\n", b.f);
	}
	fputs("}\n", b.f);
	return finish_buf(&b, buf, len, err);
}

char *tl_taint_units(const char *dec, int decimals, char *out)
{
	size_t n = strlen(dec);
	if (decimals <= 0) {
		memcpy(out, dec, n + 1);
		return out;
	}
	size_t d = (size_t)decimals, w = 0;
	if (n <= d) { /* 0.000ddd */
		out[w++] = '0';
		out[w++] = '.';
		for (size_t i = n; i < d; i++) out[w++] = '0';
		memcpy(out + w, dec, n);
		w += n;
	} else {
		memcpy(out, dec, n - d);
		w = n - d;
		out[w++] = '.';
		memcpy(out + w, dec + n - d, d);
		w += d;
	}
	while (out[w - 1] == '0') w--; /* trailing zeros of the fraction */
	if (out[w - 1] == '.') w--;
	out[w] = 0;
	return out;
}

static void html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* "1.5 ETH" with the base units in a title, from an amount string and
 * its asset's entry in "assets". */
static void html_amount(FILE *f, const json_t *trace, const char *asset, const char *amount)
{
	json_t *info = json_object_get(json_object_get(trace, "assets"), asset);
	int dec = info ? (int)json_integer_value(json_object_get(info, "decimals")) : -1;
	const char *sym = info ? jstr(info, "symbol") : "";
	char buf[TL_U256_DEC_MAX + 80];
	if (strlen(amount) > TL_U256_DEC_MAX || dec > 77) dec = -1;
	fputs("<span class=\"amt\" title=\"", f);
	html_esc(f, amount);
	fputs(" base units\">", f);
	if (dec >= 0) {
		html_esc(f, tl_taint_units(amount, dec, buf));
		fputc(' ', f);
		html_esc(f, *sym ? sym : asset);
	} else {
		html_esc(f, amount);
		fputs(" units of ", f);
		html_esc(f, asset);
	}
	fputs("</span>", f);
}

int tl_taint_report_html(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	json_t *edges, *nodes, *totals = json_object_get(trace, "totals");
	if (edges_of(trace, &edges, &nodes, err)) return -1;
	if (!json_is_object(totals)) return tl_err_set(err, "trace object has no totals");
	struct sbuf b = { 0 };
	FILE *f = b.f = open_memstream(&b.p, &b.n);
	if (!f) return tl_err_set(err, "out of memory");
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Taint trace</title>\n"
	      "<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
	      "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}"
	      ".amt{font-variant-numeric:tabular-nums;white-space:nowrap}code{font-size:12px}</style></head><body>\n",
	      f);
	json_t *tip = json_object_get(trace, "tip");
	fputs("<h1>Taint trace</h1>\n<p>Policy <b>", f);
	html_esc(f, jstr(trace, "policy"));
	fputs("</b> on ", f);
	html_esc(f, jstr(trace, "chain"));
	fprintf(f, ", database tip at block %lld (<code>", (long long)json_integer_value(json_object_get(tip, "height")));
	html_esc(f, jstr(tip, "hash"));
	fputs("</code>).</p>\n<h2>Parameters</h2><table>", f);
	const char *pk;
	json_t *pv;
	json_object_foreach(json_object_get(trace, "params"), pk, pv)
	{
		char *t = json_dumps(pv, JSON_ENCODE_ANY | JSON_COMPACT);
		fputs("<tr><th>", f);
		html_esc(f, pk);
		fputs("</th><td>", f);
		html_esc(f, t ? t : "");
		fputs("</td></tr>", f);
		free(t);
	}
	fputs("</table>\n<h2>Totals</h2><table><tr><th>asset</th><th>seeded</th><th>endpoints</th><th>holdings</th>"
	      "<th>fees</th><th>cut</th><th>converted in</th><th>converted out</th><th>unknown prior funds</th></tr>\n",
	      f);
	static const char *tf[] = { "seeded", "endpoints", "holdings", "fees", "cut", "converted_in", "converted_out",
		                    "unknown_prior" };
	const char *ak;
	json_t *av;
	json_object_foreach(totals, ak, av)
	{
		fputs("<tr><td><code>", f);
		html_esc(f, ak);
		fputs("</code></td>", f);
		for (size_t i = 0; i < sizeof tf / sizeof tf[0]; i++) {
			fputs("<td>", f);
			html_amount(f, trace, ak, jstr(av, tf[i]));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	json_t *ea = json_object_get(trace, "endpoints");
	fprintf(f, "</table>\n<h2>Endpoints (%zu)</h2><table><tr><th>account</th><th>tag</th><th>amount</th><th>hops</th>"
	           "<th>block</th><th>time</th><th>transaction</th></tr>\n",
	        json_array_size(ea));
	for (size_t i = 0; i < json_array_size(ea); i++) {
		json_t *e = json_array_get(ea, i), *tag = json_object_get(e, "tag");
		fputs("<tr><td><code>", f);
		html_esc(f, json_is_string(json_object_get(e, "address")) ? jstr(e, "address") : "(burn)");
		fputs("</code></td><td>", f);
		html_esc(f, jstr(tag, "label"));
		if (*jstr(tag, "category")) {
			fputs(" (", f);
			html_esc(f, jstr(tag, "category"));
			fputs(")", f);
		}
		fputs("</td><td>", f);
		html_amount(f, trace, jstr(e, "asset"), jstr(e, "amount"));
		fprintf(f, "</td><td>%lld</td><td>%lld</td><td>", (long long)json_integer_value(json_object_get(e, "hops")),
		        (long long)json_integer_value(json_object_get(e, "height")));
		html_esc(f, jstr(e, "time"));
		fputs("</td><td><code>", f);
		html_esc(f, jstr(e, "tx"));
		fputs("</code></td></tr>\n", f);
	}
	json_t *ha = json_object_get(trace, "holdings");
	fprintf(f, "</table>\n<h2>Holdings (%zu)</h2><table><tr><th>account</th><th>tainted</th><th>balance</th>"
	           "<th>hops</th></tr>\n",
	        json_array_size(ha));
	for (size_t i = 0; i < json_array_size(ha); i++) {
		json_t *h = json_array_get(ha, i);
		fputs("<tr><td><code>", f);
		html_esc(f, jstr(h, "address"));
		fputs("</code></td><td>", f);
		html_amount(f, trace, jstr(h, "asset"), jstr(h, "amount"));
		fputs("</td><td>", f);
		html_amount(f, trace, jstr(h, "asset"), jstr(h, "balance"));
		fprintf(f, "</td><td>%lld</td></tr>\n", (long long)json_integer_value(json_object_get(h, "hops")));
	}
	fprintf(f, "</table>\n<h2>Flows (%zu)</h2><table><tr><th>from</th><th>to</th><th>tainted</th><th>transfers</th></tr>\n",
	        json_array_size(edges));
	for (size_t i = 0; i < json_array_size(edges); i++) {
		json_t *e = json_array_get(edges, i);
		fputs("<tr><td><code>", f);
		html_esc(f, jstr(e, "from"));
		fputs("</code></td><td><code>", f);
		html_esc(f, jstr(e, "to"));
		fputs("</code></td><td>", f);
		html_amount(f, trace, jstr(e, "asset"), jstr(e, "amount"));
		fprintf(f, "</td><td>%lld</td></tr>\n", (long long)json_integer_value(json_object_get(e, "transfers")));
	}
	fputs("</table>\n</body></html>\n", f);
	return finish_buf(&b, buf, len, err);
}
