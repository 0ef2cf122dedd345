/* Fuzz target: the API's request path handling, from the raw request
 * target to route parameters: libevent's URI split (path and query, as
 * the server does it), the router's matching and percent-decoding over
 * the server's real route table, the query string parser, and the router
 * built from arbitrary patterns. The first byte picks the mode. Must never
 * crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The routes the server registers (api/routes_esplora.c, routes_v1.c,
 * server.c). */
static const char *const patterns[] = {
	"/api/blocks/tip/height", "/api/blocks/tip/hash", "/api/blocks", "/api/blocks/:start_height",
	"/api/block/:hash", "/api/block-height/:height", "/api/tx/:txid", "/api/tx/:txid/status",
	"/api/tx/:txid/outspends", "/api/tx/:txid/outspend/:vout", "/api/address/:address",
	"/api/address/:address/txs", "/api/address/:address/txs/chain",
	"/api/address/:address/txs/chain/:last_seen_txid", "/api/address/:address/utxo",
	"/v1/heists", "/v1/heists/:id", "/v1/addresses/:address/tags", "/v1/clusters/:id", "/v1/tags",
	"/v1/heists/:id/trace", "/v1/trace", "/v1/screen", "/healthz", "/metrics", "/",
};

static struct tl_router *real;

static void touch_match(const struct tl_route_match *m, size_t *n)
{
	for (int i = 0; i < m->nparams; i++) *n += strlen(m->names[i]) + strlen(m->values[i]);
	if (m->nparams) *n += tl_route_param(m, m->names[0]) != NULL;
}

static void match_all(const struct tl_router *r, const char *path, size_t *n)
{
	struct tl_route_match m;
	for (unsigned method = 1; method <= 2; method++)
		if (tl_router_match(r, method, path, &m) == TL_ROUTE_FOUND) touch_match(&m, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!real) {
		real = tl_router_new();
		struct tl_err err;
		for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
			if (tl_router_add(real, strncmp(patterns[i], "/v1/t", 5) ? 1u : 3u, patterns[i], (int)i, &err))
				abort();
	}
	if (size < 1) return 0;
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	size_t n = 0;
	switch (data[0] % 4) {
	case 0: /* a path as given to the router */
		match_all(real, s, &n);
		break;
	case 1: { /* a request target, split as the server does */
		struct evhttp_uri *u = evhttp_uri_parse_with_flags(s, EVHTTP_URI_NONCONFORMANT);
		if (u) {
			const char *path = evhttp_uri_get_path(u);
			const char *query = evhttp_uri_get_query(u);
			if (path) match_all(real, path, &n);
			if (query) {
				struct evkeyvalq q;
				TAILQ_INIT(&q);
				if (evhttp_parse_query_str(query, &q) == 0) {
					struct evkeyval *kv;
					TAILQ_FOREACH(kv, &q, next) n += strlen(kv->key) + strlen(kv->value);
				}
				evhttp_clear_headers(&q);
			}
			evhttp_uri_free(u);
		}
		break;
	}
	case 2: { /* percent-decoding, both flavours */
		size_t len = size - 1;
		char *out = malloc(len + 1);
		for (int plus = 0; plus <= 1; plus++) {
			long k = tl_url_decode(s, len, out, plus);
			if (k >= 0) n += strlen(out) + (size_t)k;
		}
		free(out);
		break;
	}
	default: { /* a router built from arbitrary patterns, one per line; the
		    * last line is the path to match */
		struct tl_router *r = tl_router_new();
		struct tl_err err;
		char *save = NULL, *last = NULL;
		int id = 0;
		for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (last) (void)tl_router_add(r, 1u << (id % 3), last, id, &err);
			last = line;
			id++;
		}
		if (last) match_all(r, last, &n);
		tl_router_free(r);
	}
	}
	free(s);
	return (int)(n & 0);
}
