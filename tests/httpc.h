/* A small blocking HTTP/1.1 client over real TCP to 127.0.0.1, for the
 * tests that start the API server. */
#ifndef TL_TESTS_HTTPC_H
#define TL_TESTS_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct resp {
	int status;
	char head[8192]; /* status line and headers */
	char *body;
	size_t blen;
};

/* A connected socket to 127.0.0.1:port with 10 s send/receive timeouts,
 * or -1. */
int connect_port(uint16_t port);
/* The same with the receive buffer set to rcvbuf bytes before connecting
 * (0: the default), for clients that must make the server's writes stall. */
int connect_port_rcvbuf(uint16_t port, int rcvbuf);
/* Writes all n bytes. Returns 0 or -1. */
int send_all(int fd, const void *p, size_t n);
/* Sends one request (a bearer key and a JSON body optional); without
 * keepalive it asks the server to close. */
void send_request(int fd, const char *method, const char *path, const char *key, const char *body, size_t blen,
		  int keepalive);
/* Value of header name in r->head, or NULL (a buffer of the calling thread). */
const char *hdr(const struct resp *r, const char *name);
/* Reads one response (Content-Length framed, or to EOF). Returns 0 or -1;
 * r->body is malloc'd (resp_free). */
int read_response(int fd, struct resp *r);
/* Connects, sends, reads, closes. Returns 0 or -1; r is always
 * initialised (resp_free is safe either way). */
int http_do(uint16_t port, const char *method, const char *path, const char *key, const char *body, size_t blen,
	    struct resp *r);
void resp_free(struct resp *r);
/* Parses the body as JSON; fails the test if it is not. New reference. */
json_t *resp_json(const struct resp *r);
/* Checks an error reply: status, JSON {"error": code, "message": text}. */
void expect_error(const struct resp *r, int status, const char *code);

#endif
