#include "tests/httpc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int connect_port(uint16_t port) { return connect_port_rcvbuf(port, 0); }

int connect_port_rcvbuf(uint16_t port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) return -1;
	/* before the handshake, so that the window advertised is this small */
	if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
		close(fd);
		return -1;
	}
	return fd;
}

int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0) return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

void send_request(int fd, const char *method, const char *path, const char *key, const char *body,
			 size_t blen, int keepalive)
{
	char head[2048];
	int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s", method, path,
			 key ? "Authorization: Bearer " : "", key ? key : "", key ? "\r\n" : "");
	if (body) n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
	n += snprintf(head + n, sizeof head - (size_t)n, "%s\r\n", keepalive ? "" : "Connection: close\r\n");
	assert_int_equal(send_all(fd, head, (size_t)n), 0);
	if (body && blen) send_all(fd, body, blen); /* may fail if the server stops reading */
}

const char *hdr(const struct resp *r, const char *name)
{
	/* per thread: the readers tests call this from several threads at once */
	static _Thread_local char val[512];
	size_t nl = strlen(name);
	const char *p = strstr(r->head, "\r\n");
	while (p && p[2]) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ') v++;
			const char *e = strstr(v, "\r\n");
			size_t l = e ? (size_t)(e - v) : strlen(v);
			if (l >= sizeof val) l = sizeof val - 1;
			memcpy(val, v, l);
			val[l] = '\0';
			return val;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

int read_response(int fd, struct resp *r)
{
	memset(r, 0, sizeof *r);
	size_t hl = 0;
	char *end = NULL;
	while (!end) {
		if (hl + 1 >= sizeof r->head) return -1;
		ssize_t got = recv(fd, r->head + hl, 1, 0); /* byte at a time: keeps pipelining exact */
		if (got <= 0) return -1;
		hl++;
		r->head[hl] = '\0';
		if (hl >= 4 && !memcmp(r->head + hl - 4, "\r\n\r\n", 4)) end = r->head + hl - 4;
	}
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) return -1;
	const char *cl = hdr(r, "Content-Length");
	if (cl) {
		r->blen = strtoul(cl, NULL, 10);
		r->body = malloc(r->blen + 1);
		size_t got = 0;
		while (got < r->blen) {
			ssize_t g = recv(fd, r->body + got, r->blen - got, 0);
			if (g <= 0) return -1;
			got += (size_t)g;
		}
		r->body[r->blen] = '\0';
	} else {
		size_t cap = 4096;
		r->body = malloc(cap);
		for (;;) {
			if (r->blen + 1 >= cap) r->body = realloc(r->body, cap *= 2);
			ssize_t g = recv(fd, r->body + r->blen, cap - r->blen - 1, 0);
			if (g <= 0) break;
			r->blen += (size_t)g;
		}
		r->body[r->blen] = '\0';
	}
	return 0;
}

int http_do(uint16_t port, const char *method, const char *path, const char *key, const char *body,
		   size_t blen, struct resp *r)
{
	memset(r, 0, sizeof *r);
	int fd = connect_port(port);
	if (fd < 0) return -1;
	send_request(fd, method, path, key, body, blen, 0);
	int rc = read_response(fd, r);
	close(fd);
	return rc;
}

void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

json_t *resp_json(const struct resp *r)
{
	json_error_t e;
	json_t *v = json_loadb(r->body, r->blen, 0, &e);
	if (!v) fail_msg("body is not JSON: %s (%s)", r->body, e.text);
	return v;
}

void expect_error(const struct resp *r, int status, const char *code)
{
	if (r->status != status) fail_msg("expected %d %s, got %d: %s", status, code, r->status, r->body);
	const char *ct = hdr(r, "Content-Type");
	assert_non_null(ct);
	assert_string_equal(ct, "application/json");
	json_t *v = resp_json(r);
	const char *got = json_string_value(json_object_get(v, "error"));
	if (!got || strcmp(got, code)) fail_msg("expected error %s, got %s", code, r->body);
	assert_true(json_is_string(json_object_get(v, "message")));
	assert_true(strlen(json_string_value(json_object_get(v, "message"))) > 0);
	json_decref(v);
}
