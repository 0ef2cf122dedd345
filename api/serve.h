/* The taintline API application: the database, the HTTP server
 * (api/http_server.h) with every route registered, and a background thread
 * that keeps the served index current.
 *
 * The database is opened as a RocksDB secondary instance (store/store.h
 * opts.secondary): the server never takes the writer lock, so a separate
 * `taintline index` may run beside it, and the background thread replays
 * the writer's progress every poll_ms. With follow_dir set, the
 * background thread is itself the writer: when the blocks directory
 * changes it runs the indexer (indexer/indexer.h, reorgs included) in
 * process, then catches the secondary up.
 *
 * Life cycle (one thread drives it):
 *
 *   struct tl_serve_opts o;  tl_serve_opts_default(&o);  o.db_path = ...;
 *   tl_app_open(&o, &app, &err);      // opens the DB, registers routes
 *   tl_app_start(app, &err);          // listens, starts workers + follower
 *   ... tl_app_stop(app);             // from any thread
 *   tl_app_close(app);                // waits, drains, closes the DB
 *
 * or tl_app_run_until_signal, which starts, waits for SIGINT/SIGTERM and
 * stops gracefully (in-flight requests are answered). */
#ifndef TL_API_SERVE_H
#define TL_API_SERVE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "api/http_server.h"
#include "bitcoin/blkfile.h"
#include "base/err.h"
#include "bitcoin/network.h"
#include "store/store.h"

struct tl_screen;

struct tl_serve_opts {
	/* The Bitcoin database; NULL for an Ethereum-only server. */
	const char *db_path;
	/* The Ethereum database (api/serve_eth.c); NULL = none. One database
	 * per chain: at least one of db_path and eth_db_path is required. */
	const char *eth_db_path;
	const char *listen;      /* default "127.0.0.1:8080"; port 0 = any free port */
	const char *keys_file;   /* NULL = no auth, loopback clients only */
	int threads;             /* worker threads; 0 = 2 */
	/* Blocks directory to follow (index new blocks in process); NULL =
	 * serve what another process indexes. */
	const char *follow_dir;
	/* Blocks directory to read full transactions from; NULL = follow_dir,
	 * else the directory the database records (meta "blocks_dir"). */
	const char *blocks_dir;
	/* Network for a database that does not exist yet (follow mode only);
	 * NULL = mainnet. An existing database keeps its own. */
	const struct tl_netparams *net;
	int poll_ms;             /* follower / catch-up interval; 0 = 1000 */
	uint32_t cache_mb;       /* RocksDB block cache of the server; 0 = 256 */
	size_t max_body;         /* 0 = framework default (1 MiB) */
	int handler_time_ms;     /* 0 = framework default (10 s) */
	/* Time limit of one trace (the walk stops and the request answers
	 * 422 trace_timeout); 0 or above handler_time_ms = the handler
	 * budget. */
	int trace_time_ms;
	/* Most transactions a trace may visit before it answers 413; 0 =
	 * 200000. */
	uint64_t max_trace_txs;
	/* Memory budget of one trace in MiB (taint/walk.h max_mem): the walk
	 * stops and the request answers 413 naming it; 0 = 256. Traces run
	 * on the pool, so at most pool_threads of them hold this much. */
	uint32_t trace_memory_mb;
	/* Connection cap (0 = from the descriptor limit) and the expensive
	 * pool's threads (0 = the cores less one); see api/http_server.h. */
	int max_conns;
	int pool_threads;
	/* Reply bytes waiting to be written, all connections (MiB; 0 = 128);
	 * see api/http_server.h max_out_buffered. */
	uint32_t max_reply_buffer_mb;
	FILE *log;               /* warnings and follow progress; NULL = silent */
	const char *cors;        /* CORS origins of the /api routes ("*" or a comma list); NULL = none */
	/* Adds members to /healthz (e.g. the followed node's state,
	 * live/follow.h); NULL = none. */
	void (*extra_health)(struct json_t *obj, void *ctx);
	void *extra_ctx;
	/* Screens what the index does not hold (unconfirmed transactions,
	 * live/mempool.h): a verdict or NULL; vout UINT32_MAX = the whole
	 * transaction. NULL = none. */
	struct json_t *(*extra_screen)(void *ctx, struct tl_screen *sc, const uint8_t txid[32], uint32_t vout);
	void *extra_screen_ctx;
	/* Sharing (api/partners.h): the partners file, the signing key of
	 * exports and pushes, and the interval of push rounds in seconds
	 * (0: only on POST /v1/partners/push). NULL: none. */
	const char *partners_file;
	const char *signing_key_file;
	int push_interval_s;
	/* Screening rules (tracer/screen.h tl_screen_rules_load); NULL = the
	 * defaults. Re-read on SIGHUP (tl_app_reload_rules). */
	const char *rules_file;
};

/* Fills o with the defaults above (db_path NULL, log stderr). */
void tl_serve_opts_default(struct tl_serve_opts *o);

struct tl_ctx_pool;
struct tl_screen;
struct tl_eth_store;
struct tl_eth_screen;

