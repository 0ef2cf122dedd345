#include "taint/policy.h"

#include <stdlib.h>
#include <strings.h>

static const char *const names[TL_POLICY_COUNT] = {"poison", "haircut", "fifo", "tiho"};

const char *tl_policy_name(enum tl_policy p)
{
	return (unsigned)p < TL_POLICY_COUNT ? names[p] : "?";
}

int tl_policy_parse(const char *name, enum tl_policy *out, struct tl_err *err)
{
	if (!name) return tl_err_set(err, "no policy given (expected poison, haircut, fifo, tiho)");
	for (int i = 0; i < TL_POLICY_COUNT; i++)
		if (!strcasecmp(name, names[i])) {
			*out = (enum tl_policy)i;
			return 0;
		}
	return tl_err_set(err, "unknown policy '%.64s' (expected poison, haircut, fifo, tiho)", name);
}

/* Sums with an overflow check. */
static int sum64(const uint64_t *a, size_t n, uint64_t *out, const char *what, struct tl_err *err)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		if (__builtin_add_overflow(s, a[i], &s))
			return tl_err_set(err, "%s values overflow 64 bits", what);
	*out = s;
	return 0;
}

int tl_policy_apply(enum tl_policy p, const uint64_t *in_val, const uint64_t *in_taint, size_t n_in,
                    const uint64_t *out_val, size_t n_out, uint64_t *out_taint, uint64_t *fee_taint,
                    struct tl_err *err)
{
	uint64_t V = 0, T = 0, O = 0;
	if (p == TL_POLICY_FIFO) return tl_err_set(err, "fifo needs interval sets (tl_policy_fifo)");
	if ((unsigned)p >= TL_POLICY_COUNT) return tl_err_set(err, "unknown policy %d", (int)p);
	for (size_t i = 0; i < n_in; i++)
		if (in_taint[i] > in_val[i])
			return tl_err_set(err, "input %zu: taint %llu exceeds its value %llu", i,
			                  (unsigned long long)in_taint[i], (unsigned long long)in_val[i]);
	if (sum64(in_val, n_in, &V, "input", err) || sum64(in_taint, n_in, &T, "taint", err) ||
	    sum64(out_val, n_out, &O, "output", err))
		return -1;
	if (O > V)
		return tl_err_set(err, "outputs %llu exceed inputs %llu", (unsigned long long)O,
		                  (unsigned long long)V);
	uint64_t fee = V - O;
	if (T == 0) {
		for (size_t j = 0; j < n_out; j++) out_taint[j] = 0;
		*fee_taint = 0;
		return 0;
	}
	switch (p) {
	case TL_POLICY_POISON:
		for (size_t j = 0; j < n_out; j++) out_taint[j] = out_val[j];
		*fee_taint = fee;
		return 0;
	case TL_POLICY_HAIRCUT: {
		/* T > 0 implies V > 0. */
		uint64_t given = 0;
		for (size_t j = 0; j < n_out; j++) {
			out_taint[j] = (uint64_t)((unsigned __int128)out_val[j] * T / V);
			given += out_taint[j];
		}
		*fee_taint = T - given; /* given <= T*O/V <= T */
		return 0;
	}
	case TL_POLICY_TIHO: {
		/* Order outputs by value descending, index ascending on ties,
		 * with a stable bottom-up merge sort of the indices (O(n log n)
		 * on big fan-outs; qsort is not stable). */
		size_t *ord = NULL;
		if (n_out) {
			ord = malloc(n_out * sizeof *ord);
			if (!ord) abort();
		}
		for (size_t j = 0; j < n_out; j++) ord[j] = j;
		size_t *tmp = n_out ? malloc(n_out * sizeof *tmp) : NULL;
		if (n_out && !tmp) abort();
		for (size_t w = 1; w < n_out; w *= 2) {
			for (size_t lo = 0; lo < n_out; lo += 2 * w) {
				size_t mid = lo + w < n_out ? lo + w : n_out;
				size_t hi = lo + 2 * w < n_out ? lo + 2 * w : n_out;
				size_t a = lo, b = mid, k = lo;
				while (a < mid && b < hi) {
					/* stable: take from the left run unless the right
					 * one is strictly larger */
					if (out_val[ord[b]] > out_val[ord[a]]) tmp[k++] = ord[b++];
					else tmp[k++] = ord[a++];
				}
				while (a < mid) tmp[k++] = ord[a++];
				while (b < hi) tmp[k++] = ord[b++];
			}
			size_t *sw = ord;
			ord = tmp;
			tmp = sw;
		}
		uint64_t rem = T;
		for (size_t k = 0; k < n_out; k++) {
			size_t j = ord[k];
			uint64_t take = out_val[j] < rem ? out_val[j] : rem;
			out_taint[j] = take;
			rem -= take;
		}
		*fee_taint = rem;
		free(ord);
		free(tmp);
		return 0;
	}
	default:
		return tl_err_set(err, "unknown policy %d", (int)p);
	}
}

int tl_policy_fifo(const uint64_t *in_val, const struct tl_ivset *in_sets, size_t n_in,
                   const uint64_t *out_val, size_t n_out, struct tl_ivset *out_sets,
                   uint64_t *out_taint, uint64_t *fee_taint, struct tl_err *err)
{
	uint64_t V = 0, O = 0;
	if (sum64(in_val, n_in, &V, "input", err) || sum64(out_val, n_out, &O, "output", err)) return -1;
	if (O > V)
		return tl_err_set(err, "outputs %llu exceed inputs %llu", (unsigned long long)O,
		                  (unsigned long long)V);
	for (size_t i = 0; i < n_in; i++)
		if (tl_ivset_check(&in_sets[i], in_val[i], err))
			return tl_err_prefix(err, "input %zu: ", i);
	for (size_t j = 0; j < n_out; j++) {
		tl_ivset_clear(&out_sets[j]);
		if (out_taint) out_taint[j] = 0;
	}
	/* Sweep the absolute tainted ranges (increasing, since inputs are in
	 * order and each set is sorted) against the output slots
	 * [start_j, start_j + v_j), then the fee slot [O, V). */
	size_t j = 0;
	uint64_t start = 0; /* absolute start of output j (O once j == n_out) */
	uint64_t base = 0;  /* absolute start of input i */
	uint64_t fee = 0;
	for (size_t i = 0; i < n_in; base += in_val[i], i++) {
		const struct tl_ivset *s = &in_sets[i];
		for (uint32_t k = 0; k < s->n; k++) {
			uint64_t lo = base + s->v[k].lo, hi = base + s->v[k].hi;
			while (lo < hi) {
				/* skip outputs ending at or before lo (zero-value
				 * ones included) */
				while (j < n_out && start + out_val[j] <= lo) start += out_val[j++];
				if (j == n_out) { /* the fee */
					fee += hi - lo;
					break;
				}
				uint64_t end = start + out_val[j];
				uint64_t piece = hi < end ? hi : end;
				tl_ivset_add(&out_sets[j], lo - start, piece - start);
				if (out_taint) out_taint[j] += piece - lo;
				lo = piece;
			}
		}
	}
	*fee_taint = fee;
	return 0;
}
