/* Self-contained HTML report of a trace; see trace.h. No external
 * resources: inline CSS, an inline SVG drawing of the flow graph (layers
 * by depth from the seeds) and a few lines of inline script for
 * highlighting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

#define HTML_MAX_NODES 300

static void esc_char(FILE *f, char c)
{
	switch (c) {
	case '<': fputs("&lt;", f); break;
	case '>': fputs("&gt;", f); break;
	case '&': fputs("&amp;", f); break;
	case '"': fputs("&quot;", f); break;
	case '\'': fputs("&#39;", f); break;
	default: fputc(c, f);
	}
}

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) esc_char(f, *s);
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
	if (*jstr(p, "clearance")) { /* the reader should know whose view this is */
		fputs("; computed for TLP clearance ", f);
		esc(f, jstr(p, "clearance"));
		fputs(" (tags marked above it left out)", f);
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

	/* where the seeded amount is now, as one bar */
	long long seeded = jint(tot, "seeded_sat");
	if (seeded > 0) {
		static const char *parts[][3] = { { "endpoints_sat", "at endpoints", "ep" },
			                          { "holdings_sat", "still held", "hold" },
			                          { "fees_sat", "fees", "fee" },
			                          { "cut_sat", "cut by limits", "cut" } };
		fputs("<div class=bar>", f);
		for (size_t k = 0; k < 4; k++) {
			double pc = 100.0 * (double)jint(tot, parts[k][0]) / (double)seeded;
			if (pc <= 0) continue;
			fprintf(f, "<span class=%s style=\"width:%.3f%%\" title=\"%s %.1f%%\"></span>", parts[k][2], pc,
			        parts[k][1], pc);
		}
		fputs("</div><p class=legend>", f);
		for (size_t k = 0; k < 4; k++)
			fprintf(f, "<span class=\"sw %s\"></span>%s %.1f%% ", parts[k][2], parts[k][1],
			        100.0 * (double)jint(tot, parts[k][0]) / (double)seeded);
		fputs("</p>\n", f);
	}

	/* where it went, by entity */
	json_t *eps = json_object_get(t, "endpoints"), *sums = json_object(), *order = json_array();
	json_t *e;
	json_array_foreach(eps, i, e) {
		const char *l = jstr(json_object_get(e, "tag"), "label");
		if (!*l) l = "(untagged)";
		json_t *g = json_object_get(sums, l);
		if (!g) {
			g = json_pack("{s:I,s:I,s:s}", "sat", (json_int_t)0, "n", (json_int_t)0, "cat",
			              jstr(json_object_get(e, "tag"), "category"));
			json_object_set_new(sums, l, g);
			json_array_append_new(order, json_string(l));
		}
		json_object_set_new(g, "sat", json_integer(json_integer_value(json_object_get(g, "sat")) +
		                                           json_integer_value(json_object_get(e, "amount_sat"))));
		json_object_set_new(g, "n", json_integer(json_integer_value(json_object_get(g, "n")) + 1));
	}
	/* largest first (selection; a handful of entities) */
	size_t ne = json_array_size(order);
	for (size_t a = 0; a + 1 < ne; a++)
		for (size_t b = a + 1; b < ne; b++) {
			json_int_t va = json_integer_value(json_object_get(json_object_get(sums, json_string_value(json_array_get(order, a))), "sat"));
			json_int_t vb = json_integer_value(json_object_get(json_object_get(sums, json_string_value(json_array_get(order, b))), "sat"));
			if (vb > va) {
				json_t *x = json_incref(json_array_get(order, a));
				json_array_set(order, a, json_array_get(order, b));
				json_array_set_new(order, b, x);
			}
		}
	fputs("<h2>Where it went</h2>", f);
	if (!ne) fputs("<p>No tainted funds reached a tagged service.</p>", f);
	else {
		fputs("<table class=where><tr><th>Entity</th><th>Category</th><th>Deposits</th><th>Tainted</th>"
		      "<th>Share of seeded</th></tr>",
		      f);
		json_t *name;
		json_array_foreach(order, i, name) {
			json_t *g = json_object_get(sums, json_string_value(name));
			long long sat = json_integer_value(json_object_get(g, "sat"));
			double pc = seeded > 0 ? 100.0 * (double)sat / (double)seeded : 0;
			fputs("<tr><td>", f);
			esc(f, json_string_value(name));
			fputs("</td><td>", f);
			esc(f, jstr(g, "cat"));
			fprintf(f, "</td><td class=num>%lld</td><td class=num>", (long long)json_integer_value(json_object_get(g, "n")));
			btc(f, sat);
			fprintf(f, "</td><td><span class=share style=\"width:%.1fpx\"></span> %.1f%%</td></tr>", 2.0 * pc, pc);
		}
		fputs("</table>\n", f);
	}
	json_decref(sums);
	json_decref(order);

	/* patterns */
	json_t *pcs = json_object_get(t, "peel_chains"), *mx = json_object_get(t, "mixers");
	long long peeled = 0, mixed = 0, longest = 0;
	json_array_foreach(pcs, i, e) {
		peeled += jint(e, "peeled_sat");
		if (jint(e, "length") > longest) longest = jint(e, "length");
	}
	json_array_foreach(mx, i, e) mixed += jint(e, "amount_sat");
	fprintf(f, "<p class=patterns>Peel chains: <b>%zu</b> (longest %lld links), ", json_array_size(pcs), longest);
	btc(f, peeled);
	fprintf(f, " peeled off. Mixer and CoinJoin entries: <b>%zu</b>, ", json_array_size(mx));
	btc(f, mixed);
	fputs(".</p>\n", f);
}

