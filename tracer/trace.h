/* Traces on the store: resolving seeds (a registered heist, txids,
 * outpoints, an address over a time window), running the forward walk of
 * taint/walk.h over tracer/storegraph.h, and the result as a JSON object
 * that names everything needed to reproduce it (database tip, policy,
 * parameters, seeds). Renderers turn that JSON into CSV (the flow edges),
 * Graphviz DOT and a self-contained HTML page. docs/tracing.md describes
 * the command and every field.
 *
 * Memory: json_t results are new references owned by the caller
 * (json_decref). Renderer buffers are malloc'd, NUL-terminated, owned by
 * the caller. */
#ifndef TL_TRACER_TRACE_H
#define TL_TRACER_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "intel/registry.h"
#include "tracer/storegraph.h"
#include "taint/walk.h"

/* Defaults of the trace command (0 means no limit for both). */
#define TL_TRACE_DEFAULT_MAX_HOPS 50u
#define TL_TRACE_DEFAULT_MIN_SAT 0u

/* Resolved seeds plus a JSON description of where they came from. */
struct tl_trace_seeds {
	struct tl_seed *v; /* malloc'd */
	size_t n, cap;
	json_t *desc;      /* array of seed specifications (owned) */
	/* Heists the seeds came from: id -> what their definition says
	 * (name, date, attribution, sources; owned; NULL until a heist is
	 * added). tl_trace_run prefers the database's stored definition. */
	json_t *heists;
};

/* Zeroes *s (call before the first add). */
void tl_trace_seeds_init(struct tl_trace_seeds *s);
/* Frees the arrays and the description; *s is zeroed. */
void tl_trace_seeds_free(struct tl_trace_seeds *s);

/* Parses "TXID" or "TXID:VOUT" (64 hex digits in display order, vout a
 * decimal below 2^32). Out: txid (hash order), *vout (TL_SEED_WHOLE_TX
 * when absent). Returns 0, or -1 with err ("bad outpoint 'x': ..."). */
int tl_trace_parse_outpoint(const char *spec, uint8_t txid[32], uint32_t *vout, struct tl_err *err);

/* Parses "YYYY-MM-DD" (UTC). end_of_day: the last second of that day.
 * Returns 0 and *t (Unix seconds), or -1 with err. */
int tl_trace_parse_date(const char *s, int end_of_day, int64_t *t, struct tl_err *err);

/* The height of the last block whose time is <= t (block times are not
 * monotonic; this uses the median-time-past order by binary search on
 * the block records and is exact for chains with increasing times).
 * Returns 1 with *height, 0 if every block is later than t, -1 on error. */
int tl_trace_height_at(struct tl_store *s, int64_t t, uint32_t *height, struct tl_err *err);

/* Adds seeds from "TXID[:VOUT]" (whole transaction without vout).
 * Errors: bad syntax, unknown transaction, vout past the outputs.
 * Returns 0 or -1 with err. */
int tl_trace_seeds_add_outpoint(struct tl_storegraph *sg, const char *spec, struct tl_trace_seeds *s,
                                struct tl_err *err);

/* Adds every output paid to address in blocks with from <= time <= to
 * (Unix seconds; INT64_MIN / INT64_MAX for an open end), found through
 * the address history. Errors: malformed address or one of another
 * network ("wrong network: ..."), an address the index never saw or
 * that received nothing in the window. Returns 0 or -1 with err. */
int tl_trace_seeds_add_address(struct tl_storegraph *sg, const char *address, int64_t from, int64_t to,
                               struct tl_trace_seeds *s, struct tl_err *err);

/* Adds every seed of a registered heist (its chain must be the store's
 * network; seeds not in the index are an error naming them).
 * Returns 0 or -1 with err. */
int tl_trace_seeds_add_heist(struct tl_storegraph *sg, const struct tl_heist *h, struct tl_trace_seeds *s,
                             struct tl_err *err);

/* Runs a forward walk from seeds (n >= 1) with params p (NULL = the
 * walk defaults) and builds the result object: tip {height, hash},
 * policy, params, seeds, totals, visited, endpoints, holdings, mixers,
 * peel_chains, consolidations, graph {nodes, edges}, and provenance
 * {software, generated_at, network, tip, heists [{id, name, date, chain,
 * actor, attribution {authority, document, url}, sources, amounts,
 * definition ("database" or "registry file"), definition_sha256}]}.
 * Each endpoint's tag names the stored tag behind its label: source,
 * confidence and the address the tag is on (source null for a tag given
 * to this trace only, e.g. trace --tags). Everything but
 * provenance.generated_at is a function of the database and the inputs.
 * Out: *out (new reference) on success.
 * Returns 0; TL_WALK_TOO_BIG when p->max_tx was exceeded; TL_WALK_MEMORY
 * when p->max_mem was reached;
 * TL_WALK_TIMEOUT when p->deadline_ms passed or p->cancel said stop (err:
 * "trace stopped by its time limit after N transactions"); -1 with err. */
int tl_trace_run(struct tl_storegraph *sg, const struct tl_trace_seeds *seeds, const struct tl_walk_params *p,
                 json_t **out, struct tl_err *err);

/* "taintline X.Y.Z": the software version a result names. Static. */
const char *tl_trace_software(void);

/* Category name of TL_CAT_* flags: the first of exchange, bridge, service,
 * mixer, sanctioned that is set, or "" for 0. Static string. */
const char *tl_trace_cat_name(uint32_t cats);

/* Renderers over a result of tl_trace_run. Each returns 0 with *buf
 * (malloc'd, NUL-terminated) and *len, or -1 with err when the object
 * lacks the fields it needs.
 *   csv : one line per graph edge: from,to,amount_sat,kind (header first);
 *   dot : a Graphviz digraph of the flow, endpoints boxed by category;
 *   html: one self-contained page (inline CSS, SVG and script; nothing
 *         fetched) with the summary, endpoints by exchange, peel chains
 *         and the flow graph laid out in layers by depth. */
int tl_report_csv(const json_t *trace, char **buf, size_t *len, struct tl_err *err);
int tl_report_dot(const json_t *trace, char **buf, size_t *len, struct tl_err *err);
int tl_report_html(const json_t *trace, char **buf, size_t *len, struct tl_err *err);
/* A short summary for a person: totals, endpoints grouped by receiving
 * entity (largest first), peel chains and mixer entries. */
int tl_report_text(const json_t *trace, char **buf, size_t *len, struct tl_err *err);
/* JSON text (indented, keys in order). */
int tl_report_json(const json_t *trace, char **buf, size_t *len, struct tl_err *err);

#endif
