/* Self-contained HTML report of a trace; see trace.h. No external
 * resources: inline CSS, an inline SVG drawing of the flow graph (layers
 * by depth from the seeds) and a few lines of inline script for
 * highlighting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

#define HTML_MAX_NODES 1500

static void esc(FILE *f, const char *s)
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

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long jint(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static void btc(FILE *f, long long sat)
{
	fprintf(f, "%s%lld.%08lld&nbsp;BTC", sat < 0 ? "-" : "", llabs(sat) / 100000000, llabs(sat) % 100000000);
}

static void summary(FILE *f, const json_t *t)
{
	const json_t *tot = json_object_get(t, "totals"), *tip = json_object_get(t, "tip"),
	             *p = json_object_get(t, "params");
	fputs("<h2>Summary</h2><table class=kv>", f);
	fprintf(f, "<tr><th>Database tip</th><td>height %lld, block <code>", jint(tip, "height"));
	esc(f, jstr(tip, "hash"));
	fputs("</code></td></tr><tr><th>Policy</th><td>", f);
	esc(f, jstr(t, "policy"));
	fprintf(f, "</td></tr><tr><th>Parameters</th><td>max hops %lld (0 = no limit), min %lld sat (0 = none), "
	           "until height %lld (0 = tip), stop at mixers: %s, stop categories: ",
	        jint(p, "max_hops"), jint(p, "min_sat"), jint(p, "until_height"),
	        json_is_true(json_object_get(p, "stop_at_mixers")) ? "yes" : "no");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(p, "stop_categories"), i, c) {
		if (i) fputs(", ", f);
		esc(f, json_string_value(c));
	}
	fputs("</td></tr><tr><th>Seeds</th><td>", f);
	json_t *s;
	json_array_foreach(json_object_get(t, "seeds"), i, s) {
		if (i) fputs("<br>", f);
		esc(f, jstr(s, "kind"));
		fputs(" <code>", f);
		esc(f, *jstr(s, "txid") ? jstr(s, "txid") : jstr(s, "address"));
		fputs("</code>", f);
		if (json_object_get(s, "vout")) fprintf(f, ":%lld", jint(s, "vout"));
		if (*jstr(s, "heist")) {
			fputs(" (heist ", f);
			esc(f, jstr(s, "heist"));
			fputs(")", f);
		}
	}
	static const char *rows[][2] = { { "seeded_sat", "Seeded" },       { "endpoints_sat", "At endpoints" },
		                         { "holdings_sat", "Still held" }, { "fees_sat", "Paid as fees" },
		                         { "cut_sat", "Cut by limits" } };
	fputs("</td></tr>", f);
	for (size_t k = 0; k < 5; k++) {
		fprintf(f, "<tr><th>%s</th><td class=num>", rows[k][1]);
		btc(f, jint(tot, rows[k][0]));
		fputs("</td></tr>", f);
	}
	fprintf(f, "<tr><th>Transactions visited</th><td class=num>%lld</td></tr></table>\n", jint(t, "visited"));
}

static void endpoints_by_label(FILE *f, const json_t *t)
{
	json_t *eps = json_object_get(t, "endpoints");
	fputs("<h2>Endpoints by exchange / service</h2>", f);
	if (!json_array_size(eps)) {
		fputs("<p>No tainted funds reached a tagged service.</p>", f);
		return;
	}
	/* group by label (keeping first-seen order) */
	json_t *groups = json_object(), *order = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(eps, i, e) {
		const char *l = jstr(json_object_get(e, "tag"), "label");
		if (!*l) l = "(untagged)";
		json_t *g = json_object_get(groups, l);
		if (!g) {
			g = json_array();
			json_object_set_new(groups, l, g);
			json_array_append_new(order, json_string(l));
		}
		json_array_append(g, e);
	}
	json_t *name;
	json_array_foreach(order, i, name) {
		json_t *g = json_object_get(groups, json_string_value(name));
		long long sum = 0;
		size_t k;
		json_array_foreach(g, k, e) sum += jint(e, "amount_sat");
		fputs("<h3>", f);
		esc(f, json_string_value(name));
		fprintf(f, " — %zu deposit%s, ", json_array_size(g), json_array_size(g) == 1 ? "" : "s");
		btc(f, sum);
		fputs("</h3><table><tr><th>Outpoint</th><th>Address</th><th>Category</th><th>Tainted</th><th>Hops</th>"
		      "<th>Height</th><th>Time</th></tr>",
		      f);
		json_array_foreach(g, k, e) {
			fputs("<tr><td><code>", f);
			esc(f, jstr(e, "outpoint"));
			fputs("</code></td><td><code>", f);
			esc(f, jstr(e, "address"));
			fputs("</code></td><td>", f);
			esc(f, jstr(json_object_get(e, "tag"), "category"));
			fputs("</td><td class=num>", f);
			btc(f, jint(e, "amount_sat"));
			fprintf(f, "</td><td class=num>%lld</td><td class=num>%lld</td><td>", jint(e, "hops"),
			        jint(e, "height"));
			esc(f, jstr(e, "time"));
			fputs("</td></tr>", f);
		}
		fputs("</table>\n", f);
	}
	json_decref(groups);
	json_decref(order);
}

