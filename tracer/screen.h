/* Screening: "is this output or address exposed to a registered heist, how
 * much, how many hops away" as a lookup.
 *
 * Materialization: for every traceable heist stored in the database
 * (tracer/entities.h), its forward taint under haircut is written into
 * the taint column family, over the blocks already indexed:
 *   key tl_taint_key(num, tx_num, vout)          one tainted output:
 *       value varint amount_sat, hops, flags (1 endpoint, 2 seed), addr_id;
 *   key tl_taint_key(num | 0x80000000, tx_num, vout)  the frontier: tainted
 *       outputs unspent at the materialized height (value empty);
 *   key tl_taint_key(0xFFFFFFFF, addr_id, num)   the address aggregate:
 *       value varint amount_sat (sum over its tainted outputs), min hops,
 *       number of tainted outputs.
 * Per heist, meta "screen.heist.<id>" holds the state as JSON: num,
 * height and hash of the tip it is materialized to, next_tx_num, min_sat,
 * stop categories. The walk is haircut with floor rounding (as
 * taint/policy.h), stops at outputs tagged with a stop category (they
 * are recorded, not followed) and drops amounts under min_sat (seeds are
 * always recorded). Heist numbers must be below 0x80000000.
 *
 * tl_screen_update continues each heist from its frontier over the blocks
 * indexed since: only transactions spending frontier outputs (and what
 * they taint) are walked, and the result is identical to a rebuild. A
 * heist whose recorded tip block was reorganised away is rebuilt.
 *
 * Lookups go through a struct tl_screen (the heist list cached); one per
 * thread, or guard it: the store may be shared. JSON results are new
 * references owned by the caller. docs/tracing.md has the risk rules. */
#ifndef TL_TRACER_SCREEN_H
#define TL_TRACER_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "store/tlp.h"

#define TL_SCREEN_FRONTIER_BIT 0x80000000u
#define TL_SCREEN_AGG_ID 0xFFFFFFFFu

/* The hop limit of the category sources by default: exposure further
 * than this many transactions from a tagged entity is not materialized. */
#define TL_SCREEN_CAT_HOPS 6
/* Taint numbers of the category sources: TL_SCREEN_CAT_BASE + position
 * in tracer/category.h's table. Heist numbers stay below. */
#define TL_SCREEN_CAT_BASE 0x7FFFFF00u

struct tl_screen_params {
	uint64_t min_sat;   /* the dust cut: amounts below are not followed; default 1000 */
	uint32_t stop_cats; /* default EXCHANGE | BRIDGE | SERVICE */
	/* hop limit of the category sources (outputs this many hops away are
	 * recorded, not followed); default TL_SCREEN_CAT_HOPS; heists are
	 * always followed to the tip */
	uint32_t max_hops;
};
void tl_screen_params_default(struct tl_screen_params *p);

/* Writes the taint of heist heist_id (stored in the database) from
 * scratch, replacing what was there, up to the current tip.
 * p NULL = defaults. Returns 0, or -1 with err (unknown heist, heist not
 * traceable on this network, seeds missing from the index, store error). */
int tl_screen_materialize(struct tl_store *s, const char *heist_id, const struct tl_screen_params *p,
                          struct tl_err *err);

/* Materializes every traceable heist of the database from scratch.
 * Heists that fail to resolve (seeds not indexed yet) are skipped and
 * counted in *skipped (may be NULL); *done (may be NULL) = heists
 * written. Returns 0 or -1 on a store error. */
int tl_screen_rebuild(struct tl_store *s, const struct tl_screen_params *p, uint32_t *done, uint32_t *skipped,
                      struct tl_err *err);

struct tl_screen_update_stats {
	uint32_t heists;    /* heists brought to the tip */
	uint32_t rebuilt;   /* of which rebuilt (never materialized, or reorg) */
	uint32_t moved;     /* of the rebuilt: seed outputs at other places than before (a reorg) */
	uint32_t resolved;  /* of the rebuilt: seeds that were missing are in the index now */
	uint32_t unresolved; /* heists whose seeds are not (or no longer) in the index */
	uint32_t vanished;  /* of those: resolved before this update (a reorg removed a seed) */
	uint64_t visited;   /* transactions walked */
	uint64_t written;   /* tainted outputs written */
	/* the category sources (one per screened category) */
	uint32_t categories, categories_rebuilt;
	uint64_t cat_visited, cat_written;
};

