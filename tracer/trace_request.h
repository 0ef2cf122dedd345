/* The Bitcoin trace as one library call: what `taintline trace --db DB`
 * prints and what GET/POST /v1/.../trace serve, assembled by one function
 * (the heist and its seeds, tags, the `until` bound, the walk, the
 * result) so that the two front ends cannot drift. The front ends parse
 * their arguments into a struct tl_trace_req and word the failures; the
 * stage a failure came from and its code (base/err.h) say which wording.
 * The Ethereum and cross-chain traces are the same kind of call
 * (tracer/eth_trace.h). */
#ifndef TL_TRACER_TRACE_REQUEST_H
#define TL_TRACER_TRACE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "store/tlp.h"
#include "taint/walk.h"

/* What to trace. Seeds come from any of heist, seeds and address
 * together (the command line allows exactly one; the API any). */
struct tl_trace_req {
	const char *heist;            /* a heist id, or NULL */
	const char *heists_file;      /* its registry file; NULL = the database's (heist import) */
	const char *const *seeds;     /* "TXID[:VOUT]" (syntax already checked or not) */
	size_t nseeds;
	const char *address;          /* every output paid to it in [from, to], or NULL */
	int64_t from, to;             /* Unix seconds; INT64_MIN / INT64_MAX for an open end */
	const char *const *tag_files; /* tag files read for this trace only */
	size_t ntags;
	const char *until;            /* a height or a YYYY-MM-DD date (UTC, inclusive), or NULL */
	const struct tl_clearance *clearance; /* NULL: everything is visible */
	/* The walk: policy, limits, stops, budget and cancel callback; the
	 * call sets until_height from until. */
	struct tl_walk_params p;
};

/* Where a trace failed: front ends word the failure by stage and err.code. */
enum tl_trace_stage {
	TL_TRACE_AT_NONE = 0,
	TL_TRACE_AT_REGISTRY, /* heists_file could not be read (err from tl_registry_load) */
	TL_TRACE_AT_UNTIL,    /* code BAD_INPUT: neither a height nor a date (err: the date's);
	                       * NOT_FOUND: before the first block; STORE: reading the index */
	TL_TRACE_AT_HEIST,    /* NOT_FOUND: not in the database (or above the clearance) or
	                       * the file; STORE: reading it; else its definition is unusable
	                       * or not traceable here (err says which) */
	TL_TRACE_AT_HEIST_SEEDS, /* the heist's seeds are not in this index (err names one) */
	TL_TRACE_AT_TAGS,     /* a tag file */
	TL_TRACE_AT_SEED,     /* one of seeds (tl_trace_seeds_add_outpoint's err) */
	TL_TRACE_AT_ADDRESS,  /* address (tl_trace_seeds_add_address's err) */
	TL_TRACE_AT_NO_SEEDS, /* nothing to trace from */
	TL_TRACE_AT_WALK,     /* the walk or the result (also every TL_WALK_* return) */
};

/** Fills r with the command line's defaults: no seeds, the walk's
 *  defaults with TL_TRACE_DEFAULT_MAX_HOPS and TL_TRACE_DEFAULT_MIN_SAT,
 *  an open window, everything visible.
 *
 *  Out:     r: the defaults.
 */
void tl_trace_req_default(struct tl_trace_req *r);

/** Parses a comma list of stop categories (exchange, bridge, service,
 *  mixer, sanctioned) into TL_CAT_* bits.
 *
 *  Returns: 0, or -1 with err naming the first unknown name.
 *  In:      list: the names.
 *  Out:     *cats: their bits (untouched on failure).
 */
int tl_trace_parse_cats(const char *list, uint32_t *cats, struct tl_err *err) __attribute__((warn_unused_result));

/** Runs the trace rq on s (any open mode): resolves the heist (from the
 *  database, as rq->clearance sees it, or from rq->heists_file), reads
 *  the tag files, resolves until, gathers the seeds, walks and builds the
 *  result of tl_trace_run (tracer/trace.h).
 *
 *  Returns: 0 with *out; a TL_WALK_* code (TOO_BIG, MEMORY, TIMEOUT) when
 *           the budget stopped the walk (err set, *stage WALK); -1 with
 *           err and *stage.
 *  Args:    s: the open store (not closed); err: the failure's message and code.
 *  In:      rq: the request (rq->p.until_height is ignored: until decides it).
 *  Out:     *out: the result, a new reference the caller json_decrefs (NULL
 *           on failure); *stage: where it failed (TL_TRACE_AT_NONE on success).
 */
int tl_trace_request_run(struct tl_store *s, const struct tl_trace_req *rq, json_t **out, enum tl_trace_stage *stage,
                         struct tl_err *err) __attribute__((warn_unused_result));

#endif