/* The application. Route handlers (api/routes_*.c) get it as ctx; the
 * fields are read-only once started except where noted. */
struct tl_app {
	struct tl_serve_opts opts;
	struct tl_store *store;          /* secondary; thread-safe for reads; NULL
	                                  * on an Ethereum-only server */
	/* The Ethereum database (api/serve_eth.c), a secondary like store.
	 * Requests read it under eth_lock's read side and the follower
	 * catches it up under the write side, so that one request sees one
	 * state of the index (a group of blocks and its tip, never half). */
	struct tl_eth_store *eth;        /* NULL without an Ethereum database */
	char *eth_secondary_dir;         /* owned temp dir of its secondary */
	pthread_rwlock_t eth_lock;
	int eth_lock_init;
	_Atomic uint64_t eth_gen;        /* bumped at each catch-up: screening handles reopen */
	struct tl_ctx_pool *eth_screens; /* its screening handles (api/ctx_pool.h) */
	_Atomic int64_t eth_catchup_skipped; /* catch-ups postponed: readers held the lock a whole poll */
	const struct tl_netparams *net;  /* the database's network */
	struct tl_api_server *srv;
	char *blocks_dir;                /* owned; NULL when none is known (the
	                                  * store's readers use it) */
	char *secondary_dir;             /* owned temp dir of the secondary */
	uint64_t max_trace_txs;
	/* Follower state (atomics: read by /metrics and /healthz). */
	pthread_t follower;
	int follower_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	volatile sig_atomic_t stop;      /* asks the follower (and the indexer) to stop */
	int kicked;                      /* tl_app_kick since the follower's last wait (stop_lock) */
	_Atomic int32_t chain_height;    /* best height of the followed blocks dir; -1 unknown */
	_Atomic int64_t last_update;     /* unix time of the last successful catch-up / index run */
	_Atomic int64_t updates;         /* index runs that wrote blocks */
	_Atomic int64_t follow_errors;
	char last_error[512];            /* guarded by stop_lock */
	uint64_t follow_sig;             /* blocks-dir signature last indexed (follower only) */
	pthread_mutex_t write_lock;      /* one writer at a time: follower runs, imports */
	struct tl_ctx_pool *screens;     /* screening contexts (tracer/screen.h; api/ctx_pool.h) */
	_Atomic uint64_t screen_gen;     /* bumped when heists or taint change: contexts reopen */
	void *entities;                  /* tags / heists storage (tracer), when built */
	struct tl_partners *partners;    /* sharing (api/partners.h); never NULL once open */
	pthread_mutex_t rules_lock;      /* guards rules */
	struct tl_screen_rules *rules;   /* what new screening contexts use; owned */
};

/* Opens the database and builds the server with every route (Esplora
 * routes, /v1 routes, health and metrics hooks). Does not listen yet.
 * Errors: no database (and no follow_dir to create it), a database locked
 * or for another network, bad listen address or keys file. Returns 0 and
 * *out (free with tl_app_close), or -1 with err. */
int tl_app_open(const struct tl_serve_opts *o, struct tl_app **out, struct tl_err *err);

/* Binds, starts the workers and the follower. Returns 0 or -1 with err. */
int tl_app_start(struct tl_app *app, struct tl_err *err);

/* The bound port after start. */
uint16_t tl_app_port(const struct tl_app *app);

/* Asks the server and the follower to stop (returns at once;
 * thread-safe, idempotent). */
void tl_app_stop(struct tl_app *app);

/* Stops if running, waits for the drain and the follower, closes the
 * database and frees everything (NULL is ignored). */
void tl_app_close(struct tl_app *app);

/* Blocks SIGINT and SIGTERM, starts, waits for one, then stops and
 * drains (tl_app_close is still needed). Returns 0, or -1 with err when
 * start failed. */
int tl_app_run_until_signal(struct tl_app *app, struct tl_err *err);

/* Runs one follower step now (index the follow dir if it changed, then
 * catch up): what the follower thread does every poll_ms. For tests.
 * Returns 0 or -1 with err. */
int tl_app_follow_once(struct tl_app *app, struct tl_err *err);

/* Wakes the follower now instead of at its next poll (new blocks were
 * written into the followed directory). Thread-safe. */
void tl_app_kick(struct tl_app *app);

/* Runs fn with the database opened for writing (the primary), one writer
 * at a time within this process (the follower takes the same lock), then
 * catches the served secondary up. Fails with "database is in use by
 * another process" while a separate `taintline index` runs. fn returns
 * 0 or -1 with err. Returns fn's result, or -1 with err. */
typedef int (*tl_app_write_fn)(struct tl_store *primary, void *ctx, struct tl_err *err);
int tl_app_write(struct tl_app *app, tl_app_write_fn fn, void *ctx, struct tl_err *err);

/* Borrows one of the store's blocks-directory readers (NULL when none is
 * configured or it cannot be opened: the handler answers 503). Return
 * it with tl_app_blkdir_put. */