/* Brings every traceable heist to the current tip: incrementally from
 * its frontier, or from scratch if it was never materialized, its
 * recorded tip is no longer in the best chain or its seeds were not
 * resolved. A heist whose seeds are not in the index (not mined yet, or
 * rolled back by a reorg) keeps no taint records: its state (meta
 * "screen.heist.<id>") says "unresolved" and why, and it is tried again
 * at the next update. Call after indexing. st may be NULL. Returns 0 or
 * -1 with err. */
int tl_screen_update(struct tl_store *s, struct tl_screen_update_stats *st, struct tl_err *err);

/* Re-materializes every heist materialized before (with its own
 * parameters), from scratch: what tag imports call, since the stop
 * categories of the walk come from tags, so that the taint index is the
 * same whatever the order of tag imports, heist imports and blocks.
 * *done (may be NULL) = heists written with taint. Returns 0 or -1. */
int tl_screen_refresh(struct tl_store *s, uint32_t *done, struct tl_err *err);

/* Calls cb for every output where heist heist_id's materialized taint
 * stopped at a stop category (an endpoint), in key order, with its
 * tainted amount and owner: what tracer/screen_xchain.c carries across
 * bridges. A nonzero return from cb stops the walk and is returned.
 * Returns 0 (also when the heist has no taint materialized), cb's value,
 * or -1 with err. */
int tl_screen_each_endpoint(struct tl_store *s, const char *heist_id,
                            int (*cb)(void *ctx, uint64_t tx_num, uint32_t vout, uint64_t amount, uint64_t addr_id),
                            void *ctx, struct tl_err *err);

/* ---- lookups ---- */

/* Mapping exposure to risk. Heist exposures (category "stolen") keep
 * these thresholds (first that matches wins):
 *   severe : the address or its cluster is tagged sanctioned (if
 *            sanctioned_severe);
 *   high   : an exposure with share >= high_share or hops <= high_hops;
 *   medium : an exposure with share >= medium_share or hops <= medium_hops;
 *   low    : any exposure of at least low_min_sat;
 *   none   : otherwise;
 * and score 100, 75, 50, 25, 0 for severe .. none. Exposures to the
 * screened categories of tracer/category.h (direct: the subject's cluster
 * is tagged; indirect: funds received within the hop limit) go through
 * the category rules: every rule whose category, direction and
 * conditions hold applies, and the one with the highest score gives the
 * exposure its level and score. The verdict is the highest level and the
 * highest score over all exposures. docs/tracing.md has the file format
 * and the default rules. */
#define TL_SCREEN_RULES_MAX 64
struct tl_screen_cat_rule {
	uint8_t cat;       /* position in tracer/category.h's table */
	uint8_t direct;    /* 1: ownership (the subject's cluster is tagged); 0: received funds */
	uint8_t level;     /* 1 low .. 4 severe */
	double score;      /* 0..100 */
	double min_share;  /* condition share >= min_share (0: none) */
	uint32_t max_hops; /* condition hops <= max_hops (0: none) */
	uint64_t min_sat;  /* condition amount >= min_sat (0: none) */
};

struct tl_screen_rules {
	int sanctioned_severe; /* default 1 */
	double high_share;     /* default 0.5 */
	uint32_t high_hops;    /* default 1 */
	double medium_share;   /* default 0.1 */
	uint32_t medium_hops;  /* default 3 */
	uint64_t low_min_sat;  /* default 1000 */
	char version[64];      /* named by the file, else "default-1" or a hash of the file */
	size_t n_cat;
	struct tl_screen_cat_rule cat[TL_SCREEN_RULES_MAX];
};
void tl_screen_rules_default(struct tl_screen_rules *r);

