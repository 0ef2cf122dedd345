/* A short summary of a trace for a person at a terminal; see trace.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

static json_int_t geti(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static void btc(FILE *f, json_int_t sat)
{
	fprintf(f, "%lld.%08lld BTC", (long long)(sat / 100000000), (long long)(sat % 100000000));
}

struct dest {
	const char *label, *category;
	json_int_t sat;
	long n;
};

static int cmp_dest(const void *a, const void *b)
{
	const struct dest *x = a, *y = b;
	return x->sat < y->sat ? 1 : x->sat > y->sat ? -1 : strcmp(x->label, y->label);
}

int tl_report_text(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	const json_t *totals = json_object_get(trace, "totals");
	const json_t *endpoints = json_object_get(trace, "endpoints");
	if (!json_is_object(totals) || !json_is_array(endpoints))
		return tl_err_set(err, "trace result has no totals or endpoints");
	FILE *f = open_memstream(buf, len);
	if (!f) return tl_err_set(err, "out of memory");
	const json_t *tip = json_object_get(trace, "tip");
	fprintf(f, "policy %s at tip %lld (%s)\n", json_string_value(json_object_get(trace, "policy")),
		(long long)geti(tip, "height"), json_string_value(json_object_get(tip, "hash")));
	fputs("  stolen (seeded):   ", f);
	btc(f, geti(totals, "seeded_sat"));
	fputs("\n  reached endpoints: ", f);
	btc(f, geti(totals, "endpoints_sat"));
	fprintf(f, " in %zu outputs\n  still held:        ", json_array_size(endpoints));
	btc(f, geti(totals, "holdings_sat"));
	fprintf(f, " in %zu unspent outputs\n  paid in fees:      ", json_array_size(json_object_get(trace, "holdings")));
	btc(f, geti(totals, "fees_sat"));
	fputs("\n  cut by limits:     ", f);
	btc(f, geti(totals, "cut_sat"));
	fputc('\n', f);

	/* Endpoints grouped by the entity that received them. */
	size_t n = json_array_size(endpoints), nd = 0;
	struct dest *d = calloc(n ? n : 1, sizeof *d);
	if (!d) abort();
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(endpoints, i), *tag = json_object_get(e, "tag");
		const char *label = json_string_value(json_object_get(tag, "label"));
		const char *cat = json_string_value(json_object_get(tag, "category"));
		if (!label || !*label) label = "(untagged)";
		if (!cat) cat = "";
		size_t k = 0;
		while (k < nd && strcmp(d[k].label, label)) k++;
		if (k == nd) {
			d[nd].label = label;
			d[nd].category = cat;
			nd++;
		}
		d[k].sat += geti(e, "amount_sat");
		d[k].n++;
	}
	qsort(d, nd, sizeof *d, cmp_dest);
	if (nd) fputs("  where it went:\n", f);
	for (size_t k = 0; k < nd; k++) {
		fprintf(f, "    %-24s %-10s ", d[k].label, d[k].category);
		btc(f, d[k].sat);
		fprintf(f, " in %ld deposit%s\n", d[k].n, d[k].n == 1 ? "" : "s");
	}
	free(d);

	const json_t *peels = json_object_get(trace, "peel_chains");
	size_t np = json_array_size(peels);
	json_int_t longest = 0, peeled = 0;
	for (size_t i = 0; i < np; i++) {
		const json_t *p = json_array_get(peels, i);
		if (geti(p, "length") > longest) longest = geti(p, "length");
		peeled += geti(p, "peeled_sat");
	}
	fprintf(f, "  peel chains:       %zu (longest %lld hops), ", np, (long long)longest);
	btc(f, peeled);
	fputs(" peeled off\n", f);
	const json_t *mixers = json_object_get(trace, "mixers");
	json_int_t mixed = 0;
	for (size_t i = 0; i < json_array_size(mixers); i++) mixed += geti(json_array_get(mixers, i), "amount_sat");
	fprintf(f, "  mixer entries:     %zu, ", json_array_size(mixers));
	btc(f, mixed);
	fputs(" into mixers and CoinJoins\n", f);
	if (fclose(f)) return tl_err_set(err, "out of memory");
	return 0;
}