static void endpoints_by_label(FILE *f, const json_t *t)
{
	json_t *eps = json_object_get(t, "endpoints");
	fputs("<h2>Endpoints by exchange / service</h2><p class=legend>Click a name for its deposits.</p>", f);
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
		fputs("<details><summary><h3>", f);
		esc(f, json_string_value(name));
		fprintf(f, " — %zu deposit%s, ", json_array_size(g), json_array_size(g) == 1 ? "" : "s");
		btc(f, sum);
		fputs("</h3></summary><table><tr><th>Outpoint</th><th>Address</th><th>Category</th><th>Tainted</th><th>Hops</th>"
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
		fputs("</table></details>\n", f);
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
		fprintf(f, "<details><summary><h3>Chain %zu: %lld links, ", i + 1, jint(c, "length"));
		btc(f, jint(c, "peeled_sat"));
		fputs(" peeled</h3></summary><p>from <code>", f);
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
		fputs("</table></details>\n", f);
	}
}

struct gnode {
	const json_t *n;
	long long w; /* largest flow into or out of the node */
	size_t orig;
	int keep, depth, row;
};

static int by_weight(const void *a, const void *b)
{
	const struct gnode *x = *(const struct gnode *const *)a, *y = *(const struct gnode *const *)b;
	if (x->w != y->w) return x->w > y->w ? -1 : 1;
	return x->orig < y->orig ? -1 : x->orig > y->orig;
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
	struct gnode *gn = calloc(nn, sizeof *gn);
	struct gnode **ord = calloc(nn, sizeof *ord);
	json_t *index = json_object();
	if (!gn || !ord || !index) {
		free(gn);
		free(ord);
		json_decref(index);
		return;
	}
	for (size_t i = 0; i < nn; i++) {
		gn[i].n = json_array_get(nodes, i);
		gn[i].orig = i;
		ord[i] = &gn[i];
		json_object_set_new(index, jstr(gn[i].n, "id"), json_integer((json_int_t)i));
	}
	size_t k;
	json_t *e;
	json_array_foreach(edges, k, e) {
		json_t *a = json_object_get(index, jstr(e, "from")), *b = json_object_get(index, jstr(e, "to"));
		if (!a || !b) continue;
		long long amt = jint(e, "amount_sat");
		struct gnode *x = &gn[json_integer_value(a)], *y = &gn[json_integer_value(b)];
		if (amt > x->w) x->w = amt;
		if (amt > y->w) y->w = amt;
	}
	/* too many to read: draw the nodes that carry the largest flows */
	size_t shown = nn;
	if (nn > HTML_MAX_NODES) {
		qsort(ord, nn, sizeof *ord, by_weight);
		shown = HTML_MAX_NODES;
	}
	for (size_t i = 0; i < shown; i++) ord[i]->keep = 1;
	if (shown < nn)
		fprintf(f, "<p>%zu nodes and %zu flows in all; the %zu nodes carrying the largest flows are drawn "
		           "(the tables below and <code>--format dot</code> have everything).</p>",
		        nn, json_array_size(edges), shown);
	/* longest-path layering over the kept nodes; flows are acyclic (chain order) */
	for (int pass = 0, changed = 1; changed && pass < 200; pass++) {
		changed = 0;
		json_array_foreach(edges, k, e) {
			json_t *a = json_object_get(index, jstr(e, "from")), *b = json_object_get(index, jstr(e, "to"));
			if (!a || !b) continue;
			struct gnode *x = &gn[json_integer_value(a)], *y = &gn[json_integer_value(b)];
			if (!x->keep || !y->keep) continue;
			if (y->depth < x->depth + 1 && x->depth + 1 < 1000) {
				y->depth = x->depth + 1;
				changed = 1;
			}
		}
	}
	int maxd = 0, maxrow = 0, *counts = calloc(1001, sizeof *counts);
	if (!counts) goto out;
	for (size_t i = 0; i < nn; i++) {
		if (!gn[i].keep) continue;
		if (gn[i].depth > maxd) maxd = gn[i].depth;
		gn[i].row = counts[gn[i].depth]++;
		if (gn[i].row > maxrow) maxrow = gn[i].row;
	}
	free(counts);
	long long wmax = 1;
	for (size_t i = 0; i < nn; i++)
		if (gn[i].w > wmax) wmax = gn[i].w;
	fputs("<p class=legend><span class=\"sw tx\"></span>transaction <span class=\"sw ep\"></span>endpoint "
	      "(exchange, service) <span class=\"sw hold\"></span>still held; line width follows the amount; "
	      "hover for amounts, click to highlight.</p>",
	      f);
	int W = (maxd + 1) * 170 + 40, H = (maxrow + 1) * 30 + 30;
	fprintf(f, "<div class=graph><svg id=flow xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	           "viewBox=\"0 0 %d %d\">",
	        W, H, W, H);
#define NX(p) (20 + (p)->depth * 170)
#define NY(p) (22 + (p)->row * 30)
	json_array_foreach(edges, k, e) {
		json_t *a = json_object_get(index, jstr(e, "from")), *b = json_object_get(index, jstr(e, "to"));
		if (!a || !b) continue;
		struct gnode *x = &gn[json_integer_value(a)], *y = &gn[json_integer_value(b)];
		if (!x->keep || !y->keep) continue;
		double sw = 0.6 + 5.0 * (double)jint(e, "amount_sat") / (double)wmax;
		int x1 = NX(x) + 120, y1 = NY(x), x2 = NX(y), y2 = NY(y);
		fprintf(f, "<path class=e stroke-width=\"%.2f\" d=\"M%d %d C%d %d %d %d %d %d\"><title>", sw, x1, y1,
		        x1 + 25, y1, x2 - 25, y2, x2, y2);
		btc(f, jint(e, "amount_sat"));
		fputs("</title></path>", f);
	}
	for (size_t i = 0; i < nn; i++) {
		const struct gnode *p = &gn[i];
		if (!p->keep) continue;
		const char *kind = jstr(p->n, "kind");
		const char *cls = !strcmp(kind, "tx") ? "tx" : !strcmp(kind, "endpoint") ? "ep" : "hold";
		fprintf(f, "<g class=\"n %s\"><rect x=\"%d\" y=\"%d\" width=\"120\" height=\"20\" rx=\"4\"/>", cls, NX(p),
		        NY(p) - 10);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", NX(p) + 5, NY(p) + 4);
		char b[24];
		if (!strcmp(kind, "endpoint") && *jstr(p->n, "label")) snprintf(b, sizeof b, "%.18s", jstr(p->n, "label"));
		else snprintf(b, sizeof b, "%.8s…", jstr(p->n, "id"));
		esc(f, b);
		fputs("</text><title>", f);
		esc(f, kind);
		fputs(" ", f);
		esc(f, jstr(p->n, "id"));
		if (json_object_get(p->n, "amount_sat")) {
			fputs(" ", f);
			btc(f, jint(p->n, "amount_sat"));
		}
		fputs("</title></g>", f);
	}
#undef NX
#undef NY
	fputs("</svg></div>\n", f);
out:
	free(gn);
	free(ord);
	json_decref(index);
}

