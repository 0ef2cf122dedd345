#include "api/http_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http_server_int.h"

int tl_api_reply_json(struct tl_api_req *req, int status, json_t *body)
{
	if (!body) return tl_api_reply_error(req, 500, "internal", "the reply could not be built");
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (!text) return tl_api_reply_error(req, 500, "internal", "the reply could not be encoded");
	int rc = tl_api_reply_raw(req, status, "application/json", text, strlen(text));
	free(text);
	return rc;
}

static int reply_error_v(struct tl_api_req *req, int status, const char *code, json_t *extra,
			 const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	json_t *o = json_object();
	if (!o) {
		json_decref(extra);
		static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
		return tl_api_reply_raw(req, 500, "application/json", oom, sizeof oom - 1);
	}
	json_object_set_new(o, "error", json_string(code));
	/* json_string rejects invalid UTF-8 (e.g. from a path echoed back). */
	json_t *m = json_string(msg);
	if (!m) m = json_string("(message was not valid UTF-8)");
	json_object_set_new(o, "message", m);
	if (extra && json_is_object(extra)) {
		const char *k;
		json_t *v;
		json_object_foreach(extra, k, v)
		{
			if (strcmp(k, "error") && strcmp(k, "message")) json_object_set(o, k, v);
		}
	}
	json_decref(extra);
	return tl_api_reply_json(req, status, o);
}

int tl_api_reply_error(struct tl_api_req *req, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = reply_error_v(req, status, code, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int tl_api_reply_error_extra(struct tl_api_req *req, int status, const char *code, json_t *extra,
			     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = reply_error_v(req, status, code, extra, fmt, ap);
	va_end(ap);
	return rc;
}

int tl_api_reply_err(struct tl_api_req *req, const struct tl_err *err, const char *bad_input, int failed_status)
{
	int status;
	const char *code;
	switch (err->code) {
	case TL_E_BAD_INPUT: status = 400, code = bad_input ? bad_input : "bad_request"; break;
	case TL_E_WRONG_NETWORK: status = 400, code = "wrong_network"; break;
	case TL_E_NOT_FOUND: status = 404, code = "not_found"; break;
	case TL_E_CONFLICT: status = 409, code = "database_busy"; break;
	case TL_E_UNAVAILABLE: status = 503, code = "unavailable"; break;
	case TL_E_TIMEOUT: status = 422, code = "timeout"; break;
	case TL_E_TOO_LARGE: status = 413, code = "too_large"; break;
	case TL_E_STORE:
		tl_api_log(tl_api_req_server(req), "%s %s: %s", tl_api_req_route(req), "store error", err->msg);
		return tl_api_reply_error(req, 500, "store_error",
					  "reading the index failed (details are in the server's log)");
	default: status = failed_status, code = failed_status >= 500 ? "internal" : "bad_request"; break;
	}
	return tl_api_reply_error(req, status, code, "%s", err->msg);
}

int tl_api_reply_limit(struct tl_api_req *req, int status, const char *limit, double max,
		       const char *narrow, const char *message)
{
	tl_api_count_limit(req, limit);
	json_t *extra = json_pack("{s:s, s:f, s:s}", "limit", limit ? limit : "", "max", max, "narrow",
				  narrow ? narrow : "");
	return tl_api_reply_error_extra(req, status, "limit_exceeded", extra, "%s", message ? message : "limit exceeded");
}

json_t *tl_api_req_json(struct tl_api_req *req)
{
	json_t **slot = tl_api_req_json_slot(req);
	if (*slot) return *slot;
	size_t len;
	const char *body = tl_api_req_body(req, &len);
	if (len == 0) {
		tl_api_reply_error(req, 400, "bad_json", "the request needs a JSON body");
		return NULL;
	}
	json_error_t e;
	json_t *v = json_loadb(body, len, JSON_DECODE_ANY, &e);
	if (!v) {
		tl_api_reply_error(req, 400, "bad_json", "malformed JSON at line %d column %d: %s", e.line, e.column,
				   e.text);
		return NULL;
	}
	*slot = v;
	return v;
}
