#include "api/reqscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	S_START,      /* between requests (stray CR/LF skipped) */
	S_HEAD,       /* request line and headers */
	S_NOBODY,     /* headers done, no body: DONE is next */
	S_BODY,       /* Content-Length body */
	S_CH_SIZE,    /* chunk-size line */
	S_CH_SIZE_LF, /* after the chunk-size CR */
	S_CH_DATA,
	S_CH_DATA_CR, /* CRLF after chunk data */
	S_CH_DATA_LF,
	S_CH_TRAILER, /* trailer lines up to an empty one */
	S_FAILED,
};

void tl_reqscan_init(struct tl_reqscan *s, size_t max_head, size_t max_target)
{
	memset(s, 0, sizeof *s);
	s->max_head = max_head ? max_head : 16384;
	s->max_target = max_target ? max_target : 2048;
	s->state = S_START;
}

void tl_reqscan_free(struct tl_reqscan *s)
{
	free(s->head);
	s->head = NULL;
	s->head_cap = s->head_len = 0;
}

int tl_reqscan_busy(const struct tl_reqscan *s)
{
	return s->in_request;
}

int tl_reqscan_in_body(const struct tl_reqscan *s)
{
	return s->state >= S_NOBODY && s->state <= S_CH_TRAILER;
}

static enum tl_scan_event fail(struct tl_reqscan *s, int status, const char *msg)
{
	s->state = S_FAILED;
	s->status = status;
	snprintf(s->msg, sizeof s->msg, "%s", msg);
	return TL_SCAN_ERROR;
}

static int is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char *trim(char *v)
{
	while (*v == ' ' || *v == '\t') v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) v[--n] = '\0';
	return v;
}

/* Cuts the next line (CRLF or LF) off *p; returns it NUL-terminated. */
static char *next_line(char **p)
{
	char *l = *p, *nl = strchr(l, '\n');
	if (!nl) {
		*p = l + strlen(l);
		return l;
	}
	*nl = '\0';
	if (nl > l && nl[-1] == '\r') nl[-1] = '\0';
	*p = nl + 1;
	return l;
}

