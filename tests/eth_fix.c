/* Ethereum test helpers (see eth_fix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ethereum/rpc.h"
#include "tests/eth_fix.h"
#include "tests/testutil.h"

void ef_etl(struct tl_eth_data *d, const char *rel)
{
	struct tl_err err;
	const char *p = tu_shared_path(rel);
	if (tl_eth_etl_read_file(d, p, tl_eth_etl_table_of(p), &err) < 0) fail_msg("%s", err.msg);
}

void ef_rpc(struct tl_eth_data *d, const char *rel, const char *method, uint64_t block)
{
	struct tl_err err;
	size_t len;
	char *text = (char *)tu_read_file(tu_shared_path(rel), &len);
	json_t *r = tl_eth_rpc_result(text, len, -1, &err);
	free(text);
	if (!r) fail_msg("%s: %s", rel, err.msg);
	int rc;
	if (!strcmp(method, "block")) rc = tl_eth_rpc_block(d, r, &err);
	else if (!strcmp(method, "receipts")) rc = tl_eth_rpc_receipts(d, r, &err);
	else if (!strcmp(method, "logs")) rc = tl_eth_rpc_logs(d, r, &err);
	else if (!strcmp(method, "trace_block")) rc = tl_eth_rpc_trace_block(d, r, &err);
	else rc = tl_eth_rpc_call_tracer(d, block, r, &err);
	json_decref(r);
	if (rc < 0) fail_msg("%s: %s", rel, err.msg);
}

void ef_finish(struct tl_eth_data *d)
{
	struct tl_err err;
	if (tl_eth_data_finish(d, &err) < 0) fail_msg("%s", err.msg);
}

#define SAME_VEC(name)                                                                                    \
	do {                                                                                              \
		if (a->n_##name != b->n_##name) fail_msg(#name ": %zu rows vs %zu", a->n_##name, b->n_##name); \
		for (size_t i = 0; i < a->n_##name; i++)                                                  \
			if (memcmp(&a->name[i], &b->name[i], sizeof a->name[i])) fail_msg(#name " row %zu differs", i); \
	} while (0)

void ef_same_tables(const struct tl_eth_data *a, const struct tl_eth_data *b)
{
	SAME_VEC(blocks);
	SAME_VEC(wds);
	SAME_VEC(txs);
	SAME_VEC(rcpts);
	SAME_VEC(logs);
	SAME_VEC(toktx);
	if (a->n_traces != b->n_traces) fail_msg("traces: %zu rows vs %zu", a->n_traces, b->n_traces);
	for (size_t i = 0; i < a->n_traces; i++) {
		const struct tl_eth_trace *x = &a->traces[i], *y = &b->traces[i];
		if (x->block != y->block || x->tx_index != y->tx_index || x->type != y->type || x->call_type != y->call_type ||
		    x->has_from != y->has_from || x->has_to != y->has_to || x->error != y->error ||
		    (x->has_from && memcmp(x->from, y->from, 20)) || (x->has_to && memcmp(x->to, y->to, 20)) ||
		    tl_uint256_cmp(&x->value, &y->value) || x->depth != y->depth ||
		    (x->depth && memcmp(x->addr, y->addr, x->depth * sizeof *x->addr)))
			fail_msg("trace %zu differs (block %llu tx %u)", i, (unsigned long long)x->block, x->tx_index);
	}
}

void ef_derive(const struct tl_eth_data *d, struct tl_eth_transfers *t)
{
	struct tl_err err;
	if (tl_eth_derive(d, TL_ETH_WETH_MAINNET, t, &err) < 0) fail_msg("%s", err.msg);
}

void ef_same_transfers(const struct tl_eth_transfers *a, const struct tl_eth_transfers *b)
{
	if (a->n != b->n) fail_msg("%zu transfers vs %zu", a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->v[i], &b->v[i], sizeof a->v[i])) fail_msg("transfer %zu differs", i);
}
