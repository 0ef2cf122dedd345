/* Webhook delivery with retries (live/deliver.h). */
#include "live/deliver.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "live/webhook.h"
#include "store/watches.h"

#define MAX_BACKOFF_MS (3600LL * 1000)

int tl_deliver_enqueue(struct tl_store *w, uint64_t watch, const char *type, json_t *data, int64_t now_ms,
		       uint64_t *seq, struct tl_err *err)
{
	if (tl_watch_delivery_next(w, watch, seq, err) < 0) return -1;
	char iso[32];
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *body = json_pack("{s:s,s:s,s:O}", "type", type, "timestamp", iso, "data", data);
	char *btext = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!btext) abort();
	char id[64];
	snprintf(id, sizeof id, "msg_%" PRIu64 "_%" PRIu64, watch, *seq);
	json_t *d = json_pack("{s:s,s:s,s:I,s:s,s:s,s:i,s:I,s:s}", "webhook_id", id, "type", type, "created_ms",
			      (json_int_t)now_ms, "body", btext, "state", "pending", "attempts", 0, "next_ms",
			      (json_int_t)now_ms, "last_error", "");
	free(btext);
	char *text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	if (!text) abort();
	struct tl_batch *b = tl_batch_new(w);
	tl_batch_put_watch_delivery(b, watch, *seq, text);
	free(text);
	int rc = tl_store_write(w, b, err);
	tl_batch_free(b);
	return rc;
}

/* Splits "http://host[:port]/path". Returns 0 or -1 with msg. */
static int split_url(const char *url, char host[256], char port[8], const char **path, char *msg, size_t cap)
{
	if (!strncmp(url, "https://", 8)) return snprintf(msg, cap, "https is not supported"), -1;
	if (strncmp(url, "http://", 7)) return snprintf(msg, cap, "not an http:// URL"), -1;
	const char *h = url + 7, *slash = strchr(h, '/');
	*path = slash ? slash : "/";
	size_t hl = slash ? (size_t)(slash - h) : strlen(h);
	const char *colon = memchr(h, ':', hl);
	size_t nl = colon ? (size_t)(colon - h) : hl;
	if (nl == 0 || nl >= 256) return snprintf(msg, cap, "bad host in URL"), -1;
	memcpy(host, h, nl);
	host[nl] = 0;
	if (colon) {
		size_t pl = hl - nl - 1;
		if (pl == 0 || pl > 5) return snprintf(msg, cap, "bad port in URL"), -1;
		memcpy(port, colon + 1, pl);
		port[pl] = 0;
	} else {
		strcpy(port, "80");
	}
	return 0;
}

