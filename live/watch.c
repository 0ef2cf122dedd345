/* Watch matching (live/watch.h). */
#include "live/watch.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "live/deliver.h"
#include "store/watches.h"

/* amount of value passes the watch's thresholds. */
static int passes(json_t *w, uint64_t amount, uint64_t value)
{
	if (amount == 0) return 0;
	json_t *ma = json_object_get(w, "min_amount_sat"), *ms = json_object_get(w, "min_share");
	if (ma && (json_int_t)amount < json_integer_value(ma) && json_integer_value(ma) > 0) return 0;
	if (ms) {
		if (value == 0) return 0;
		if ((double)amount / (double)value < json_number_value(ms)) return 0;
	}
	return 1;
}

static int match_json(json_t *w, const char *type, const struct tl_watch_candidate *c)
{
	json_t *ev = json_object_get(w, "events"), *v;
	size_t i;
	int listed = 0;
	json_array_foreach(ev, i, v) listed |= json_is_string(v) && !strcmp(json_string_value(v), type);
	if (!listed) return 0;
	const char *addr = json_string_value(json_object_get(w, "address"));
	const char *heist = json_string_value(json_object_get(w, "heist"));
	if (addr) {
		if (!c->address || strcmp(addr, c->address)) return 0;
		uint64_t sum = 0;
		for (size_t k = 0; k < c->nexp; k++) sum += c->exp[k].amount_sat;
		return passes(w, sum, c->value_sat);
	}
	if (heist) {
		for (size_t k = 0; k < c->nexp; k++)
			if (!strcmp(c->exp[k].heist, heist)) return passes(w, c->exp[k].amount_sat, c->value_sat);
		return 0;
	}
	return -1;
}

int tl_watch_matches(const char *watch_text, const char *type, const struct tl_watch_candidate *c)
{
	json_t *w = json_loads(watch_text, 0, NULL);
	int r = json_is_object(w) ? match_json(w, type, c) : -1;
	json_decref(w);
	return r;
}

struct alert_ctx {
	const char *type;
	const struct tl_watch_candidate *c;
	uint64_t after; /* ids up to this one were queued by an earlier round */
	uint64_t ids[256];
	size_t n;
	int more; /* matched past ids[] */
};

static int collect(uint64_t id, const char *text, void *ctx)
{
	struct alert_ctx *a = ctx;
	if (id <= a->after) return 0;
	if (tl_watch_matches(text, a->type, a->c) != 1) return 0;
	if (a->n == sizeof a->ids / sizeof a->ids[0]) {
		a->more = 1;
		return 1;
	}
	a->ids[a->n++] = id;
	return 0;
}

static json_t *data_of(const struct tl_watch_candidate *c)
{
	json_t *exps = json_array();
	for (size_t k = 0; k < c->nexp; k++)
		json_array_append_new(exps, json_pack("{s:s,s:I,s:f,s:i}", "heist", c->exp[k].heist, "amount_sat",
						      (json_int_t)c->exp[k].amount_sat, "share",
						      c->value_sat ? (double)c->exp[k].amount_sat / (double)c->value_sat : 0.0,
						      "hops", (int)c->exp[k].hops));
	return json_pack("{s:s,s:i,s:s?,s:I,s:i,s:s?,s:o}", "txid", c->txid, "vout", (int)c->vout, "address",
			 c->address, "amount_sat", (json_int_t)c->value_sat, "confirmations", (int)c->confirmations,
			 "risk", c->risk, "exposures", exps);
}

int tl_watch_alert(struct tl_store *w, const char *type, const struct tl_watch_candidate *c, int64_t now_ms,
		   size_t *queued, struct tl_err *err)
{
	*queued = 0;
	/* matching ids are collected in rounds of 256 (the walk holds an
	 * iterator; queueing writes) */
	struct alert_ctx a = { .type = type, .c = c };
	for (;;) {
		a.after = a.n ? a.ids[a.n - 1] : 0;
		a.n = 0;
		a.more = 0;
		if (tl_watches_list(w, collect, &a, err) < 0) return -1;
		json_t *data = data_of(c);
		for (size_t i = 0; i < a.n; i++) {
			uint64_t seq;
			if (tl_deliver_enqueue(w, a.ids[i], type, data, now_ms, &seq, err) < 0) {
				json_decref(data);
				return -1;
			}
			(*queued)++;
		}
		json_decref(data);
		if (!a.more) return 0;
	}
}