static int body_method(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

/* Parses the complete header block in s->head. */
static enum tl_scan_event parse_head(struct tl_reqscan *s)
{
	s->head[s->head_len] = '\0';
	if (memchr(s->head, '\0', s->head_len))
		return fail(s, 400, "the request head contains a NUL byte");
	char *p = s->head;
	char *line = next_line(&p);
	char *sp1 = strchr(line, ' ');
	if (!sp1 || sp1 == line || (size_t)(sp1 - line) >= sizeof s->method)
		return fail(s, 400, "malformed request line");
	for (char *c = line; c < sp1; c++)
		if (!is_tchar((unsigned char)*c)) return fail(s, 400, "malformed request method");
	memcpy(s->method, line, (size_t)(sp1 - line));
	s->method[sp1 - line] = '\0';
	char *target = sp1 + 1;
	char *sp2 = strchr(target, ' ');
	if (!sp2 || sp2 == target) return fail(s, 400, "malformed request line");
	*sp2 = '\0';
	if ((size_t)(sp2 - target) > s->max_target) return fail(s, 414, "the request target is too long");
	if (strncmp(sp2 + 1, "HTTP/1.", 7) || !sp2[8] || sp2[8] < '0' || sp2[8] > '9' || sp2[9])
		return fail(s, 400, "malformed HTTP version");
	s->target = target;
	for (;;) {
		if (!*p) break;
		line = next_line(&p);
		if (!*line) break;
		if (*line == ' ' || *line == '\t') return fail(s, 400, "folded header lines are not accepted");
		char *colon = strchr(line, ':');
		if (!colon || colon == line) return fail(s, 400, "malformed header line");
		for (char *c = line; c < colon; c++)
			if (!is_tchar((unsigned char)*c)) return fail(s, 400, "malformed header name");
		*colon = '\0';
		char *v = trim(colon + 1);
		if (!strcasecmp(line, "Authorization")) {
			if (s->n_auth++ == 0) snprintf(s->auth, sizeof s->auth, "%s", v);
		} else if (!strcasecmp(line, "Content-Length")) {
			size_t n = strlen(v);
			if (n == 0 || n > 18 || strspn(v, "0123456789") != n)
				return fail(s, 400, "Content-Length is not a number of bytes");
			uint64_t len = strtoull(v, NULL, 10);
			if (s->has_length && len != s->length)
				return fail(s, 400, "two different Content-Length headers");
			s->has_length = 1;
			s->length = len;
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			if (strcasecmp(v, "chunked")) return fail(s, 400, "only the chunked Transfer-Encoding is accepted");
			s->chunked = 1;
		}
	}
	if (s->n_auth > 1) return fail(s, 400, "more than one Authorization header");
	if (s->has_length && s->chunked) return fail(s, 400, "both Content-Length and Transfer-Encoding given");
	int has_body = s->chunked || (s->has_length && s->length > 0);
	if (has_body && !body_method(s->method)) return fail(s, 400, "this method takes no request body");
	if (s->chunked) {
		s->state = S_CH_SIZE;
		s->hexdigits = 0;
		s->left = 0;
	} else if (has_body) {
		s->state = S_BODY;
		s->left = s->length;
	} else {
		s->state = S_NOBODY;
	}
	return TL_SCAN_HEADERS;
}

static void request_done(struct tl_reqscan *s)
{
	s->state = S_START;
	s->in_request = 0;
	s->target = NULL;
	tl_reqscan_free(s); /* idle connections keep no buffer */
}

static int over_limit(const struct tl_reqscan *s, uint64_t more)
{
	return s->body_limit && s->body_seen + more > s->body_limit;
}

enum tl_scan_event tl_reqscan_feed(struct tl_reqscan *s, const char *p, size_t n, size_t *used)
{
	size_t i = 0;
	enum tl_scan_event ev = TL_SCAN_MORE;
	while (ev == TL_SCAN_MORE) {
		if (s->state == S_FAILED) {
			ev = TL_SCAN_ERROR;
			break;
		}
		if (s->state == S_NOBODY) {
			request_done(s);
			ev = TL_SCAN_DONE;
			break;
		}
		if (s->state == S_BODY && s->left == 0) {
			request_done(s);
			ev = TL_SCAN_DONE;
			break;
		}
		if (s->state == S_BODY && over_limit(s, s->left)) {
			ev = fail(s, 413, "the request body is over this route's limit");
			break;
		}
		if (i == n) break;
		unsigned char c = (unsigned char)p[i];
		switch (s->state) {
		case S_START:
			if (c == '\r' || c == '\n') {
				i++;
				break;
			}
			s->in_request = 1;
			s->n_auth = s->has_length = s->chunked = 0;
			s->auth[0] = s->method[0] = '\0';
			s->length = s->body_seen = s->body_limit = 0;
			s->head_len = 0;
			s->state = S_HEAD;
			break;
		case S_HEAD: {
			if (s->head_len + 2 > s->head_cap) {
				size_t nc = s->head_cap ? s->head_cap * 2 : 1024;
				if (nc > s->max_head + 2) nc = s->max_head + 2;
				if (nc <= s->head_len + 1) {
					ev = fail(s, 431, "the request line and headers are too large");
					break;
				}
				char *nh = realloc(s->head, nc);
				if (!nh) {
					ev = fail(s, 431, "out of memory for the request head");
					break;
				}
				s->head = nh;
				s->head_cap = nc;
			}
			s->head[s->head_len++] = (char)c;
			i++;
			if (c == '\n') {
				size_t L = s->head_len;
				if ((L >= 2 && s->head[L - 2] == '\n') ||
				    (L >= 3 && s->head[L - 2] == '\r' && s->head[L - 3] == '\n'))
					ev = parse_head(s);
			} else if (!memchr(s->head, '\n', s->head_len) && s->head_len > s->max_target + 64) {
				ev = fail(s, 414, "the request target is too long");
			}
			break;
		}
		case S_BODY: {
			size_t k = n - i < s->left ? n - i : (size_t)s->left;
			s->left -= k;
			s->body_seen += k;
			i += k;
			break;
		}
		case S_CH_SIZE:
			i++;
			if ((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f')) {
				if (++s->hexdigits > 15) {
					ev = fail(s, 400, "chunk size too large");
					break;
				}
				s->left = s->left * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
			} else if (c == '\r' || c == '\n') {
				if (!s->hexdigits) {
					ev = fail(s, 400, "malformed chunk size");
					break;
				}
				if (c == '\r') {
					s->state = S_CH_SIZE_LF;
					break;
				}
				goto size_line_done;
			} else {
				ev = fail(s, 400, "malformed chunk size");
			}
			break;
		case S_CH_SIZE_LF:
			i++;
			if (c != '\n') {
				ev = fail(s, 400, "malformed chunk size line");
				break;
			}
		size_line_done:
			s->hexdigits = 0;
			if (s->left == 0) {
				s->state = S_CH_TRAILER;
				s->line_len = 0;
				s->head_len = 0;
			} else if (over_limit(s, s->left)) {
				ev = fail(s, 413, "the request body is over this route's limit");
			} else {
				s->state = S_CH_DATA;
			}
			break;
		case S_CH_DATA: {
			size_t k = n - i < s->left ? n - i : (size_t)s->left;
			s->left -= k;
			s->body_seen += k;
			i += k;
			if (s->left == 0) s->state = S_CH_DATA_CR;
			break;
		}
		case S_CH_DATA_CR:
			i++;
			if (c == '\r') s->state = S_CH_DATA_LF;
			else if (c == '\n') s->state = S_CH_SIZE;
			else ev = fail(s, 400, "chunk data not followed by CRLF");
			break;
		case S_CH_DATA_LF:
			i++;
			if (c == '\n') s->state = S_CH_SIZE;
			else ev = fail(s, 400, "chunk data not followed by CRLF");
			break;
		case S_CH_TRAILER:
			i++;
			if (++s->head_len > s->max_head) {
				ev = fail(s, 431, "the chunked trailer is too large");
				break;
			}
			if (c == '\n') {
				if (s->line_len == 0) {
					request_done(s);
					ev = TL_SCAN_DONE;
				}
				s->line_len = 0;
			} else if (c != '\r') {
				s->line_len++;
			}
			break;
		default:
			ev = fail(s, 400, "scanner state");
			break;
		}
	}
	*used = i;
	return ev;
}