/* What the trace was computed from, for the reader (the same facts the
 * JSON's provenance and, when the result is signed, its manifest carry):
 * software, generation time, tip, each heist's attribution and sources
 * with the SHA-256 of its definition, the tag sources behind the
 * endpoints, and the signer's key and the tag sources' digests. */
/* A URL shown as text, never as a link: the page fetches nothing, and
 * its colon is written as a character reference so that nothing in the
 * page's source looks like a resource to load. */
static void url_text(FILE *f, const char *u)
{
	for (; u && *u; u++)
		if (*u == ':') fputs("&#58;", f);
		else esc_char(f, *u);
}

static void provenance(FILE *f, const json_t *t)
{
	const json_t *pv = json_object_get(t, "provenance"), *tip = json_object_get(pv, "tip");
	if (!json_is_object(pv)) return;
	fputs("<h2>Provenance</h2><table class=kv><tr><th>Software</th><td>", f);
	esc(f, jstr(pv, "software"));
	fputs("</td></tr><tr><th>Generated at</th><td>", f);
	esc(f, jstr(pv, "generated_at"));
	fputs("</td></tr><tr><th>Network, tip</th><td>", f);
	esc(f, jstr(pv, "network"));
	fprintf(f, ", height %lld, block <code>", jint(tip, "height"));
	esc(f, jstr(tip, "hash"));
	fputs("</code></td></tr>", f);
	size_t i, k;
	json_t *h, *x;
	json_array_foreach(json_object_get(pv, "heists"), i, h) {
		const json_t *a = json_object_get(h, "attribution");
		fputs("<tr><th>Heist <code>", f);
		esc(f, jstr(h, "id"));
		fputs("</code></th><td>", f);
		esc(f, jstr(h, "name"));
		fputs(" (", f);
		esc(f, jstr(h, "date"));
		fputs(")<br>actor: ", f);
		esc(f, *jstr(h, "actor") ? jstr(h, "actor") : "not named");
		fputs("<br>attribution: ", f);
		esc(f, jstr(a, "authority"));
		fputs(", ", f);
		esc(f, jstr(a, "document"));
		if (*jstr(a, "url")) {
			fputs(", <code>", f);
			url_text(f, jstr(a, "url"));
			fputs("</code>", f);
		}
		json_array_foreach(json_object_get(h, "sources"), k, x) {
			fputs("<br>source: <code>", f);
			url_text(f, json_is_string(x) ? json_string_value(x) : jstr(x, "url"));
			fputs("</code>", f);
		}
		fputs("<br>definition: ", f);
		esc(f, jstr(h, "definition"));
		if (*jstr(h, "definition_sha256")) {
			fputs(", sha256 <code>", f);
			esc(f, jstr(h, "definition_sha256"));
			fputs("</code>", f);
		}
		fputs("</td></tr>", f);
	}
	/* the tag sources the endpoints' labels come from */
	json_t *srcs = json_object();
	json_array_foreach(json_object_get(t, "endpoints"), i, x) {
		const char *src = json_string_value(json_object_get(json_object_get(x, "tag"), "source"));
		if (src) json_object_set_new(srcs, src, json_true());
	}
	const json_t *m = json_object_get(json_object_get(t, "signature"), "manifest");
	fputs("<tr><th>Tag sources</th><td>", f);
	const char *src;
	json_t *v;
	int n = 0;
	json_object_foreach(srcs, src, v) {
		fputs(n++ ? "<br><code>" : "<code>", f);
		esc(f, src);
		fputs("</code>", f);
		json_array_foreach(json_object_get(m, "tag_sources"), k, x)
			if (!strcmp(jstr(x, "source"), src) && *jstr(x, "sha256")) {
				fprintf(f, ", %lld tags, sha256 <code>", jint(x, "tags"));
				esc(f, jstr(x, "sha256"));
				fputs("</code>", f);
			}
	}
	if (!n) fputs("none named by the endpoints", f);
	fputs("</td></tr>", f);
	json_decref(srcs);
	const json_t *sig = json_object_get(t, "signature");
	if (json_is_object(sig)) {
		fputs("<tr><th>Signed by</th><td><code>", f);
		esc(f, jstr(sig, "pubkey"));
		fputs("</code> (", f);
		esc(f, jstr(sig, "alg"));
		fputs("; check with taintline verify)</td></tr>", f);
	}
	fputs("</table>\n", f);
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
	      ".graph{overflow:auto;max-height:75vh;border:1px solid #ccc;background:#fcfcfc}\n"
	      ".e{stroke:#7b8fb0;fill:none;stroke-opacity:.7}\n"
	      ".n rect{stroke:#555}.tx rect{fill:#e8eef7}.ep rect{fill:#f4c7c3}.hold rect{fill:#d9ead3}\n"
	      ".n text{font:10px monospace}.n.hi rect{stroke:#d00;stroke-width:2}.n{cursor:pointer}\n"
	      ".bar{display:flex;width:100%;max-width:60em;height:18px;border:1px solid #999;margin:.8em 0 .2em}\n"
	      ".bar span{display:block;height:100%}.ep{background:#e06666}.hold{background:#93c47d}"
	      ".fee{background:#999}.cut{background:#f6b26b}\n"
	      ".sw{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;vertical-align:middle;"
	      "border:1px solid #555}.sw.tx{background:#e8eef7}.sw.ep{background:#e06666}"
	      ".sw.hold{background:#93c47d}.sw.fee{background:#999}.sw.cut{background:#f6b26b}\n"
	      ".legend{font-size:90%;color:#444;margin:.2em 0}.share{display:inline-block;height:.8em;"
	      "background:#e06666}\n.patterns{margin:.6em 0}details{margin:.3em 0}summary{cursor:pointer}\n"
	      "summary h3{display:inline}\n"
	      "</style></head><body>\n<h1>taintline trace report</h1>\n",
	      f);
	summary(f, trace);
	graph_svg(f, trace);
	endpoints_by_label(f, trace);
	peel_chains(f, trace);
	provenance(f, trace);
	fputs("<script>\n/* click a node to highlight it */\n"
	      "document.querySelectorAll('g.n').forEach(function(g){g.addEventListener('click',function(){"
	      "g.classList.toggle('hi');});});\n</script>\n</body></html>\n",
	      f);
	if (fclose(f)) return tl_err_set(err, "out of memory");
	return 0;
}
