/* JSON rendering of a trace result; see trace.h. */
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

int tl_report_json(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
{
	if (!json_is_object(trace)) return tl_err_set(err, "not a trace result");
	char *s = json_dumps(trace, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s) return tl_err_set(err, "cannot serialize the trace");
	*len = strlen(s);
	*buf = s;
	return 0;
}