static void peel_chains(FILE *f, const json_t *t)
{
	json_t *pcs = json_object_get(t, "peel_chains");
	fputs("<h2>Peel chains</h2>", f);
	if (!json_array_size(pcs)) {
		fputs("<p>None found.</p>", f);
		return;
	}
	size_t i;
	json_t *c;
	json_array_foreach(pcs, i, c) {
		fprintf(f, "<h3>Chain %zu: %lld links, ", i + 1, jint(c, "length"));
		btc(f, jint(c, "peeled_sat"));
		fputs(" peeled</h3><p>from <code>", f);
		esc(f, jstr(c, "first_txid"));
		fputs("</code> to <code>", f);
		esc(f, jstr(c, "last_txid"));
		fputs("</code></p><table><tr><th>#</th><th>Peel outpoint</th><th>Address</th><th>Tainted</th>"
		      "<th>Fate</th><th>Category</th></tr>",
		      f);
		size_t k;
		json_t *p;
		json_array_foreach(json_object_get(c, "peels"), k, p) {
			fprintf(f, "<tr><td>%zu</td><td><code>", k + 1);
			esc(f, jstr(p, "outpoint"));
			fputs("</code></td><td><code>", f);
			esc(f, jstr(p, "address"));
			fputs("</code></td><td class=num>", f);
			btc(f, jint(p, "amount_sat"));
			fputs("</td><td>", f);
			esc(f, jstr(p, "fate"));
			fputs("</td><td>", f);
			esc(f, jstr(p, "category"));
			fputs("</td></tr>", f);
		}
		fputs("</table>\n", f);
	}
}

