/* The pool of screening contexts (api/ctx_pool.h) and the server's use of
 * it (api/serve.h tl_app_screen_get/put):
 *   - a randomized model-based run of the pool with fake contexts: a
 *     context handed out in generation G was opened in G (it never saw an
 *     older state), no context is lent twice at once, and every context
 *     is closed exactly once by the end (TL_POOL_SEED=N replays a seed;
 *     a failure prints it);
 *   - on a real server over a simulated chain: a context taken before a
 *     rules reload and returned after it is not handed out again; the next
 *     context screens with the new rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ctx_pool.h"
#include "api/serve.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/screen.h"

/* ---- the pool alone ---- */

#define NCTX 4096

struct fake {
	uint64_t opened_in; /* the generation current when it was opened */
	int closed, lent;
};

static struct fake fakes[NCTX];
static size_t nfakes;
static uint64_t cur_gen, seed_now;

static void *fake_open(void *ctx, struct tl_err *err)
{
	(void)ctx;
	if (nfakes == NCTX) {
		tl_err_set(err, "too many");
		return NULL;
	}
	fakes[nfakes].opened_in = cur_gen;
	return &fakes[nfakes++];
}

static void fake_close(void *item)
{
	struct fake *f = item;
	if (f->closed) fail_msg("seed %" PRIu64 ": context %zu closed twice", seed_now, (size_t)(f - fakes));
	if (f->lent) fail_msg("seed %" PRIu64 ": context %zu closed while lent", seed_now, (size_t)(f - fakes));
	f->closed = 1;
}

static void run_pool_seed(uint64_t seed)
{
	uint64_t r = seed * 0x9e3779b97f4a7c15ull + 7;
#define RAND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
	memset(fakes, 0, sizeof fakes);
	nfakes = 0;
	cur_gen = 1;
	seed_now = seed;
	struct tl_ctx_pool *p = tl_ctx_pool_new(fake_open, fake_close, NULL);
	assert_non_null(p);
	struct fake *held[16] = { 0 };
	struct tl_err err;
	for (int step = 0; step < 2000; step++) {
		size_t i = RAND() % 16;
		switch (RAND() % 5) {
		case 0:
		case 1: /* take into an empty hand */
			if (held[i]) break;
			held[i] = tl_ctx_pool_get(p, cur_gen, &err);
			if (!held[i]) fail_msg("seed %" PRIu64 ": get: %s", seed, err.msg);
			if (held[i]->lent) fail_msg("seed %" PRIu64 " step %d: a context lent twice", seed, step);
			if (held[i]->closed) fail_msg("seed %" PRIu64 " step %d: a closed context lent", seed, step);
			if (held[i]->opened_in != cur_gen)
				fail_msg("seed %" PRIu64 " step %d: a context of generation %" PRIu64
				         " lent as current in %" PRIu64,
				         seed, step, held[i]->opened_in, cur_gen);
			held[i]->lent = 1;
			break;
		case 2:
		case 3: /* give back */
			if (!held[i]) break;
			held[i]->lent = 0;
			tl_ctx_pool_put(p, held[i], cur_gen);
			held[i] = NULL;
			break;
		default: /* the state changes (a catch-up, an import, a reload) */
			cur_gen++;
			break;
		}
	}
	for (size_t i = 0; i < 16; i++)
		if (held[i]) {
			held[i]->lent = 0;
			tl_ctx_pool_put(p, held[i], cur_gen);
		}
	tl_ctx_pool_free(p);
	for (size_t i = 0; i < nfakes; i++)
		if (!fakes[i].closed) fail_msg("seed %" PRIu64 ": context %zu never closed", seed, i);
#undef RAND
}

static void test_pool_model(void **state)
{
	(void)state;
	const char *one = getenv("TL_POOL_SEED");
	if (one) {
		run_pool_seed(strtoull(one, NULL, 10));
		return;
	}
	for (uint64_t seed = 1; seed <= 50; seed++) run_pool_seed(seed);
}

/* ---- the server's screening contexts ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_context_taken_before_a_reload(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("screenpool");
	char blocks[4200], db[4200], rules[4200];
	cf_sim(dir, 5, 120, 4, 0, true);
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(rules, sizeof rules, "%s/rules.txt", dir);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	write_file(rules, "version = pool-rules-1\nrule sanctioned direct severe 100\n");

	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.log = NULL;
	o.rules_file = rules;
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);

	struct tl_screen *held = tl_app_screen_get(app, &err), *other = tl_app_screen_get(app, &err);
	if (!held || !other) fail_msg("screen: %s", err.msg);
	assert_string_equal(tl_screen_rules_of(held)->version, "pool-rules-1");
	tl_app_screen_put(app, other); /* returned before the reload: idle, now stale */
	write_file(rules, "version = pool-rules-2\nrule sanctioned direct high 90\n");
	assert_int_equal(tl_app_reload_rules(app, &err), 0);
	tl_app_screen_put(app, held); /* taken before the reload, returned after it */
	for (int i = 0; i < 2; i++) {
		struct tl_screen *sc = tl_app_screen_get(app, &err);
		if (!sc) fail_msg("screen: %s", err.msg);
		if (strcmp(tl_screen_rules_of(sc)->version, "pool-rules-2"))
			fail_msg("context %d after the reload screens with rules '%s'", i,
			         tl_screen_rules_of(sc)->version);
		tl_app_screen_put(app, sc);
	}
	tl_app_close(app);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_model),
		cmocka_unit_test(test_context_taken_before_a_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
