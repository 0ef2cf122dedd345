/* The API application: database (secondary), server, routes, follower. */
#include "api/serve.h"
#include "api/partners.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/ctx_pool.h"
#include "api/http_json.h"
#include "api/metrics.h"
#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "indexer/indexer.h"
#include "tracer/screen.h"

/* ---------------- blocks-dir readers (the store's pool) ---------------- */

struct tl_blkdir *tl_app_blkdir_get(struct tl_app *app)
{
	struct tl_err err;
	return app->blocks_dir ? tl_store_blkdir_get(app->store, &err) : NULL;
}

void tl_app_blkdir_put(struct tl_app *app, struct tl_blkdir *d)
{
	tl_store_blkdir_put(app->store, d);
}

/* ---------------- screening context pool ---------------- */

/* What a screening context's cache depends on: the view of the store it
 * read (its epoch, in the high bits) and the heist list and rules
 * (screen_gen, bumped by imports and rule reloads). */
static uint64_t screen_generation(struct tl_app *app)
{
	uint64_t epoch = app->store ? tl_store_view_epoch(app->store) : 0;
	return epoch << 32 | (atomic_load(&app->screen_gen) & 0xffffffffu);
}

/* A new context with the rules in force (api/ctx_pool.h open). */
static void *screen_open(void *ctx, struct tl_err *err)
{
	struct tl_app *app = ctx;
	struct tl_screen_rules *r = malloc(sizeof *r);
	if (!r) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&app->rules_lock);
	*r = *app->rules;
	pthread_mutex_unlock(&app->rules_lock);
	struct tl_screen *sc = NULL;
	int rc = tl_screen_open(app->store, r, &sc, err);
	free(r);
	return rc < 0 ? NULL : sc;
}

static void screen_close(void *sc) { tl_screen_close(sc); }

struct tl_screen *tl_app_screen_get(struct tl_app *app, struct tl_err *err)
{
	/* A context caches what it read: it serves only views of its state. */
	return tl_ctx_pool_get(app->screens, screen_generation(app), err);
}

void tl_app_screen_put(struct tl_app *app, struct tl_screen *sc)
{
	tl_ctx_pool_put(app->screens, sc, screen_generation(app));
}

/* ---------------- options ---------------- */

void tl_serve_opts_default(struct tl_serve_opts *o)
{
	memset(o, 0, sizeof *o);
	o->listen = "127.0.0.1:8080";
	o->threads = 2;
	o->poll_ms = 1000;
	o->cache_mb = 256;
	o->max_trace_txs = 200000;
	o->trace_memory_mb = 256;
	o->log = stderr;
}

/* ---------------- follower ---------------- */

static void set_last_error(struct tl_app *app, const char *msg)
{
	pthread_mutex_lock(&app->stop_lock);
	snprintf(app->last_error, sizeof app->last_error, "%s", msg);
	pthread_mutex_unlock(&app->stop_lock);
}

/* A cheap signature of the blocks directory: the number of blk files and
 * the sizes and modification times of all of them. */
static uint64_t dir_signature(const char *dir)
{
	DIR *dh = opendir(dir);
	if (!dh) return 0;
	uint64_t sig = 1469598103934665603ull;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(dh))) {
		if (strncmp(e->d_name, "blk", 3) || !strstr(e->d_name, ".dat")) continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st)) continue;
		uint64_t v[3] = { (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
				  (uint64_t)st.st_mtim.tv_nsec ^ ((uint64_t)st.st_ino << 20) };
		for (int i = 0; i < 3; i++) sig = (sig ^ v[i]) * 1099511628211ull + (sig >> 29);
		for (const char *c = e->d_name; *c; c++) sig = (sig ^ (uint8_t)*c) * 1099511628211ull;
	}
	closedir(dh);
	return sig;
}

struct follow_ctx {
	struct tl_app *app;
};

static void follow_progress(void *ctx, const struct tl_index_progress *p)
{
	struct tl_app *app = ctx;
	if (p->target >= 0) atomic_store(&app->chain_height, p->target);
}

static void follow_warn(void *ctx, const char *msg)
{
	struct tl_app *app = ctx;
	if (app->opts.log) fprintf(app->opts.log, "taintline serve: follow: %s\n", msg);
}

