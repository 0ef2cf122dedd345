/* Watch alerts in a running server: the events that feed the watches
 * (live/watch.h) and the thread that delivers them (live/deliver.h).
 *
 * Events, each queued at most once per watch (a marker per watch and
 * event key is written in the same batch as the delivery, so a restart
 * neither loses nor repeats one):
 *   deposit    an output, unconfirmed (from the mempool, live/mempool.h)
 *              or in a block, whose exposure passes the watch
 *              (key deposit/TXID:VOUT);
 *   confirmed  such an output in a block of the served chain
 *              (key confirmed/TXID:VOUT; a reorg that removes it lets it
 *              be confirmed again);
 *   movement   an output with exposure spent, by a mempool transaction or
 *              in a block (key movement/TXID:VOUT of the spent output;
 *              data.spent_by names the spender);
 *   reorg      a transaction alerted (deposit or confirmed) in a block
 *              that a reorg removed, and that is not in the new chain
 *              (key reorg/TXID:VOUT/BLOCKHASH), to the watches that were
 *              alerted for it.
 * Blocks are read once indexed and screened (the server's write lock
 * orders them), from a cursor kept in the database (meta
 * "alerts_cursor": the height and the last 100 block hashes) written
 * with the events: a block is scanned once, and after a restart the next
 * block is the first one not scanned. A new database starts at its tip
 * (history is not alerted).
 *
 * Delivery runs in its own thread: due deliveries are read from the
 * served store, sent concurrently without any lock held, and their
 * states written back. The scheduling clock may run faster than real
 * time (time_scale) so that tests cross an hour of backoff in seconds;
 * webhook-timestamp stays the real time. */
#ifndef TL_LIVE_ALERTS_H
#define TL_LIVE_ALERTS_H

#include <stdint.h>
#include <stdio.h>

#include "api/serve.h"
#include "base/err.h"
#include "live/deliver.h"
#include "live/mempool.h"

struct tl_alerts_opts {
	struct tl_mempool *mempool;     /* may be NULL */
	struct tl_deliver_opts deliver; /* retries, timeout, ca_file */
	/* Speed of the delivery scheduling clock: 1 (or 0) = real time, 600 =
	 * ten minutes a second. For tests and benches. */
	double time_scale;
	int poll_ms;                    /* how often blocks are looked for; 0 = 500 */
	FILE *log;                      /* NULL = silent */
};

struct tl_alerts_stats {
	uint64_t events;          /* deliveries queued */
	uint64_t delivered;       /* deliveries answered 2xx */
	uint64_t blocks;          /* blocks scanned */
	uint64_t reorgs;          /* reorgs seen */
	uint64_t errors;
	int32_t height;           /* the cursor; -1 before the first round */
	uint64_t mempool_examined; /* mempool transactions examined */
	uint64_t mempool_pending; /* mempool transactions told and not examined yet */
};

struct tl_alerts;

/* A new alerts engine, not running yet: it already queues the mempool
 * transactions it is told about (tl_alerts_tx). Returns NULL when out of
 * memory. */
struct tl_alerts *tl_alerts_new(const struct tl_alerts_opts *o);
/* Starts the event and delivery threads over an open server (the caller
 * blocks the signals the threads must not take). Returns 0 or -1 with
 * err. */
int tl_alerts_start(struct tl_alerts *a, struct tl_app *app, struct tl_err *err) __attribute__((warn_unused_result));
/* Stops and joins the threads (before tl_app_close) and frees a (NULL is
 * ignored). */
void tl_alerts_free(struct tl_alerts *a);
/* A mempool listener (live/mempool.h): txid was added or screened again. */
void tl_alerts_tx(void *a, const uint8_t txid[32]);
/* Counters (thread-safe). */
void tl_alerts_stats(struct tl_alerts *a, struct tl_alerts_stats *out);
/* Adds {"alerts": {...}} to obj: a health hook. */
void tl_alerts_health(struct json_t *obj, void *a);

#endif
