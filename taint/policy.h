/* Taint policies: how the taint on a transaction's inputs passes to its
 * outputs and fee. Pure functions on arrays of integer satoshis; no graph,
 * no I/O. docs/policies.md explains each policy and when to use it.
 *
 * Notation for one transaction: input values in[0..n_in-1] with total V,
 * tainted amounts t[i] <= in[i] with total T, output values v[0..n_out-1]
 * with total O <= V, fee f = V - O.
 *
 *   poison  : T > 0 -> every output tainted in full, the fee too.
 *   haircut : output j gets floor(v[j] * T / V) (exact 128-bit product);
 *             the fee gets T minus what the outputs got (the rounding
 *             remainder included, so it may exceed f by < n_out sat).
 *   fifo    : inputs laid end to end as satoshi ranges, outputs end to end
 *             followed by the fee; taint follows position (tl_policy_fifo).
 *   tiho    : T goes to the outputs in decreasing order of value (ties:
 *             lower index first), each taking min(remaining, v[j]); the
 *             rest to the fee.
 *
 * Except for poison, taint is conserved exactly: sum(out_taint) + fee_taint
 * == T. */
#ifndef TL_TAINT_POLICY_H
#define TL_TAINT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "taint/interval.h"

enum tl_policy {
	TL_POLICY_POISON = 0,
	TL_POLICY_HAIRCUT,
	TL_POLICY_FIFO,
	TL_POLICY_TIHO,
	TL_POLICY_COUNT
};

/** Returns: the lower-case name ("poison", "haircut", "fifo", "tiho") as
 *  a static string; "?" if out of range.
 */
const char *tl_policy_name(enum tl_policy p);

/** Parses a policy name (case-insensitive).
 *
 *  Returns: 0 on success; -1 with err set ("unknown policy 'x' (expected
 *           poison, haircut, fifo, tiho)").
 *  Args:    err: receives the message; may be NULL.
 *  In:      name: NUL-terminated.
 *  Out:     out: the policy (written only on success).
 */
int tl_policy_parse(const char *name, enum tl_policy *out, struct tl_err *err)
	__attribute__((warn_unused_result));

/** Applies poison, haircut or tiho to one transaction.
 *
 *  Returns: 0 on success; -1 with err set (and outputs unspecified) when a
 *           taint exceeds its input, the sums overflow 64 bits, the
 *           outputs exceed the inputs, or p is TL_POLICY_FIFO (which needs
 *           interval sets: use tl_policy_fifo) or unknown.
 *  Args:    err: receives the message; may be NULL.
 *  In:      p: the policy; in_val[n_in], in_taint[n_in] (in_taint[i] <=
 *           in_val[i]); out_val[n_out]. Arrays may be NULL when their
 *           count is 0.
 *  Out:     out_taint[n_out]; fee_taint.
 */
int tl_policy_apply(enum tl_policy p, const uint64_t *in_val, const uint64_t *in_taint, size_t n_in,
                    const uint64_t *out_val, size_t n_out, uint64_t *out_taint, uint64_t *fee_taint,
                    struct tl_err *err) __attribute__((warn_unused_result));

/** FIFO with exact interval sets.
 *
 *  Returns: 0 on success; -1 with err set when a set is malformed or
 *           reaches past its input, sums overflow, or outputs exceed inputs.
 *  Args:    err: receives the message; may be NULL.
 *  In:      in_val[n_in]; in_sets[n_in]: the tainted ranges of each input,
 *           positions within that input (in_sets may be NULL when n_in is
 *           0; a set may be empty); out_val[n_out].
 *  Out:     out_sets[n_out]: initialised sets, cleared then filled with the
 *           tainted ranges of each output relative to the output's start
 *           (the caller owns and frees them); out_taint[n_out]: each set's
 *           total (may be NULL); fee_taint: tainted satoshis in the fee.
 */
int tl_policy_fifo(const uint64_t *in_val, const struct tl_ivset *in_sets, size_t n_in,
                   const uint64_t *out_val, size_t n_out, struct tl_ivset *out_sets,
                   uint64_t *out_taint, uint64_t *fee_taint, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
