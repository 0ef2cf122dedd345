/* Exports of a trace for partners: a STIX 2.1 bundle and a MISP event,
 * both marked with a TLP 2.0 level. Each is a pure function of the trace
 * result (tl_trace_run's object) and the options: ids are name-based
 * UUIDs and every timestamp is the trace's generated_at, so the same
 * trace gives the same export (docs/sharing.md lists every object).
 * Memory: results are new references owned by the caller. */
#ifndef TL_REPORT_EXPORT_H
#define TL_REPORT_EXPORT_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "report/tlp.h"

struct tl_export_opts {
	enum tl_tlp tlp;
	const char *producer; /* the organisation's name (NULL: "taintline") */
};

/* The STIX 2.1 bundle of a trace. Returns 0 with *out, or -1 with err
 * when the trace lacks what the bundle needs. */
int tl_stix_export(const json_t *trace, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
        __attribute__((warn_unused_result));

/* How a btc-transaction object of the theft itself starts its comment,
 * followed by "; every output" or "; output N" per stolen output. */
#define TL_MISP_SEED_MARK "seed of the trace (stolen funds)"

/* The MISP event (MISP's JSON: {"Event": {...}}) of a trace. Returns 0
 * with *out, or -1 with err. */
int tl_misp_export(const json_t *trace, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
        __attribute__((warn_unused_result));

/* Checks that every id named by a "*_ref" or "*_refs" member anywhere in
 * the bundle's objects (nested ones too) is the id of an object of the
 * bundle, and that ids are unique. Returns 1 if so; 0 with reason
 * naming the first dangling reference or duplicate. */
int tl_stix_refs_resolve(const json_t *bundle, char *reason, size_t cap);

/* "ddd.dddddddd": satoshis as BTC with 8 decimals, exactly. out: 32 bytes. */
void tl_sat_to_btc(unsigned long long sat, char out[32]);

#endif