static int run_indexer(struct tl_app *app, const struct tl_netparams *net, struct tl_index_stats *st,
		       struct tl_err *err)
{
	struct tl_index_opts io = { 0 };
	io.blocks_dir = app->opts.follow_dir;
	io.db_path = app->opts.db_path;
	io.net = net;
	io.cache_mb = 64;
	io.blocks_index_beside_cache = true;
	io.until = -1;
	io.progress = follow_progress;
	io.warn = follow_warn;
	io.ctx = app;
	io.stop = &app->stop;
	return tl_index_run(&io, st, err);
}

int tl_app_follow_once(struct tl_app *app, struct tl_err *err)
{
	if (app->opts.follow_dir) {
		uint64_t sig = dir_signature(app->opts.follow_dir);
		if (sig != app->follow_sig || sig == 0) {
			struct tl_index_stats st;
			pthread_mutex_lock(&app->write_lock);
			int rc = run_indexer(app, app->net, &st, err);
			if (rc == 0 && (st.blocks_indexed || st.blocks_rolled_back)) {
				/* Keep the screening index at the new tip (reorgs rebuild).
				 * The secondary first catches up with the indexer's session:
				 * it follows the primary's MANIFEST one session at a time. */
				rc = tl_store_catch_up(app->store, err);
				struct tl_store *w;
				struct tl_store_opts so = { 0 };
				so.net = app->net;
				so.cache_mb = 64;
				if (rc == 0) rc = tl_store_open(app->opts.db_path, &so, &w, err);
				if (rc == 0) {
					rc = tl_screen_update(w, NULL, err);
					tl_store_close(w);
				}
				if (rc < 0) tl_err_prefix(err, "screening update: ");
			}
			pthread_mutex_unlock(&app->write_lock);
			if (rc < 0) {
				atomic_fetch_add(&app->follow_errors, 1);
				set_last_error(app, err->msg);
				return -1;
			}
			app->follow_sig = sig;
			int32_t ch = atomic_load(&app->chain_height);
			if (st.tip_after > ch) atomic_store(&app->chain_height, st.tip_after);
			if (st.blocks_indexed || st.blocks_rolled_back) {
				atomic_fetch_add(&app->updates, 1);
				if (app->opts.log)
					fprintf(app->opts.log,
						"taintline serve: indexed %u blocks (%u rolled back), tip %d\n",
						st.blocks_indexed, st.blocks_rolled_back, st.tip_after);
			}
		}
	}
	/* Following, this thread is the writer: its update is served now. */
	if (app->store && (app->opts.follow_dir ? tl_store_catch_up_now : tl_store_catch_up)(app->store, err) < 0) {
		atomic_fetch_add(&app->follow_errors, 1);
		set_last_error(app, err->msg);
		return -1;
	}
	if (tl_app_eth_catch_up(app, app->opts.poll_ms, err) < 0) {
		atomic_fetch_add(&app->follow_errors, 1);
		set_last_error(app, err->msg);
		return -1;
	}
	atomic_fetch_add(&app->screen_gen, 1); /* contexts re-read the heist list */
	atomic_store(&app->last_update, (int64_t)time(NULL));
	return 0;
}

static void *follower_main(void *arg)
{
	struct tl_app *app = arg;
	int poll = app->opts.poll_ms > 0 ? app->opts.poll_ms : 1000;
	for (;;) {
		struct tl_err err;
		if (tl_app_follow_once(app, &err) < 0 && app->opts.log && !app->stop)
			fprintf(app->opts.log, "taintline serve: follow: %s\n", err.msg);
		pthread_mutex_lock(&app->stop_lock);
		if (!app->stop && !app->kicked) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += poll / 1000;
			ts.tv_nsec += (long)(poll % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&app->stop_cond, &app->stop_lock, &ts);
		}
		int stop = app->stop;
		app->kicked = 0;
		pthread_mutex_unlock(&app->stop_lock);
		if (stop) break;
	}
	return NULL;
}

void tl_app_kick(struct tl_app *app)
{
	pthread_mutex_lock(&app->stop_lock);
	app->kicked = 1;
	pthread_cond_broadcast(&app->stop_cond); /* the follower's wait ends early */
	pthread_mutex_unlock(&app->stop_lock);
}

