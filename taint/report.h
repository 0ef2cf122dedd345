/* The result of an account-model trace as JSON: the object that
 * `taintline trace` writes on an account chain (docs/tracing.md) and
 * every renderer starts from. Amounts are decimal strings in base units
 * (wei, a token's smallest unit): exact at any size, never floats.
 *
 * The engine knows only dense ids; the caller names them through
 * struct tl_taint_names (addresses, asset names, transaction hashes,
 * tags), so this file knows no chain and no database either. */
#ifndef TL_TAINT_REPORT_H
#define TL_TAINT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "taint/account.h"

struct tl_taint_names {
	void *ctx;
	/* The account's address ("0x..." lower case) into buf[cap]. Returns
	 * 0, or -1 with err (a database error, an unknown id). */
	int (*account)(void *ctx, uint64_t acct, char *buf, size_t cap, struct tl_err *err);
	/* The asset's name: "ETH" or the token contract, lower case. */
	int (*asset)(void *ctx, uint32_t asset, char *buf, size_t cap, struct tl_err *err);
	/* The transaction's hash ("0x" + 64 hex) for a tx number. */
	int (*tx)(void *ctx, uint64_t tx, char *buf, size_t cap, struct tl_err *err);
	/* The tag of an endpoint's account as a JSON object ({label, category,
	 * source, ...}; new reference), or NULL for none. May be NULL. */
	json_t *(*tag)(void *ctx, uint64_t acct, uint32_t cats);
	/* The asset's symbol (into symbol[cap], "" if unknown) and decimals
	 * (-1 if unknown), for people: the HTML report shows amounts in
	 * units. Returns 0 or -1 with err. May be NULL (no "assets" key). */
	int (*asset_info)(void *ctx, uint32_t asset, char *symbol, size_t cap, int *decimals, struct tl_err *err);
};

/** Builds the trace object:
 *   {tip, chain, policy, params {max_hops, min_amount, ...extra},
 *    seeds, totals {ASSET: {seeded, endpoints, holdings, fees, cut,
 *    cut_dust, cut_hops, converted_in, converted_out, unknown_prior}},
 *    assets {ASSET: {symbol, decimals}} (when names->asset_info is set),
 *    stats {transactions, transfers, conversions},
 *    endpoints [{chain, address, asset, amount, tx, hops, height, time,
 *    tag, from}], holdings [{address, asset, amount, balance, hops}],
 *    graph {nodes [{id, kind, category?}], edges [{from, to, asset,
 *    amount, transfers, kind}]}}.
 *  A burn's endpoint has address null and kind "burn". Totals list every
 *  asset with a nonzero figure.
 *
 *  Returns: a new reference, or NULL with err set (a naming callback failed).
 *  Args:    names: names the engine's ids; err: receives the message.
 *  In:      r: the result; p: the params the engine ran with; chain
 *           ("ethereum"); tip, params_extra, seeds: new references the
 *           object takes over (params_extra's keys are merged into
 *           params; any may be NULL).
 */
json_t *tl_taint_json(const struct tl_taint_result *r, const struct tl_taint_params *p, const char *chain,
                      json_t *tip, json_t *params_extra, json_t *seeds, const struct tl_taint_names *names,
                      struct tl_err *err) __attribute__((warn_unused_result));

/** Renderers over an object of tl_taint_json.
 *
 *  Returns: 0 on success; -1 with err set when the object lacks a field
 *           it needs.
 *  Args:    err: receives the message.
 *  In:      trace: an object of tl_taint_json (not consumed).
 *  Out:     buf: malloc'd, NUL-terminated, the caller frees; len: its length.
 *
 *   csv: one line per graph edge: from,to,asset,amount,transfers (a
 *        header first; amounts in base units);
 *   dot: a Graphviz digraph of the flows, endpoint accounts boxed and
 *        labelled with their category, edges labelled with the amount in
 *        base units and the asset. */
int tl_taint_report_csv(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
	__attribute__((warn_unused_result));
int tl_taint_report_dot(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
	__attribute__((warn_unused_result));
/*   html: one self-contained page (inline CSS; nothing fetched): the
 *         parameters, totals per asset, endpoints, holdings and flows,
 *         amounts in the asset's units (ETH, a token's decimals) written
 *         exactly from the base-unit strings, base units beside them. */
int tl_taint_report_html(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
	__attribute__((warn_unused_result));
/*   text: a summary: the heist, the policy, totals per asset and the
 *         endpoints summed by tag (label, category) and asset, in the
 *         asset's units, exactly. */
int tl_taint_report_text(const json_t *trace, char **buf, size_t *len, struct tl_err *err)
	__attribute__((warn_unused_result));
/** Writes the base-unit decimal string dec in units of 10^decimals,
 *  exactly ("1500000000000000000", 18 -> "1.5"); decimals <= 0 copies dec.
 *
 *  Returns: out.
 *  In:      dec: decimal digits; decimals: the asset's decimals.
 *  Out:     out: holds at least strlen(dec) + decimals + 3 bytes.
 */
char *tl_taint_units(const char *dec, int decimals, char *out);

/** Returns: the decimal string of a 256-bit amount as a JSON string (new
 *  reference).
 */
json_t *tl_taint_json_amount(const tl_uint256 *a);

#endif