static void graph_svg(FILE *f, const json_t *t)
{
	json_t *g = json_object_get(t, "graph");
	json_t *nodes = json_object_get(g, "nodes"), *edges = json_object_get(g, "edges");
	size_t nn = json_array_size(nodes);
	fputs("<h2>Flow graph</h2>", f);
	if (!nn) {
		fputs("<p>Empty.</p>", f);
		return;
	}
	if (nn > HTML_MAX_NODES) {
		fprintf(f, "<p>%zu nodes: too many to draw; the first %d are shown. Use --format dot for the whole "
		           "graph.</p>",
		        nn, HTML_MAX_NODES);
		nn = HTML_MAX_NODES;
	}
	json_t *index = json_object();
	for (size_t i = 0; i < nn; i++)
		json_object_set_new(index, jstr(json_array_get(nodes, i), "id"), json_integer((json_int_t)i));
	int *depth = calloc(nn, sizeof *depth), *row = calloc(nn, sizeof *row);
	if (!depth || !row) {
		free(depth);
		free(row);
		json_decref(index);
		return;
	}
	/* longest-path layering; flows are acyclic (chain order) */
	for (int pass = 0, changed = 1; changed && pass < 200; pass++) {
		changed = 0;
		size_t k;
		json_t *e;
		json_array_foreach(edges, k, e) {
			json_t *a = json_object_get(index, jstr(e, "from")), *b = json_object_get(index, jstr(e, "to"));
			if (!a || !b) continue;
			size_t ia = (size_t)json_integer_value(a), ib = (size_t)json_integer_value(b);
			if (depth[ib] < depth[ia] + 1 && depth[ia] + 1 < 10000) {
				depth[ib] = depth[ia] + 1;
				changed = 1;
			}
		}
	}
	int maxd = 0, counts[10001] = { 0 }, maxrow = 0;
	for (size_t i = 0; i < nn; i++) {
		if (depth[i] > maxd) maxd = depth[i];
		row[i] = counts[depth[i]]++;
		if (row[i] > maxrow) maxrow = row[i];
	}
	int W = (maxd + 1) * 170 + 40, H = (maxrow + 1) * 34 + 40;
	fprintf(f, "<div class=graph><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	           "viewBox=\"0 0 %d %d\">",
	        W, H, W, H);
#define NX(i) (20 + depth[i] * 170)
#define NY(i) (24 + row[i] * 34)
	size_t k;
	json_t *e;
	json_array_foreach(edges, k, e) {
		json_t *a = json_object_get(index, jstr(e, "from")), *b = json_object_get(index, jstr(e, "to"));
		if (!a || !b) continue;
		size_t ia = (size_t)json_integer_value(a), ib = (size_t)json_integer_value(b);
		fprintf(f, "<line class=e x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"><title>", NX(ia) + 120, NY(ia), NX(ib),
		        NY(ib));
		btc(f, jint(e, "amount_sat"));
		fputs("</title></line>", f);
	}
	for (size_t i = 0; i < nn; i++) {
		const json_t *n = json_array_get(nodes, i);
		const char *kind = jstr(n, "kind");
		const char *cls = !strcmp(kind, "tx") ? "tx" : !strcmp(kind, "endpoint") ? "ep" : "hold";
		fprintf(f, "<g class=\"n %s\"><rect x=\"%d\" y=\"%d\" width=\"120\" height=\"22\" rx=\"4\"/>", cls, NX(i),
		        NY(i) - 11);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", NX(i) + 4, NY(i) + 4);
		if (!strcmp(kind, "endpoint") && *jstr(n, "label")) {
			char b[24];
			snprintf(b, sizeof b, "%.18s", jstr(n, "label"));
			esc(f, b);
		} else {
			char b[24];
			snprintf(b, sizeof b, "%.12s", jstr(n, "id"));
			esc(f, b);
		}
		fputs("</text><title>", f);
		esc(f, jstr(n, "id"));
		if (json_object_get(n, "amount_sat")) {
			fputs(" ", f);
			btc(f, jint(n, "amount_sat"));
		}
		fputs("</title></g>", f);
	}
#undef NX
#undef NY
	fputs("</svg></div>\n", f);
	free(depth);
	free(row);
	json_decref(index);
}

int tl_report_html(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	if (!json_is_object(trace) || !json_object_get(trace, "totals") || !json_object_get(trace, "graph"))
		return tl_err_set(err, "not a trace result");
	FILE *f = open_memstream(buf, len);
	if (!f) return tl_err_set(err, "out of memory");
	fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>taintline trace</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222}code{font-size:90%}\n"
	      "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
	      "text-align:left}\n.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	      ".graph{overflow:auto;border:1px solid #ccc}\n.e{stroke:#999;stroke-width:1}\n"
	      ".n rect{stroke:#555}.tx rect{fill:#e8eef7}.ep rect{fill:#f4c7c3}.hold rect{fill:#d9ead3}\n"
	      ".n text{font:10px monospace}.n.hi rect{stroke:#d00;stroke-width:2}\n"
	      "</style></head><body>\n<h1>taintline trace report</h1>\n",
	      f);
	summary(f, trace);
	endpoints_by_label(f, trace);
	peel_chains(f, trace);
	graph_svg(f, trace);
	fputs("<script>\n/* click a node to highlight it */\n"
	      "document.querySelectorAll('g.n').forEach(function(g){g.addEventListener('click',function(){"
	      "g.classList.toggle('hi');});});\n</script>\n</body></html>\n",
	      f);
	if (fclose(f)) return tl_err_set(err, "out of memory");
	return 0;
}