int tl_app_write(struct tl_app *app, tl_app_write_fn fn, void *ctx, struct tl_err *err)
{
	pthread_mutex_lock(&app->write_lock);
	struct tl_store *w;
	struct tl_store_opts so = { 0 };
	so.net = app->net;
	so.cache_mb = 16;
	int rc = tl_store_open(app->opts.db_path, &so, &w, err);
	if (rc == 0) {
		/* Marked, so that the served view skips its intermediate states. */
		bool began;
		rc = tl_store_update_begin(w, "write", &began, err);
		if (rc == 0) rc = fn(w, ctx, err);
		/* Also after a failed write: what it wrote stands, and a marker
		 * left behind would hold the served view back for good. */
		struct tl_err e2;
		if (began && tl_store_update_end(w, "write", rc == 0 ? err : &e2) < 0 && rc == 0) rc = -1;
		tl_store_close(w);
	}
	pthread_mutex_unlock(&app->write_lock);
	if (rc == 0) rc = tl_store_catch_up_now(app->store, err);
	atomic_fetch_add(&app->screen_gen, 1);
	return rc;
}

/* ---------------- health and metrics ---------------- */

/* The indexer's count of reorgs applied (meta "reorgs"): {"count", "last"}. */
static json_t *reorgs_of(struct tl_app *app)
{
	char *v = NULL;
	struct tl_err err;
	json_t *j = NULL;
	if (tl_store_get_meta(app->store, "reorgs", &v, &err) == 1) j = json_loads(v, 0, NULL);
	free(v);
	return j ? j : json_object();
}

static int health_hook(struct json_t *obj, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tip tip;
	struct tl_err err;
	int eth_rc = app->eth ? tl_app_eth_health(app, obj) : 0;
	if (!app->store) { /* an Ethereum-only server */
		json_object_set_new(obj, "follow_errors", json_integer(atomic_load(&app->follow_errors)));
		if (app->opts.extra_health) app->opts.extra_health(obj, app->opts.extra_ctx);
		return eth_rc;
	}
	json_object_set_new(obj, "network", json_string(app->net->name));
	if (tl_store_tip(app->store, &tip, &err) < 0) {
		json_object_set_new(obj, "error", json_string(err.msg));
		return -1;
	}
	char hex[65];
	tl_hash_to_hex(tip.hash, hex);
	json_object_set_new(obj, "height", json_integer(tip.height));
	json_object_set_new(obj, "tip_hash", json_string(hex));
	json_object_set_new(obj, "follow", json_boolean(app->opts.follow_dir != NULL));
	int32_t ch = atomic_load(&app->chain_height);
	if (app->opts.follow_dir && ch >= 0) {
		json_object_set_new(obj, "chain_height", json_integer(ch));
		json_object_set_new(obj, "lag_blocks", json_integer(ch > tip.height ? ch - tip.height : 0));
	}
	json_object_set_new(obj, "follow_errors", json_integer(atomic_load(&app->follow_errors)));
	struct tl_view_state vs;
	tl_store_view_state(app->store, &vs);
	json_object_set_new(obj, "index_consistent", json_boolean(vs.consistent));
	json_object_set_new(obj, "update_pending", json_boolean(vs.held_back));
	json_t *rg = reorgs_of(app);
	json_object_set_new(obj, "reorgs", json_integer(json_integer_value(json_object_get(rg, "count"))));
	if (json_object_get(rg, "last")) json_object_set(obj, "last_reorg", json_object_get(rg, "last"));
	json_decref(rg);
	if (app->opts.extra_health) app->opts.extra_health(obj, app->opts.extra_ctx);
	return tip.height >= 0 && eth_rc == 0 ? 0 : -1;
}

