/* One entry point for the Bitcoin trace's renderers (tracer/trace.h
 * tl_report_*): the formats both the command line and the API offer,
 * by name, with the media type the API answers them with. */
#ifndef TL_REPORT_TRACE_FORMAT_H
#define TL_REPORT_TRACE_FORMAT_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

/* The format names, for messages: "json, csv, dot, html, text". */
#define TL_TRACE_FORMATS "json, csv, dot, html, text"

/** The media type of a trace format.
 *
 *  Returns: a static string ("text/csv", ...), or NULL for an unknown name.
 *  In:      name: json, csv, dot, html or text.
 */
const char *tl_trace_format_ctype(const char *name);

/** Renders a result of tl_trace_run in a format.
 *
 *  Returns: 0 with *buf (malloc'd, NUL-terminated, the caller frees) and
 *           *len; -1 with err for an unknown format (code BAD_INPUT) or a
 *           result lacking what the renderer needs.
 *  In:      trace: the result; name: one of TL_TRACE_FORMATS.
 */
int tl_trace_render(const json_t *trace, const char *name, char **buf, size_t *len, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
