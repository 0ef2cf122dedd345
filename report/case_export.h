/* A case of the web app (store/cases.h) as a partner gets it: its
 * wallets and transactions, the flows between them with their amounts,
 * and its notes, as a STIX 2.1 bundle (a report describing the case, a
 * note with its notes) or a MISP event (btc-wallet and btc-transaction
 * objects, the notes as a comment), marked at the case's TLP level or a
 * stricter one and optionally signed. The pipeline behind `taintline
 * export --case` and GET /v1/export?case=ID.
 *
 * A case is the investigator's saved graph: its metadata {name, tlp,
 * notes, author, created, updated} and its graph {heist, policy,
 * snapshot {nodes [{data {id, kind "tx"|"address", ref}}], edges [{data
 * {source, target, amount}}]}}. Nodes of other kinds (groups), refs that
 * are not a txid or an address, and edges between nodes left out are
 * skipped and counted; amounts are kept only when they are exact
 * non-negative integers (satoshis).
 * Memory: results are new references owned by the caller. */
#ifndef TL_REPORT_CASE_EXPORT_H
#define TL_REPORT_CASE_EXPORT_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "report/export.h"
#include "store/store.h"
#include "store/tlp.h"

/* The case in one normalized object: {id, name, notes, author, tlp,
 * updated, heist (or null), addresses [..], txs [..], flows [{from, to,
 * amount_sat?}] (from/to: "tx:TXID" or "address:ADDR"), skipped}. meta
 * and graph as stored (graph may be NULL). Returns 0 with *out, or -1
 * with err (metadata that is not a case's). */
int tl_case_normalize(uint64_t id, const json_t *meta, const json_t *graph, json_t **out, struct tl_err *err)
        __attribute__((warn_unused_result));

/* The STIX 2.1 bundle and the MISP event of a normalized case (o->tlp is
 * the export's level; not checked against the case's here). Return 0
 * with *out, or -1 with err. */
int tl_stix_export_case(const json_t *c, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
        __attribute__((warn_unused_result));
int tl_misp_export_case(const json_t *c, const struct tl_export_opts *o, json_t **out, struct tl_err *err)
        __attribute__((warn_unused_result));

struct tl_share_case_opts {
	const char *format;          /* "stix" or "misp" */
	enum tl_tlp tlp;             /* the export's level */
	const char *producer;        /* NULL: "taintline" */
	const uint8_t *sign_key;     /* 32-byte secret, or NULL: unsigned */
	const struct tl_clearance *c; /* the caller's (NULL: the operator) */
};

/* Exports case id of st. Returns 0 with *out; 0 with *out NULL when the
 * case does not exist or lies above o->c (the same answer: as if it did
 * not exist); -1 with err when the case is marked narrower than o->tlp
 * (a case cannot go out to a wider audience than its own level), is
 * stored damaged, or on a read error. */
int tl_share_case(struct tl_store *st, uint64_t id, const struct tl_share_case_opts *o, json_t **out,
                  struct tl_err *err) __attribute__((warn_unused_result));

#endif
