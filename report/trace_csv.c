/* CSV rendering of a trace's flow edges; see trace.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

/* Values are txids, outpoints, integers and fixed words: no quoting needed,
 * but quote defensively anything with a comma, quote or newline. */
static void field(FILE *f, const char *s)
{
	if (!s) s = "";
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

int tl_report_csv(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	json_t *edges = json_object_get(json_object_get(trace, "graph"), "edges");
	if (!json_is_array(edges)) return tl_err_set(err, "trace result has no graph.edges");
	FILE *f = open_memstream(buf, len);
	if (!f) return tl_err_set(err, "out of memory");
	fputs("from,to,amount_sat,kind\n", f);
	size_t i;
	json_t *e;
	json_array_foreach(edges, i, e) {
		field(f, json_string_value(json_object_get(e, "from")));
		fputc(',', f);
		field(f, json_string_value(json_object_get(e, "to")));
		fprintf(f, ",%lld,", (long long)json_integer_value(json_object_get(e, "amount_sat")));
		field(f, json_string_value(json_object_get(e, "kind")));
		fputc('\n', f);
	}
	if (fclose(f)) return tl_err_set(err, "out of memory");
	return 0;
}