static void metrics_hook(FILE *out, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tip tip;
	struct tl_err err;
	if (app->store && tl_store_tip(app->store, &tip, &err) == 0) {
		tl_metrics_gauge(out, "tl_index_height", "height of the indexed tip (-1 = empty)", tip.height);
		json_t *rg = reorgs_of(app);
		tl_metrics_counter(out, "tl_index_reorgs_total", "reorgs the indexer has applied to this database",
				 (double)json_integer_value(json_object_get(rg, "count")));
		tl_metrics_gauge(out, "tl_index_last_reorg_depth", "blocks rolled back by the last reorg (0 = none)",
				 (double)json_integer_value(json_object_get(json_object_get(rg, "last"), "depth")));
		json_decref(rg);
		struct tl_block_rec b;
		if (tip.height >= 0 && tl_store_block_by_height(app->store, tip.height, &b, &err) == 1)
			tl_metrics_gauge(out, "tl_index_tip_timestamp_seconds", "block time of the indexed tip",
					 b.time);
		int32_t ch = atomic_load(&app->chain_height);
		if (app->opts.follow_dir && ch >= 0)
			tl_metrics_gauge(out, "tl_index_lag_blocks",
					 "blocks in the followed blocks directory not yet indexed",
					 ch > tip.height ? ch - tip.height : 0);
	}
	tl_metrics_gauge(out, "tl_index_last_update_timestamp_seconds",
			 "unix time the served index last caught up with the writer",
			 (double)atomic_load(&app->last_update));
	tl_metrics_counter(out, "tl_index_follow_errors_total", "failed index or catch-up runs since start",
			 (double)atomic_load(&app->follow_errors));
	if (!app->store) return; /* an Ethereum-only server: no Bitcoin views */
	struct tl_view_state vs;
	tl_store_view_state(app->store, &vs);
	tl_metrics_gauge(out, "tl_index_update_pending",
			 "1 while the writer is mid-update and the state before it is served", vs.held_back);
	tl_metrics_gauge(out, "tl_index_view_switches", "consistent states the server switched to since start",
			 (double)vs.switches);
}

/* ---------------- open / start / stop ---------------- */

/* Every request reads one state of the database (store.h views). */
static void view_begin(void *ctx) { tl_store_view_begin(((struct tl_app *)ctx)->store); }
static void view_end(void *ctx) { tl_store_view_end(((struct tl_app *)ctx)->store); }

