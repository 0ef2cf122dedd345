/* The trace formats by name (trace_format.h). */
#include <string.h>

#include "report/trace_format.h"
#include "tracer/trace.h"

static const struct {
	const char *name, *ctype;
	int (*render)(const json_t *, char **, size_t *, struct tl_err *);
} formats[] = {
	{ "json", "application/json", tl_report_json },
	{ "csv", "text/csv", tl_report_csv },
	{ "dot", "text/vnd.graphviz", tl_report_dot },
	{ "html", "text/html; charset=utf-8", tl_report_html },
	{ "text", "text/plain; charset=utf-8", tl_report_text },
};

static int find(const char *name)
{
	for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
		if (!strcmp(name, formats[i].name)) return (int)i;
	return -1;
}

const char *tl_trace_format_ctype(const char *name)
{
	int i = find(name);
	return i < 0 ? NULL : formats[i].ctype;
}

int tl_trace_render(const json_t *trace, const char *name, char **buf, size_t *len, struct tl_err *err)
{
	int i = find(name);
	if (i < 0)
		return tl_err_setc(err, TL_E_BAD_INPUT, "unknown format '%.40s' (" TL_TRACE_FORMATS ")",
		                   name ? name : "");
	return formats[i].render(trace, buf, len, err);
}