/* POSTs one signed delivery. Returns the HTTP status, or -1 with msg. */
static int post(const char *url, const char *id, int64_t ts, const char *sig, const char *body, int timeout_ms,
		char *msg, size_t cap)
{
	char host[256], port[8];
	const char *path;
	if (split_url(url, host, port, &path, msg, cap) < 0) return -1;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	int gr = getaddrinfo(host, port, &hints, &ai);
	if (gr) return snprintf(msg, cap, "%.100s: %.100s", host, gai_strerror(gr)), -1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return snprintf(msg, cap, "socket: %s", strerror(errno)), -1;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	int cr = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (cr < 0) {
		snprintf(msg, cap, "connect %.100s:%s: %.100s", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	size_t bl = strlen(body);
	char head[2048];
	int n = snprintf(head, sizeof head,
			 "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "webhook-id: %s\r\nwebhook-timestamp: %" PRId64 "\r\nwebhook-signature: %s\r\n"
			 "Connection: close\r\n\r\n",
			 path, host, bl, id, ts, sig);
	if (n < 0 || (size_t)n >= sizeof head) {
		close(fd);
		return snprintf(msg, cap, "URL too long"), -1;
	}
	const char *parts[2] = { head, body };
	size_t lens[2] = { (size_t)n, bl };
	for (int p = 0; p < 2; p++)
		for (size_t off = 0; off < lens[p];) {
			ssize_t w = send(fd, parts[p] + off, lens[p] - off, MSG_NOSIGNAL);
			if (w <= 0) {
				snprintf(msg, cap, "send: %s", w < 0 ? strerror(errno) : "closed");
				close(fd);
				return -1;
			}
			off += (size_t)w;
		}
	char line[64];
	size_t got = 0;
	while (got < sizeof line - 1) {
		ssize_t r = recv(fd, line + got, sizeof line - 1 - got, 0);
		if (r <= 0) break;
		got += (size_t)r;
		if (memchr(line, '\n', got)) break;
	}
	close(fd);
	line[got] = 0;
	int status;
	if (got < 12 || strncmp(line, "HTTP/1.", 7) || sscanf(line + 9, "%3d", &status) != 1)
		return snprintf(msg, cap, "no HTTP answer"), -1;
	return status;
}

struct pass {
	struct tl_store *w;
	const struct tl_deliver_opts *o;
	int64_t now_ms;
	struct tl_batch *b;
	int delivered;
	struct tl_err *err;
	int failed;
};

static int one(uint64_t watch, uint64_t seq, const char *text, void *ctx)
{
	struct pass *p = ctx;
	json_t *d = json_loads(text, 0, NULL);
	if (!json_is_object(d)) goto done;
	const char *state = json_string_value(json_object_get(d, "state"));
	if (!state || strcmp(state, "pending")) goto done;
	if (json_integer_value(json_object_get(d, "next_ms")) > p->now_ms) goto done;
	char *wtext = NULL;
	int r = tl_watch_get(p->w, watch, &wtext, p->err);
	if (r < 0) {
		p->failed = 1;
		json_decref(d);
		return 1;
	}
	json_t *wj = r ? json_loads(wtext, 0, NULL) : NULL;
	free(wtext);
	const char *url = json_string_value(json_object_get(wj, "url"));
	const char *secret = json_string_value(json_object_get(wj, "secret"));
	const char *id = json_string_value(json_object_get(d, "webhook_id"));
	const char *body = json_string_value(json_object_get(d, "body"));
	char msg[256] = "";
	int status = -1;
	if (!url || !secret || !id || !body) {
		snprintf(msg, sizeof msg, "the watch or the delivery is stored damaged");
	} else {
		int64_t ts = p->now_ms / 1000;
		char sig[TL_WEBHOOK_SIG_LEN];
		struct tl_err e;
		if (tl_webhook_sign(secret, id, ts, (const uint8_t *)body, strlen(body), sig, &e) < 0)
			snprintf(msg, sizeof msg, "%.200s", e.msg);
		else
			status = post(url, id, ts, sig, body, p->o->timeout_ms, msg, sizeof msg);
	}
	json_decref(wj);
	json_int_t attempts = json_integer_value(json_object_get(d, "attempts")) + 1;
	json_object_set_new(d, "attempts", json_integer(attempts));
	json_object_set_new(d, "last_ms", json_integer((json_int_t)p->now_ms));
	if (status >= 200 && status < 300) {
		json_object_set_new(d, "state", json_string("delivered"));
		json_object_set_new(d, "last_error", json_string(""));
		p->delivered++;
	} else {
		if (status >= 0) snprintf(msg, sizeof msg, "answered HTTP %d", status);
		json_object_set_new(d, "last_error", json_string(msg));
		int64_t back = p->o->base_ms;
		for (json_int_t i = 1; i < attempts && back < MAX_BACKOFF_MS; i++) back *= 2;
		if (back > MAX_BACKOFF_MS) back = MAX_BACKOFF_MS;
		int64_t next = p->now_ms + back;
		if (next > json_integer_value(json_object_get(d, "created_ms")) + p->o->max_age_s * 1000)
			json_object_set_new(d, "state", json_string("failed"));
		json_object_set_new(d, "next_ms", json_integer((json_int_t)next));
	}
	char *out = json_dumps(d, JSON_COMPACT);
	if (!out) abort();
	tl_batch_put_watch_delivery(p->b, watch, seq, out);
	free(out);
done:
	json_decref(d);
	return 0;
}

int tl_deliver_pass(struct tl_store *w, const struct tl_deliver_opts *o, int64_t now_ms, struct tl_err *err)
{
	struct tl_deliver_opts d = *o;
	if (d.base_ms <= 0) d.base_ms = 2000;
	if (d.max_age_s <= 0) d.max_age_s = 86400;
	if (d.timeout_ms <= 0) d.timeout_ms = 5000;
	struct pass p = { .w = w, .o = &d, .now_ms = now_ms, .b = tl_batch_new(w), .err = err };
	int rc = tl_deliveries_all(w, one, &p, err);
	if (rc == 0 && p.failed) rc = -1;
	/* Written after the pass: a crash before this resends what was sent
	 * (at least once), never drops it. */
	if (rc == 0) rc = tl_store_write(w, p.b, err);
	tl_batch_free(p.b);
	return rc < 0 ? -1 : p.delivered;
}
