/* index --rpc, the node half of `taintline index` (cli/cmd_index.c parses
 * the options, runs, reports and updates screening for both sources). */
#ifndef TL_CLI_INDEX_RPC_H
#define TL_CLI_INDEX_RPC_H

#include <stdio.h>

#include "base/err.h"
#include "indexer/indexer.h"

/* The node and how to reach it. */
struct index_rpc_args {
	const char *url, *cookie_file, *user, *password;
	int max_attempts; /* tries per call (0 = forever) */
};

/* The usage text of index --rpc. */
void index_rpc_usage(FILE *f);

#define INDEX_RPC_REPORT 512

/** Fetches the node's best chain into o->blocks_dir (o->db_path.blocks
 *  when NULL) and indexes it into o->db_path with o's options, callbacks
 *  and stop flag.
 *
 *  Returns: 0 with *st and report, or -1 with err.
 *  In:      a: the node; o: the index options.
 *  Out:     *st: the index runs' statistics, summed; report: one line
 *           (no newline) saying what was fetched.
 */
int index_rpc_run(const struct index_rpc_args *a, const struct tl_index_opts *o, struct tl_index_stats *st,
                  char report[INDEX_RPC_REPORT], struct tl_err *err) __attribute__((warn_unused_result));

#endif
