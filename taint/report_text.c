/* The text summary of an account-model trace (report.h): what a reader
 * wants first — what was seeded, where it went by exchange or service,
 * what is still held — in the asset's units, exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taint/report.h"

static const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* amount in the asset's units ("1.5 ETH"), or base units when unknown */
static void amount(FILE *f, const json_t *trace, const char *asset, const char *dec)
{
	json_t *info = json_object_get(json_object_get(trace, "assets"), asset);
	int d = info ? (int)json_integer_value(json_object_get(info, "decimals")) : -1;
	const char *sym = js(info, "symbol");
	char buf[TL_U256_DEC_MAX + 80];
	if (d < 0 || d > 77 || strlen(dec) > TL_U256_DEC_MAX) fprintf(f, "%s units of %s", dec, asset);
	else fprintf(f, "%s %s", tl_taint_units(dec, d, buf), *sym ? sym : asset);
}

/* Sums of amounts by key (label | asset): key -> {sum (u256 as string), n, accounts {}} */
static int add_to(json_t *by, const char *key, const char *asset, const char *addr, const char *dec)
{
	json_t *g = json_object_get(by, key);
	if (!g) {
		g = json_pack("{s:s,s:s,s:i,s:o}", "sum", "0", "asset", asset, "n", 0, "accounts", json_object());
		json_object_set_new(by, key, g);
	}
	tl_uint256 a, b;
	const char *s = js(g, "sum");
	if (tl_uint256_from_dec(s, strlen(s), &a) || tl_uint256_from_dec(dec, strlen(dec), &b) || tl_uint256_add(&a, &a, &b))
		return -1;
	char out[TL_U256_DEC_MAX];
	json_object_set_new(g, "sum", json_string(tl_uint256_to_dec(&a, out)));
	json_object_set_new(g, "n", json_integer(json_integer_value(json_object_get(g, "n")) + 1));
	json_object_set_new(json_object_get(g, "accounts"), addr, json_true());
	return 0;
}

int tl_taint_report_text(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	json_t *totals = json_object_get(trace, "totals"), *eps = json_object_get(trace, "endpoints"),
	       *hold = json_object_get(trace, "holdings");
	if (!json_is_object(totals) || !json_is_array(eps) || !json_is_array(hold))
		return tl_err_set(err, "trace object lacks totals, endpoints or holdings");
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	if (!f) return tl_err_set(err, "out of memory");
	json_t *h = json_object_get(trace, "heist");
	if (h) fprintf(f, "heist %s (%s)\n", js(h, "id"), js(h, "name"));
	json_t *params = json_object_get(trace, "params");
	fprintf(f, "chain %s %s, tip %lld; policy %s\n", js(trace, "chain"), js(trace, "network"),
	        (long long)json_integer_value(json_object_get(json_object_get(trace, "tip"), "height")), js(trace, "policy"));
	json_t *dh = json_object_get(params, "deposit_heuristic");
	if (json_is_object(dh))
		fprintf(f, "deposit-address heuristic: %lld accounts forward everything they send to one exchange's "
		           "hot wallet and are taken for its deposit accounts\n",
		        (long long)json_integer_value(json_object_get(dh, "accounts")));
	const char *asset;
	json_t *t;
	static const char *fields[] = { "seeded", "endpoints", "holdings", "fees", "cut", "converted_in", "converted_out",
		                        "unknown_prior" };
	json_object_foreach(totals, asset, t) {
		fprintf(f, "\n%s:\n", asset);
		for (int i = 0; i < 8; i++) {
			const char *v = js(t, fields[i]);
			if (!strcmp(v, "0") || !*v) continue;
			fprintf(f, "  %-14s ", fields[i]);
			amount(f, trace, asset, v);
			fputc('\n', f);
		}
	}
	json_t *by = json_object();
	size_t i;
	json_t *e;
	int bad = 0;
	json_array_foreach(eps, i, e) {
		json_t *tag = json_object_get(e, "tag");
		char key[512];
		snprintf(key, sizeof key, "%s (%s%s%s) | %s", js(tag, "label"), js(tag, "category"),
		         !strcmp(js(tag, "source"), "deposit-address heuristic") ? ", deposit accounts" : "",
		         "", js(e, "asset"));
		bad |= add_to(by, key, js(e, "asset"), js(e, "address"), js(e, "amount"));
	}
	fprintf(f, "\nendpoints: %zu transfers\n", json_array_size(eps));
	const char *k;
	json_t *g;
	json_object_foreach(by, k, g) {
		char label[512];
		snprintf(label, sizeof label, "%s", k);
		char *bar = strstr(label, " | ");
		if (bar) *bar = 0;
		fprintf(f, "  %s: ", label);
		amount(f, trace, js(g, "asset"), js(g, "sum"));
		fprintf(f, " in %lld transfers to %zu account%s\n", (long long)json_integer_value(json_object_get(g, "n")),
		        json_object_size(json_object_get(g, "accounts")),
		        json_object_size(json_object_get(g, "accounts")) == 1 ? "" : "s");
	}
	json_decref(by);
	fprintf(f, "holdings: %zu (account, asset) pools still hold taint\n", json_array_size(hold));
	if (fclose(f) || bad) {
		free(p);
		return tl_err_set(err, bad ? "an endpoint amount is not a decimal integer" : "out of memory");
	}
	*buf = p;
	*len = n;
	return 0;
}