void tl_app_rm_secondary_dir(const char *dir)
{
	DIR *dh = opendir(dir);
	if (dh) {
		struct dirent *e;
		char path[4096];
		while ((e = readdir(dh))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(dh);
	}
	rmdir(dir);
}

int tl_app_open(const struct tl_serve_opts *o, struct tl_app **out, struct tl_err *err)
{
	*out = NULL;
	if (!o->db_path && !o->eth_db_path) return tl_err_set(err, "no database given (--db)");
	if (!o->db_path && (o->follow_dir || o->blocks_dir || o->partners_file))
		return tl_err_set(err, "--follow, --blocks-dir and --partners need a Bitcoin database (--db)");
	struct tl_app *app = calloc(1, sizeof *app);
	if (!app) return tl_err_set(err, "out of memory");
	app->opts = *o;
	if (app->opts.poll_ms <= 0) app->opts.poll_ms = 1000;
	if (app->opts.threads <= 0) app->opts.threads = 2;
	app->max_trace_txs = o->max_trace_txs ? o->max_trace_txs : 200000;
	if (!app->opts.trace_memory_mb) app->opts.trace_memory_mb = 256;
	pthread_mutex_init(&app->stop_lock, NULL);
	pthread_cond_init(&app->stop_cond, NULL);
	pthread_mutex_init(&app->write_lock, NULL);
	atomic_store(&app->chain_height, -1);
	app->screens = tl_ctx_pool_new(screen_open, screen_close, app);
	if (!app->screens) abort();
	pthread_mutex_init(&app->rules_lock, NULL);
	app->rules = malloc(sizeof *app->rules);
	if (!app->rules) abort();
	tl_screen_rules_default(app->rules);
	if (o->rules_file && tl_screen_rules_load(o->rules_file, app->rules, err)) {
		tl_err_prefix(err, "--rules: ");
		goto fail;
	}

	if (tl_app_eth_open(app, err) < 0) goto fail;
	if (!o->db_path) goto server;

	/* Follow mode on a database that does not exist yet: index first. */
	if (o->follow_dir) {
		char cur[4096];
		struct stat st;
		snprintf(cur, sizeof cur, "%s/CURRENT", o->db_path);
		if (stat(cur, &st) != 0) {
			struct tl_index_stats ist;
			const struct tl_netparams *net = o->net ? o->net : tl_net_by_name("main");
			if (!net) net = tl_net_by_name("mainnet");
			if (run_indexer(app, net, &ist, err) < 0) goto fail;
			app->follow_sig = dir_signature(o->follow_dir);
		}
	}

	const char *tmp = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/taintline-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		tl_err_set(err, "cannot create a temporary directory %s: %s", tmpl, strerror(errno));
		goto fail;
	}
	app->secondary_dir = strdup(tmpl);
	struct tl_store_opts so = { 0 };
	so.secondary = true;
	so.secondary_path = app->secondary_dir;
	so.cache_mb = o->cache_mb ? o->cache_mb : 256;
	so.net = o->follow_dir ? o->net : o->net;
	if (tl_store_open(o->db_path, &so, &app->store, err) < 0) goto fail;
	app->net = tl_store_net(app->store);

	/* Where full transactions are read from. */
	const char *bdir = o->blocks_dir ? o->blocks_dir : o->follow_dir;
	if (bdir) {
		app->blocks_dir = strdup(bdir);
	} else {
		char *v = NULL;
		int r = tl_store_get_meta(app->store, "blocks_dir", &v, err);
		if (r < 0) goto fail;
		app->blocks_dir = v; /* NULL when unset */
	}
	if (app->blocks_dir) {
		if (tl_store_set_blocks_dir(app->store, app->blocks_dir, err) < 0) {
			tl_err_prefix(err, "blocks directory: ");
			goto fail;
		}
	} else if (o->log) {
		fprintf(o->log, "taintline serve: warning: no blocks directory known (pass --blocks-dir); "
				"/api/tx and /api/address/:address/txs will answer 503, traces and "
				"screening verdicts will name no addresses, and tags cannot be found by address id\n");
	}

server:;
	struct tl_api_config cfg;
	tl_api_config_default(&cfg);
	if (o->listen) cfg.listen = o->listen;
	cfg.threads = app->opts.threads;
	cfg.keys_file = o->keys_file;
	if (o->max_body) cfg.max_body = o->max_body;
	if (o->handler_time_ms) cfg.handler_time_ms = o->handler_time_ms;
	if (o->max_conns) cfg.max_conns = o->max_conns;
	if (o->max_reply_buffer_mb) cfg.max_out_buffered = (size_t)o->max_reply_buffer_mb << 20;
	if (o->pool_threads) cfg.pool_threads = o->pool_threads;
	app->opts.handler_time_ms = cfg.handler_time_ms;
	if (app->opts.trace_time_ms < 0) app->opts.trace_time_ms = 0;
	cfg.log = o->log;
	app->srv = tl_api_server_new(&cfg, err);
	if (!app->srv) goto fail;
	app->opts.handler_time_ms = tl_api_server_handler_ms(app->srv); /* the budget in effect (routes quote it) */
	/* An Ethereum-only server has no Bitcoin store to pin (its reads hold
	 * the Ethereum catch-up lock instead). */
	if (app->store) tl_api_set_request_hooks(app->srv, view_begin, view_end, app);
	tl_api_set_health_hook(app->srv, health_hook, app);
	tl_api_set_metrics_hook(app->srv, metrics_hook, app);
	if (tl_partners_load(o->partners_file, o->signing_key_file, &app->partners, err)) goto fail;
	if (app->store && (tl_routes_esplora(app, err) < 0 || tl_routes_v1(app, err) < 0 || tl_routes_ui(app, err) < 0 ||
			   tl_routes_share(app, err) < 0))
		goto fail;
	if (tl_routes_eth(app, err) < 0) goto fail;
	*out = app;
	return 0;
fail:
	tl_app_close(app);
	return -1;
}

