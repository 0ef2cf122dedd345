/* Graphviz DOT rendering of a trace's flow graph; see trace.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

/* DOT string literal: escape quotes and backslashes, drop control chars. */
static void qstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\') fputc('\\', f);
		if ((unsigned char)*s >= 0x20) fputc(*s, f);
	}
	fputc('"', f);
}

static void btc(FILE *f, long long sat) { fprintf(f, "%lld.%08lld BTC", sat / 100000000, sat % 100000000); }

int tl_report_dot(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	json_t *g = json_object_get(trace, "graph");
	json_t *nodes = json_object_get(g, "nodes"), *edges = json_object_get(g, "edges");
	if (!json_is_array(nodes) || !json_is_array(edges)) return tl_err_set(err, "trace result has no graph");
	FILE *f = open_memstream(buf, len);
	if (!f) return tl_err_set(err, "out of memory");
	fprintf(f, "digraph taint {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
	fprintf(f, "  label=");
	char lab[256];
	snprintf(lab, sizeof lab, "taintline trace, policy %s, tip %lld",
	         json_string_value(json_object_get(trace, "policy")) ? json_string_value(json_object_get(trace, "policy"))
	                                                              : "?",
	         (long long)json_integer_value(json_object_get(json_object_get(trace, "tip"), "height")));
	qstr(f, lab);
	fprintf(f, ";\n");
	/* seeds are drawn bold */
	json_t *seeds = json_object_get(trace, "seed_outputs");
	size_t i;
	json_t *n;
	json_array_foreach(nodes, i, n) {
		const char *id = json_string_value(json_object_get(n, "id"));
		const char *kind = json_string_value(json_object_get(n, "kind"));
		if (!id || !kind) continue;
		fputs("  ", f);
		qstr(f, id);
		if (!strcmp(kind, "tx")) {
			int seed = 0;
			size_t k;
			json_t *s;
			json_array_foreach(seeds, k, s) {
				const char *t = json_string_value(json_object_get(s, "txid"));
				const char *o = json_string_value(json_object_get(s, "outpoint"));
				if ((t && !strcmp(t, id)) || (o && !strncmp(o, id, 64))) seed = 1;
			}
			char l[32];
			snprintf(l, sizeof l, "%.8s..%.4s", id, id + (strlen(id) > 4 ? strlen(id) - 4 : 0));
			fputs(" [shape=ellipse, label=", f);
			qstr(f, l);
			fputs(seed ? ", style=bold, color=red]" : "]", f);
		} else {
			const char *label = json_string_value(json_object_get(n, "label"));
			const char *cat = json_string_value(json_object_get(n, "category"));
			char l[200];
			long long amt = (long long)json_integer_value(json_object_get(n, "amount_sat"));
			snprintf(l, sizeof l, "%s%s%s\\n%.8s..:%s\\n%lld.%08lld BTC",
			         !strcmp(kind, "endpoint") ? (label && *label ? label : "endpoint") : "holding",
			         cat && *cat ? " / " : "", cat ? cat : "", id, strchr(id, ':') ? strchr(id, ':') + 1 : "",
			         amt / 100000000, amt % 100000000);
			/* qstr would escape the backslashes of \n: write the label as is */
			fprintf(f, " [shape=box, label=\"");
			for (const char *p = l; *p; p++) {
				if (*p == '"') fputc('\\', f);
				if ((unsigned char)*p >= 0x20) fputc(*p, f);
			}
			fprintf(f, "\", style=filled, fillcolor=%s]",
			         !strcmp(kind, "endpoint") ? (cat && !strcmp(cat, "exchange") ? "\"#f4c7c3\"" : "\"#fce8b2\"")
			                                   : "\"#d9ead3\"");
		}
		fputs(";\n", f);
	}
	json_t *e;
	json_array_foreach(edges, i, e) {
		fputs("  ", f);
		qstr(f, json_string_value(json_object_get(e, "from")));
		fputs(" -> ", f);
		qstr(f, json_string_value(json_object_get(e, "to")));
		fputs(" [label=\"", f);
		btc(f, (long long)json_integer_value(json_object_get(e, "amount_sat")));
		fputs("\"];\n", f);
	}
	fputs("}\n", f);
	if (fclose(f)) return tl_err_set(err, "out of memory");
	return 0;
}
