/* The taintline API application: the database, the HTTP server
 * (api/server.h) with every route registered, and a background thread
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

#include "api/server.h"
#include "chain/blkfile.h"
#include "chain/err.h"
#include "chain/network.h"
#include "store/store.h"

struct tl_screen;

struct tl_serve_opts {
	const char *db_path;     /* required */
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
	/* Memory budget of one trace in MiB (tracer/walk.h max_mem): the walk
	 * stops and the request answers 413 naming it; 0 = 256. Traces run
	 * on the pool, so at most pool_threads of them hold this much. */
	uint32_t trace_memory_mb;
	/* Connection cap (0 = from the descriptor limit) and the expensive
	 * pool's threads (0 = the cores less one); see api/server.h. */
	int max_conns;
	int pool_threads;
	/* Reply bytes waiting to be written, all connections (MiB; 0 = 128);
	 * see api/server.h max_out_buffered. */
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
};

/* Fills o with the defaults above (db_path NULL, log stderr). */
void tl_serve_opts_default(struct tl_serve_opts *o);

struct tl_screenpool;
struct tl_screen;

/* The application. Route handlers (api/routes_*.c) get it as ctx; the
 * fields are read-only once started except where noted. */
struct tl_app {
	struct tl_serve_opts opts;
	struct tl_store *store;          /* secondary; thread-safe for reads */
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
	struct tl_screenpool *screens;   /* screening contexts (tracer/screen.h) */
	_Atomic uint64_t screen_gen;     /* bumped when heists or taint change: contexts reopen */
	void *entities;                  /* tags / heists storage (tracer), when built */
	struct tl_partners *partners;    /* sharing (api/partners.h); never NULL once open */
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

/* Route registration, one per route file (api/routes_esplora.c,
 * api/routes_v1.c). Return 0 or -1 with err. */
int tl_routes_esplora(struct tl_app *app, struct tl_err *err);
int tl_routes_v1(struct tl_app *app, struct tl_err *err);
/* The web app's page, assets and /v1/whoami (api/routes_ui.c), which
 * also registers the cases (api/routes_cases.c). */
int tl_routes_ui(struct tl_app *app, struct tl_err *err);
int tl_routes_cases(struct tl_app *app, struct tl_err *err);
/* /v1/watches (api/routes_watches.c), registered by tl_routes_ui. */
int tl_routes_watches(struct tl_app *app, struct tl_err *err);

#endif