int tl_app_start(struct tl_app *app, struct tl_err *err)
{
	if (tl_api_server_start(app->srv, err) < 0) return -1;
	atomic_store(&app->last_update, (int64_t)time(NULL));
	/* The follower must not take SIGINT/SIGTERM meant for sigwait. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int rc = pthread_create(&app->follower, NULL, follower_main, app);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		tl_api_server_stop(app->srv);
		tl_api_server_wait(app->srv);
		return tl_err_set(err, "cannot start the follower thread: %s", strerror(rc));
	}
	app->follower_started = 1;
	if (tl_partners_start(app, app->opts.push_interval_s, err)) {
		tl_app_stop(app);
		return -1;
	}
	return 0;
}

uint16_t tl_app_port(const struct tl_app *app) { return tl_api_server_port(app->srv); }

void tl_app_stop(struct tl_app *app)
{
	pthread_mutex_lock(&app->stop_lock);
	app->stop = 1;
	pthread_cond_broadcast(&app->stop_cond);
	pthread_mutex_unlock(&app->stop_lock);
	if (app->srv) tl_api_server_stop(app->srv);
}

void tl_app_close(struct tl_app *app)
{
	if (!app) return;
	tl_app_stop(app);
	if (app->partners) tl_partners_stop(app);
	if (app->srv) {
		tl_api_server_wait(app->srv);
		tl_api_server_free(app->srv);
	}
	if (app->follower_started) pthread_join(app->follower, NULL);
	tl_ctx_pool_free(app->screens);
	tl_partners_free(app->partners);
	tl_store_close(app->store);
	tl_app_eth_close(app);
	if (app->secondary_dir) tl_app_rm_secondary_dir(app->secondary_dir);
	free(app->secondary_dir);
	free(app->blocks_dir);
	pthread_cond_destroy(&app->stop_cond);
	pthread_mutex_destroy(&app->stop_lock);
	pthread_mutex_destroy(&app->write_lock);
	pthread_mutex_destroy(&app->rules_lock);
	free(app->rules);
	free(app);
}

int tl_app_reload_rules(struct tl_app *app, struct tl_err *err)
{
	if (!app->opts.rules_file) return 0;
	struct tl_screen_rules *r = malloc(sizeof *r);
	if (!r) return tl_err_set(err, "out of memory");
	tl_screen_rules_default(r);
	if (tl_screen_rules_load(app->opts.rules_file, r, err)) {
		free(r);
		return -1;
	}
	pthread_mutex_lock(&app->rules_lock);
	struct tl_screen_rules *old = app->rules;
	app->rules = r;
	pthread_mutex_unlock(&app->rules_lock);
	free(old);
	atomic_fetch_add(&app->screen_gen, 1); /* pooled contexts reopen with the new rules */
	return 0;
}

void tl_app_rules_version(struct tl_app *app, char *buf, size_t cap)
{
	pthread_mutex_lock(&app->rules_lock);
	snprintf(buf, cap, "%s", app->rules->version);
	pthread_mutex_unlock(&app->rules_lock);
}

int tl_app_run_until_signal(struct tl_app *app, struct tl_err *err)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old); /* workers and follower inherit it */
	if (tl_app_start(app, err) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	int sig = 0;
	for (;;) {
		sigwait(&set, &sig);
		if (sig != SIGHUP) break;
		/* SIGHUP: the rules file again; a bad one keeps the rules in force */
		struct tl_err e2;
		char ver[64];
		if (tl_app_reload_rules(app, &e2) < 0) {
			if (app->opts.log) fprintf(app->opts.log, "taintline serve: SIGHUP: rules not reloaded: %s\n", e2.msg);
		} else if (app->opts.log) {
			tl_app_rules_version(app, ver, sizeof ver);
			fprintf(app->opts.log, "taintline serve: SIGHUP: screening rules %s in force\n", ver);
		}
	}
	if (app->opts.log)
		fprintf(app->opts.log, "taintline serve: %s received, finishing requests in flight\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM");
	tl_app_stop(app);
	tl_api_server_wait(app->srv);
	if (app->follower_started) {
		pthread_join(app->follower, NULL);
		app->follower_started = 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

int tl_app_reply_store_error(struct tl_api_req *req, const struct tl_err *err)
{
	/* The detail names files of this machine: it goes to the log, not to
	 * the client. */
	tl_api_log(tl_api_req_server(req), "%s %s: %s", tl_api_req_route(req), "store error", err->msg);
	tl_api_reply_error(req, 500, "store_error", "reading the index failed (details are in the server's log)");
	return -1;
}

int tl_app_check_address(struct tl_api_req *req, const struct tl_app *app, const char *addr)
{
	uint8_t script[42];
	size_t len;
	struct tl_err err;
	if (tl_address_to_script(addr, app->net, script, &len, &err) == 0) return 0;
	if (!strncmp(err.msg, "wrong network", 13))
		tl_api_reply_error(req, 400, "wrong_network", "%s (this server indexes %s)", err.msg, app->net->name);
	else
		tl_api_reply_error(req, 400, "bad_address", "%s", err.msg);
	return -1;
}
