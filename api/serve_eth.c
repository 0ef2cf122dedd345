/* The served Ethereum database: a RocksDB secondary beside the writer
 * (`taintline index --chain ethereum`, which also keeps the screening
 * index current), caught up by the follower under a lock that requests
 * hold for reading, and a pool of screening handles. */
#include "api/serve.h"
#include "api/ctx_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ethereum/address.h"
#include "store/eth_screen.h"
#include "store/eth_store.h"

/* A screening handle of the served database (api/ctx_pool.h open). */
static void *eth_screen_open(void *ctx, struct tl_err *err)
{
	struct tl_app *app = ctx;
	struct tl_eth_screen *h = NULL;
	return tl_eth_screen_open(app->eth, &h, err) < 0 ? NULL : h;
}

static void eth_screen_close(void *h) { tl_eth_screen_close(h); }

int tl_app_eth_open(struct tl_app *app, struct tl_err *err)
{
	const char *path = app->opts.eth_db_path;
	if (!path) return 0;
	if (pthread_rwlock_init(&app->eth_lock, NULL)) return tl_err_set(err, "cannot create a lock");
	app->eth_lock_init = 1;
	app->eth_screens = tl_ctx_pool_new(eth_screen_open, eth_screen_close, app);
	if (!app->eth_screens) return tl_err_set(err, "out of memory");
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/taintline-serve-eth-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) return tl_err_set(err, "cannot create a temporary directory %s: %s", tmpl, strerror(errno));
	app->eth_secondary_dir = strdup(tmpl);
	if (!app->eth_secondary_dir) return tl_err_set(err, "out of memory");
	struct tl_eth_store_opts so = { .secondary = true, .secondary_path = app->eth_secondary_dir,
					.cache_mb = app->opts.cache_mb ? app->opts.cache_mb : 256 };
	return tl_eth_store_open(path, &so, &app->eth, err);
}

void tl_app_eth_close(struct tl_app *app)
{
	tl_ctx_pool_free(app->eth_screens);
	app->eth_screens = NULL;
	tl_eth_store_close(app->eth);
	app->eth = NULL;
	if (app->eth_secondary_dir) tl_app_rm_secondary_dir(app->eth_secondary_dir);
	free(app->eth_secondary_dir);
	app->eth_secondary_dir = NULL;
	if (app->eth_lock_init) pthread_rwlock_destroy(&app->eth_lock);
	app->eth_lock_init = 0;
}

void tl_app_eth_rdlock(struct tl_app *app) { pthread_rwlock_rdlock(&app->eth_lock); }
void tl_app_eth_unlock(struct tl_app *app) { pthread_rwlock_unlock(&app->eth_lock); }

int tl_app_eth_catch_up(struct tl_app *app, int wait_ms, struct tl_err *err)
{
	if (!app->eth) return 1;
	/* A bounded wait: a trace holding the read side for seconds postpones
	 * this catch-up to the next poll instead of stalling the follower
	 * (and, with a writer-preferring lock, every request behind it). */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_rwlock_timedwrlock(&app->eth_lock, &ts)) {
		atomic_fetch_add(&app->eth_catchup_skipped, 1);
		return 0;
	}
	int rc = tl_eth_store_catch_up(app->eth, err);
	/* Bumped under the write side, so no request holds a handle across
	 * it; the pool records a handle's generation when it lends it, so a
	 * handle from before is never kept either way. */
	if (rc == 0) atomic_fetch_add(&app->eth_gen, 1);
	pthread_rwlock_unlock(&app->eth_lock);
	if (rc < 0) {
		tl_err_prefix(err, "Ethereum database: ");
		return -1;
	}
	return 1;
}

int tl_app_eth_health(struct tl_app *app, struct json_t *obj)
{
	struct tl_eth_tip t;
	struct tl_err err;
	json_t *e = json_object();
	json_object_set_new(obj, "ethereum", e);
	json_object_set_new(e, "network", json_string(tl_eth_store_net(app->eth)->name));
	tl_app_eth_rdlock(app);
	int rc = tl_eth_store_tip(app->eth, &t, &err);
	tl_app_eth_unlock(app);
	if (rc < 0) {
		json_object_set_new(e, "error", json_string("reading the tip failed"));
		return -1;
	}
	char hex[67];
	json_object_set_new(e, "height", json_integer(t.height));
	json_object_set_new(e, "tip_hash", t.height >= 0 ? json_string(tl_eth_hex(t.hash, 32, hex)) : json_null());
	json_object_set_new(e, "transfers", json_integer((json_int_t)t.next_seq));
	json_object_set_new(e, "catchups_postponed", json_integer(atomic_load(&app->eth_catchup_skipped)));
	return t.height >= 0 ? 0 : -1;
}

struct tl_eth_screen *tl_app_eth_screen_get(struct tl_app *app, struct tl_err *err)
{
	return tl_ctx_pool_get(app->eth_screens, atomic_load(&app->eth_gen), err);
}

void tl_app_eth_screen_put(struct tl_app *app, struct tl_eth_screen *h)
{
	tl_ctx_pool_put(app->eth_screens, h, atomic_load(&app->eth_gen));
}
