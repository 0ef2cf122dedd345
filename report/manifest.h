/* The manifest of a signed report: everything needed to say what a trace
 * was computed from and to compute it again (database tip, software,
 * policy and parameters, seeds, the heist definitions and tag sources
 * behind it, with their SHA-256), and the recomputation itself.
 *
 * Manifest members (docs/sharing.md):
 *   kind ("trace", "stix" or "misp"), software, network, tip {height,
 *   hash}, policy, params, seeds (the trace's seed descriptions),
 *   generated_at, registry [{id, definition, definition_sha256}],
 *   tag_sources [{source, tags, sha256}] (null sha256 without a database),
 *   and for exports tlp and producer.
 * Memory: json_t results are new references owned by the caller. */
#ifndef TL_REPORT_MANIFEST_H
#define TL_REPORT_MANIFEST_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "tracer/storegraph.h"

/* SHA-256 over every stored tag record of one source, in key order
 * (each record framed as u32 key length, key, u32 value length, value),
 * and how many there are. hex: 65 bytes. Returns 0 or -1 with err. */
int tl_tag_source_digest(struct tl_store *st, const char *source, char hex[65], size_t *count,
                         struct tl_err *err) __attribute__((warn_unused_result));

/* The manifest of a trace result (tl_trace_run's object). st: the
 * database it came from, for the tag source digests (NULL: digests
 * null). kind: "trace", "stix" or "misp". Returns 0 with *out or -1. */
int tl_manifest_from_trace(struct tl_store *st, const json_t *trace, const char *kind, json_t **out,
                           struct tl_err *err) __attribute__((warn_unused_result));

/* Runs the trace a manifest describes again on sg's database: checks
 * that the database is at the manifest's tip and that the heist
 * definitions and tag sources still have the recorded digests, then
 * rebuilds the seeds and parameters and runs it; the result's
 * generated_at is set to the manifest's so that it can be compared.
 * Returns 1 with *out; 0 with reason when the database cannot
 * reproduce it (another tip, a changed definition or tag source);
 * -1 with err. */
int tl_manifest_retrace(struct tl_storegraph *sg, const json_t *manifest, json_t **out, char *reason,
                        size_t cap, struct tl_err *err);

/* The path of the first difference between two JSON values
 * ("endpoints[3].amount_sat: 1200 here, 1300 recomputed"), or "" when
 * they are equal. */
void tl_json_first_diff(const json_t *a, const json_t *b, char *out, size_t cap);

#endif
