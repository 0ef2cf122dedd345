#include "store/coinjoin.h"

#include <stdlib.h>

#include "bitcoin/script.h"

/* Outputs at or under this are dust or fee-like and not mixing amounts. */
#define DUST_MAX 2730u

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

const char *tl_coinjoin_kind_name(int kind)
{
	switch (kind) {
	case TL_CJ_NONE: return "none";
	case TL_CJ_WHIRLPOOL: return "whirlpool";
	case TL_CJ_WASABI: return "wasabi";
	case TL_CJ_JOINMARKET: return "joinmarket";
	default: return "unknown";
	}
}


int tl_coinjoin_detect(const struct tl_tx_rec *r)
{
	if (r->flags & TL_TX_COINBASE || r->n_in < 2 || r->n_out < 3) return TL_CJ_NONE;
	/* None of the coordinators writes OP_RETURN into a mix, but a
	 * Whirlpool tx0 (one wallet splitting into premix outputs) does: it
	 * is the wallet's own transaction, not a mix. */
	for (uint32_t o = 0; o < r->n_out; o++)
		if (r->out[o].script_type == TL_SCRIPT_NULLDATA) return TL_CJ_NONE;
	uint64_t stackv[64], *v = r->n_out <= 64 ? stackv : malloc(r->n_out * sizeof *v);
	uint64_t owners_stack[64], *own = r->n_in <= 64 ? owners_stack : malloc(r->n_in * sizeof *own);
	if (!v || !own) abort();
	uint32_t nv = 0, no = 0, n_all_equal = 1;
	for (uint32_t o = 0; o < r->n_out; o++) {
		if (r->out[o].value != r->out[0].value) n_all_equal = 0;
		if (r->out[o].value <= DUST_MAX) continue;
		v[nv++] = r->out[o].value;
	}
	for (uint32_t i = 0; i < r->n_in; i++)
		if (r->in[i].kind == TL_IN_KNOWN && r->in[i].addr_id) own[no++] = r->in[i].addr_id;
	qsort(v, nv, sizeof *v, cmp_u64);
	qsort(own, no, sizeof *own, cmp_u64);
	uint32_t owners = 0;
	for (uint32_t i = 0; i < no; i++)
		if (i == 0 || own[i] != own[i - 1]) owners++;
	/* most common value, ties -> the larger value */
	uint32_t k = 0;
	for (uint32_t i = 0; i < nv;) {
		uint32_t j = i;
		while (j < nv && v[j] == v[i]) j++;
		if (j - i >= k) k = j - i;
		i = j;
	}
	uint32_t others = nv - k;
	int kind = TL_CJ_NONE;
	if (r->n_in == r->n_out && r->n_in >= 5 && r->n_in <= 8 && n_all_equal && k == r->n_out && owners >= 2)
		kind = TL_CJ_WHIRLPOOL;
	else if (r->n_in >= 10 && k >= 3 && others <= r->n_in + 1 && owners >= 2)
		kind = TL_CJ_WASABI;
	else if (k >= 3 && others <= k && r->n_in >= k && owners >= 2)
		kind = TL_CJ_JOINMARKET;
	if (v != stackv) free(v);
	if (own != owners_stack) free(own);
	return kind;
}