struct tl_blkdir *tl_app_blkdir_get(struct tl_app *app);
void tl_app_blkdir_put(struct tl_app *app, struct tl_blkdir *d);

/* Re-reads opts.rules_file (strictly: a bad file changes nothing and
 * answers -1 with err) and makes screening contexts reopen with it.
 * Thread-safe. Returns 0 (also when no rules file was given) or -1. */
int tl_app_reload_rules(struct tl_app *app, struct tl_err *err);

/* The version of the rules in force (copied into buf). */
void tl_app_rules_version(struct tl_app *app, char *buf, size_t cap);

/* Borrows a screening context (tracer/screen.h; NULL with err on
 * failure). Return it with tl_app_screen_put. */
struct tl_screen *tl_app_screen_get(struct tl_app *app, struct tl_err *err);
void tl_app_screen_put(struct tl_app *app, struct tl_screen *sc);

/* Helpers shared by the route files. Each replies on failure and returns
 * -1 (the handler then just returns):
 *   tl_app_check_address: an address of the database's network, else 400
 *     bad_address or wrong_network;
 *   tl_app_reply_store_error: 500 store_error for a failed index read. */
int tl_app_check_address(struct tl_api_req *req, const struct tl_app *app, const char *addr);
int tl_app_reply_store_error(struct tl_api_req *req, const struct tl_err *err);

/* ---- the Ethereum database (api/serve_eth.c) ---- */

/* Opens o->eth_db_path as a secondary into app->eth (nothing when it is
 * NULL). Returns 0 or -1 with err (no database, not an Ethereum one). */
int tl_app_eth_open(struct tl_app *app, struct tl_err *err) __attribute__((warn_unused_result));
/* Removes a secondary instance's private directory (its files, then the
 * directory; it holds no subdirectories). Used by both stores' close. */
void tl_app_rm_secondary_dir(const char *dir);
/* Catches app->eth up with its writer under the write side of eth_lock,
 * waiting at most wait_ms for readers to finish (0 when it gave up this
 * time, counted in eth_catchup_skipped). Returns 1 caught up, 0 postponed,
 * -1 with err. */
int tl_app_eth_catch_up(struct tl_app *app, int wait_ms, struct tl_err *err);
/* Closes what tl_app_eth_open made (app->eth NULL is fine). */
void tl_app_eth_close(struct tl_app *app);
/* Read side of the Ethereum state: every request reading app->eth holds
 * it from its first read to its last. */
void tl_app_eth_rdlock(struct tl_app *app);
void tl_app_eth_unlock(struct tl_app *app);
/* Adds the Ethereum database's members ("ethereum": {network, height,
 * tip_hash, ...}) to /healthz. Returns 0, or -1 when unreadable. */
int tl_app_eth_health(struct tl_app *app, struct json_t *obj);
/* Borrows a screening handle of the Ethereum database (store/eth_screen.h;
 * NULL with err). Return it with tl_app_eth_screen_put. Call under the
 * read lock. */
struct tl_eth_screen *tl_app_eth_screen_get(struct tl_app *app, struct tl_err *err);
void tl_app_eth_screen_put(struct tl_app *app, struct tl_eth_screen *h);

/* Route registration, one per route file (api/routes_esplora.c,
 * api/routes_v1.c). Return 0 or -1 with err. */
int tl_routes_esplora(struct tl_app *app, struct tl_err *err);
int tl_routes_v1(struct tl_app *app, struct tl_err *err);
/* Ethereum routes under /eth/api/v2 (api/routes_eth.c); on an
 * Ethereum-only server also /v1/screen, /v1/heists/:id/trace and
 * /openapi.json. */
int tl_routes_eth(struct tl_app *app, struct tl_err *err);
/* GET /v1/screen for an Ethereum address (0x...) and the heist trace
 * over the Ethereum database, or over both (api/routes_eth.c): the /v1
 * handlers of a server with both databases hand these requests over. */
void tl_eth_get_screen(struct tl_api_req *req, struct tl_app *app);
void tl_eth_heist_trace(struct tl_api_req *req, struct tl_app *app);
/* Adds to heists (GET /v1/heists's array) the Ethereum database's heists
 * the caller may see: "ethereum" in the "traced_on" of an entry with the
 * same id when it is traceable there, else a new entry (no "num": that
 * is the Bitcoin database's numbering). Returns 0 or -1 with err. */
int tl_eth_heists_add(struct tl_api_req *req, struct tl_app *app, json_t *heists, struct tl_err *err);
/* The web app's page, assets and /v1/whoami (api/routes_ui.c), which
 * also registers the cases (api/routes_cases.c). */
int tl_routes_ui(struct tl_app *app, struct tl_err *err);
int tl_routes_cases(struct tl_app *app, struct tl_err *err);
/* /v1/watches (api/routes_watches.c), registered by tl_routes_ui. */
int tl_routes_watches(struct tl_app *app, struct tl_err *err);
/* /v1/transfers (api/routes_transfers.c), registered by tl_routes_v1. */
int tl_routes_transfers(struct tl_app *app, struct tl_err *err);

#endif