/* Parses a rules text (len bytes, need not be NUL-terminated; name is
 * used in messages): lines "name = value" with the threshold names
 * above and "version = TEXT", and lines
 *   rule CATEGORY direct|indirect LEVEL SCORE [share>=F] [hops<=N] [amount>=SAT]
 * ('#' comments, blank lines). Thresholds not given keep their value in
 * *r; rule lines, when there is one, replace the default category rules.
 * A text without a version gets "fnv-" and a 64-bit FNV-1a hash of the text. Unknown
 * names, categories or levels, bad or out-of-range values, a NUL byte,
 * more than TL_SCREEN_RULES_MAX rules: -1 with err naming the line; *r
 * is then unchanged. Returns 0 or -1. */
int tl_screen_rules_parse(const char *text, size_t len, const char *name, struct tl_screen_rules *r,
                          struct tl_err *err) __attribute__((warn_unused_result));

/* tl_screen_rules_parse over the file at path (at most 1 MiB). */
int tl_screen_rules_load(const char *path, struct tl_screen_rules *r, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The level (0 none .. 4 severe) and *score of one category exposure
 * under r: cat position in tracer/category.h's table, direct 1/0, share
 * 0..1, hops, amount in satoshis. Returns the level. */
int tl_screen_rules_apply(const struct tl_screen_rules *r, size_t cat, int direct, double share, uint32_t hops,
                          uint64_t amount, double *score);

/* The score of a level under the heist thresholds (100, 75, 50, 25, 0). */
double tl_screen_level_score(int level);

struct tl_screen;

/* Opens a screening context over s (which must outlive it) with rules r
 * (NULL = defaults; copied). Returns 0 and *out, or -1 with err. */
int tl_screen_open(struct tl_store *s, const struct tl_screen_rules *r, struct tl_screen **out, struct tl_err *err);
void tl_screen_close(struct tl_screen *sc);

/* One exposure found by a lookup. */
struct tl_screen_exp {
	uint32_t heist_num;
	uint64_t amount;  /* tainted satoshis */
	uint32_t hops;    /* min hops */
	uint64_t value;   /* the output's value / the address's received total */
	uint32_t flags;   /* outref lookups: 1 endpoint (a stop category, not followed), 2 seed */
	uint64_t origin;  /* category sources: cluster id of the tagged entity most of it came from */
};

/* Raw lookups (no JSON; what the benchmark and a hot API path use).
 * Write up to cap exposures (one per materialized heist reaching the
 * subject) and return the count, or -1 with err. */
int tl_screen_lookup_outref(struct tl_screen *sc, uint64_t tx_num, uint32_t vout, struct tl_screen_exp *exp,
                            size_t cap, struct tl_err *err);
int tl_screen_lookup_addr(struct tl_screen *sc, uint64_t addr_id, struct tl_screen_exp *exp, size_t cap,
                          struct tl_err *err);

/* Verdicts as JSON: {subject, risk, score, sanctioned, exposures[{heist,
 * amount_sat, share, hops}], categories[{category, direction (direct |
 * indirect), amount_sat, share, hops, level, score, heist (stolen) or
 * entity (tl_screen_entity)}], reasons[], materialized[{heist, height,
 * seeds_unresolved (only when true: the heist's seeds are not in the
 * index, e.g. rolled back by a reorg, so it has no exposures)}],
 * materialized_categories[{category, height, max_hops, min_sat}], tip,
 * rules_version, screened_at}. "exposures" holds the heists only, as
 * before categories existed.
 * Address: every heist exposure of the address (amount = tainted sum
 * received, share = that / total received). Outpoint: of that output
 * (share = tainted / value). Txid: the worst over its outputs, with
 * per-output detail in "outputs".
 * Errors (NULL returned, err filled): a malformed address or one of
 * another network, an unknown transaction, a vout past its outputs, a
 * store error. An address the index never saw is risk "none". */
/* Leaves the heists for which visible(ctx, id) returns 0 out of the
 * verdicts below (exposures, reasons, materialized), as if they were not
 * registered: how a caller's TLP clearance applies. NULL: every heist.
 * Set per request on a context taken from a pool; clear it before the
 * context goes back. */
void tl_screen_set_filter(struct tl_screen *sc, int (*visible)(void *ctx, const char *heist_id), void *ctx);

/* Whose view of the stored tags gives the subject's tag and the
 * sanctioned rule (tracer/tag_clearance.h; NULL: every tag). Kept until
 * set again. */
void tl_screen_set_clearance(struct tl_screen *sc, const struct tl_clearance *c);

json_t *tl_screen_address(struct tl_screen *sc, const char *address, struct tl_err *err);
json_t *tl_screen_outpoint(struct tl_screen *sc, const uint8_t txid[32], uint32_t vout, struct tl_err *err);
json_t *tl_screen_txid(struct tl_screen *sc, const uint8_t txid[32], struct tl_err *err);

/* The verdict for exposures computed elsewhere (unconfirmed outputs,
 * live/mempool.h), by the same rules; exp[i].value must be set. subject
 * is stolen. Returns a new reference. */
json_t *tl_screen_verdict(struct tl_screen *sc, json_t *subject, const struct tl_screen_exp *exp, int n);

/* Backward walk (taint/walk.h tl_walk_backward) from one output to the
 * seeds of every heist, within max_hops (0 = 6): {outpoint, value_sat,
 * max_hops, sources[{heist, amount_sat, share, hops}]}. NULL with err on
 * error; TL_WALK_TOO_BIG walks (over 200,000 transactions) are errors. */
json_t *tl_screen_backward(struct tl_screen *sc, const uint8_t txid[32], uint32_t vout, uint32_t max_hops,
                           struct tl_err *err);

/* The entity a category exposure names: {label, cluster_id,
 * cluster_size, source, confidence} of cluster cluster_id, from its most
 * confident tag with the TL_TAGCAT_* bit tagbit (source and confidence
 * null when no tag of it is found, the cluster summary's label then).
 * Under a restricted clearance (tl_screen_set_clearance) only visible
 * tags count, and a cluster with no visible tag of the category gives
 * JSON null: callers leave that exposure out, as if the tag did not exist.
 * Returns a new reference, or NULL with err. */
json_t *tl_screen_entity(struct tl_screen *sc, uint64_t cluster_id, uint32_t tagbit, struct tl_err *err);

/* Sets the members every verdict carries on v: tip {height, hash} (the
 * tip the context was opened at: open a context after the store moves,
 * as the server's pool does), rules_version and screened_at (UTC, ISO
 * 8601). Returns 0 or -1. */
int tl_screen_stamp(struct tl_screen *sc, json_t *v, struct tl_err *err);

/* The store of a context. */
struct tl_store *tl_screen_store(struct tl_screen *sc);

/* The rules of a context (read-only). */
const struct tl_screen_rules *tl_screen_rules_of(const struct tl_screen *sc);

/* Destination of funds (Elliptic's destination_of_funds): where the
 * coins an address received went next. A forward haircut walk from
 * every output paid to the address (what returns to its own cluster is
 * followed, not counted), within max_hops (0 =
 * TL_SCREEN_CAT_HOPS) and over at most 100,000 transactions, that stops
 * at tagged entities of the screened categories and at exchanges,
 * bridges and services. Answers the verdict of the address (as
 * tl_screen_address) with "destination_of_funds": [{category, amount_sat,
 * share (of what the address received), hops, level, score, entity}] and
 * the level and score raised by those exposures. NULL with err on bad
 * input, a walk over the limit or a store error. */
json_t *tl_screen_destination(struct tl_screen *sc, const char *address, uint32_t max_hops, struct tl_err *err);

/* Re-screens every stored transfer (store/transfers.h) with the default
 * rules, or the rules the database records (meta "screen.rules"), and
 * marks each whose level rose since it was stored ("raised": {from, to,
 * at}); a raised transfer is marked once per rise. *raised (may be
 * NULL) = transfers marked now. What tag and heist imports call. Returns
 * 0 or -1. */
int tl_screen_transfers_rescreen(struct tl_store *s, uint32_t *raised, struct tl_err *err);

/* "severe", "high", "medium", "low", "none" for 4..0. Static string. */
const char *tl_screen_risk_name(int risk);

#endif
