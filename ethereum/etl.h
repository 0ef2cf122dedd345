/* ethereum-etl exports into the model (model.h): the files written by
 * export_blocks_and_transactions, export_receipts_and_logs,
 * extract_token_transfers, export_traces / extract_geth_traces,
 * export_all (partitioned folders) and the stream exporter (JSON lines
 * whose items carry a "type"), in CSV or JSON lines; BigQuery's public
 * dataset has the same columns. */
#ifndef TL_ETHEREUM_ETL_H
#define TL_ETHEREUM_ETL_H

#include <stddef.h>

#include "base/err.h"
#include "ethereum/model.h"

/* Which table a file holds, from its name: the base name, less an
 * "expected_" prefix, starts with blocks, transactions, receipts, logs,
 * token_transfers, traces or tokens followed by '.' or '_', and ends in
 * .csv or .json. Returns a TL_ETH_HAVE_* bit, or 0 for other files
 * (contracts, geth_traces.json, node responses). */
unsigned tl_eth_etl_table_of(const char *path);

/* Reads one export file into d (appending; call tl_eth_data_finish once
 * everything is read). table is a TL_ETH_HAVE_* bit, or 0 for a stream
 * exporter file whose items say their "type". The file is CSV when its
 * name ends in .csv, JSON lines otherwise. Returns 0, or -1 with
 * "FILE:LINE: what is wrong" in err (d then holds part of the file). */
int tl_eth_etl_read_file(struct tl_eth_data *d, const char *path, unsigned table, struct tl_err *err)
	__attribute__((warn_unused_result));
/* The same for a buffer (fuzzing, tests): name is used in messages and
 * to tell CSV (ends in .csv) from JSON lines. buf[len] must be writable. */
int tl_eth_etl_read_buf(struct tl_eth_data *d, const char *name, char *buf, size_t len, unsigned table,
			struct tl_err *err) __attribute__((warn_unused_result));

/* Reads every export file under dir, recursively, in name order, then
 * tl_eth_data_finish. Returns 0, or -1 with err. d->have says which
 * tables were found (see tl_eth_missing_note). */
int tl_eth_etl_read_dir(struct tl_eth_data *d, const char *dir, struct tl_err *err) __attribute__((warn_unused_result));

/* An export's files grouped by block range, as export_all partitions
 * them: a file belongs to the range in its name (table_START_END.csv) or
 * in its folders (start_block=START/end_block=END). Reading and indexing
 * one part at a time bounds memory by a part's size. */
struct tl_eth_part {
	uint64_t start, end; /* 0, UINT64_MAX for an export without ranges */
	char **paths;        /* owned */
	size_t n;
};
struct tl_eth_parts {
	struct tl_eth_part *v;
	size_t n;
};
/* Lists the export files under dir by part, parts in block order. When
 * any file has no range, everything is one part. Returns 0, or -1 (no
 * export files, an unreadable folder). Free with tl_eth_parts_free. */
int tl_eth_etl_parts(const char *dir, struct tl_eth_parts *out, struct tl_err *err) __attribute__((warn_unused_result));
void tl_eth_parts_free(struct tl_eth_parts *p);
/* Reads one part's files into d, then tl_eth_data_finish. Returns 0 or -1. */
int tl_eth_etl_read_part(struct tl_eth_data *d, const struct tl_eth_part *part, struct tl_err *err)
	__attribute__((warn_unused_result));

/* A sentence about what the absent tables of have mean for the index
 * ("no traces: internal transfers and block rewards are unknown"), into
 * buf; empty when nothing that matters is missing. Returns buf. */
char *tl_eth_missing_note(unsigned have, char *buf, size_t cap);

#endif
