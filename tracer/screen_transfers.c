/* Transfers: their verdicts, storage and re-screening; see screen.h and
 * screen_transfers.h. */
#include "tracer/screen_transfers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitcoin/hash.h"
#include "store/transfers.h"
#include "tracer/trace.h"

static int level_of(const char *name)
{
	for (int i = 0; name && i <= 4; i++)
		if (!strcmp(name, tl_screen_risk_name(i))) return i;
	return 0;
}

static void iso_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *tl_screen_transfer_verdict(struct tl_screen *sc, int withdrawal, const char *address, const char *outpoint,
                                   struct tl_err *err)
{
	if (!!address == !!outpoint) {
		tl_err_set(err, "a transfer names one address or one outpoint");
		return NULL;
	}
	if (withdrawal) {
		if (!address) {
			tl_err_set(err, "a withdrawal is screened by its destination address");
			return NULL;
		}
		return tl_screen_destination(sc, address, 0, err);
	}
	if (address) return tl_screen_address(sc, address, err);
	uint8_t h[32];
	uint32_t vout;
	if (tl_trace_parse_outpoint(outpoint, h, &vout, err)) return NULL;
	if (vout == TL_SEED_WHOLE_TX) {
		tl_err_set(err, "outpoint wants TXID:VOUT");
		return NULL;
	}
	return tl_screen_outpoint(sc, h, vout, err);
}

int tl_screen_transfer_save(struct tl_store *w, json_t *rec, uint64_t *id, struct tl_err *err)
{
	const char *ref = json_string_value(json_object_get(rec, "transfer_reference"));
	const char *user = json_string_value(json_object_get(rec, "user_id"));
	if (!ref || !user || !*ref || !*user || strlen(ref) > TL_TRANSFER_KEY_MAX || strlen(user) > TL_TRANSFER_KEY_MAX)
		return tl_err_set(err, "transfer_reference and user_id want 1..%d bytes", TL_TRANSFER_KEY_MAX);
	int r = tl_transfer_by_ref(w, ref, id, err);
	if (r < 0) return -1;
	if (r == 1) return 1;
	if (tl_transfers_next_id(w, id, err)) return -1;
	json_object_set_new(rec, "id", json_integer((json_int_t)*id));
	char *txt = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!txt) return tl_err_set(err, "out of memory");
	struct tl_batch *b = tl_batch_new(w);
	tl_batch_put_transfer_new(b, *id, user, ref, txt);
	free(txt);
	int rc = tl_store_write(w, b, err);
	tl_batch_free(b);
	return rc ? -1 : 0;
}

/* ---- re-screening ---- */

struct rescreen {
	struct tl_store *s;
	struct tl_screen *sc;
	struct tl_batch *b;
	uint32_t raised;
	struct tl_err *err;
	int failed;
};

static int rescreen_one(uint64_t id, const char *text, void *vctx)
{
	struct rescreen *c = vctx;
	json_t *rec = json_loads(text, 0, NULL);
	if (!rec) return 0; /* not ours to judge: left as it is */
	json_t *subj = json_object_get(rec, "subject");
	int wd = !strcmp(json_string_value(json_object_get(rec, "direction")) ?: "", "withdrawal");
	struct tl_err e2;
	json_t *v = tl_screen_transfer_verdict(c->sc, wd, json_string_value(json_object_get(subj, "address")),
	                                       json_string_value(json_object_get(subj, "outpoint")), &e2);
	if (!v) {
		/* e.g. the subject was rolled back by a reorg: keep the stored
		 * verdict; the next re-screen tries again */
		json_decref(rec);
		return 0;
	}
	json_t *cur = json_object_get(rec, "current");
	const char *was = json_string_value(json_object_get(cur ? cur : json_object_get(rec, "verdict"), "risk"));
	const char *now = json_string_value(json_object_get(v, "risk"));
	int lw = level_of(was), ln = level_of(now);
	double score = json_real_value(json_object_get(v, "score"));
	double was_score = json_real_value(json_object_get(cur ? cur : json_object_get(rec, "verdict"), "score"));
	if (ln != lw || score != was_score) {
		char at[32];
		iso_now(at);
		json_object_set_new(rec, "current", json_pack("{s:s,s:f,s:s,s:O,s:O,s:O}", "risk", now, "score", score,
		                                              "at", at, "tip", json_object_get(v, "tip"), "categories",
		                                              json_object_get(v, "categories"), "reasons",
		                                              json_object_get(v, "reasons")));
		if (ln > lw) {
			json_t *ra = json_object_get(rec, "raised");
			if (!json_is_array(ra)) {
				ra = json_array();
				json_object_set_new(rec, "raised", ra);
			}
			json_array_append_new(ra, json_pack("{s:s,s:s,s:f,s:s,s:O}", "from", was ? was : "none", "to", now,
			                                    "score", score, "at", at, "tip", json_object_get(v, "tip")));
			c->raised++;
		}
		char *txt = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (txt) tl_batch_put_transfer(c->b, id, txt);
		free(txt);
	}
	json_decref(v);
	json_decref(rec);
	return 0;
}

int tl_screen_transfers_rescreen(struct tl_store *s, uint32_t *raised, struct tl_err *err)
{
	struct rescreen c = { .s = s, .err = err };
	uint64_t next;
	if (tl_transfers_next_id(s, &next, err)) return -1;
	if (raised) *raised = 0;
	if (next == 1) return 0; /* none registered */
	struct tl_screen_rules rules;
	tl_screen_rules_default(&rules);
	char *txt = NULL;
	int r = tl_store_get_meta(s, "screen.rules", &txt, err);
	if (r < 0) return -1;
	if (r == 1) {
		r = tl_screen_rules_parse(txt, strlen(txt), "meta screen.rules", &rules, err);
		free(txt);
		if (r) return -1;
	}
	if (tl_screen_open(s, &rules, &c.sc, err)) return -1;
	c.b = tl_batch_new(s);
	int rc = tl_transfers_list(s, 0, rescreen_one, &c, err);
	if (!rc) rc = tl_store_write(s, c.b, err);
	tl_batch_free(c.b);
	tl_screen_close(c.sc);
	if (!rc && raised) *raised = c.raised;
	return rc ? -1 : 0;
}
