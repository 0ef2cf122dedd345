/* taintline index --rpc: a Bitcoin Core node over JSON-RPC -> taintline's
 * blocks directory -> database (live/index_rpc.h). The options, the
 * index report and the screening update are index's (cli/cmd_index.c). */
#include <stdlib.h>

#include "cli/index_rpc.h"
#include "live/fetch.h"
#include "live/index_rpc.h"
#include "live/rpc.h"

void index_rpc_usage(FILE *f)
{
	fprintf(f, "usage: taintline index --rpc URL (--rpc-cookie FILE | --rpc-user U --rpc-password P)\n"
		   "                       --db DB [--blocks-dir DIR] [OPTIONS]\n"
		   "  Fetches the best chain of a Bitcoin Core node (getblockhash, getblock HASH 0)\n"
		   "  into taintline's own blocks directory, in Core's blk format, and indexes it\n"
		   "  into DB. Run it again to fetch and index new blocks; a reorg on the node is\n"
		   "  found with getblockheader and rolled back with the kept undo data.\n"
		   "  --rpc URL          the node's RPC address, e.g. http://127.0.0.1:8332\n"
		   "  --rpc-cookie FILE  the node's cookie file (<datadir>/.cookie)\n"
		   "  --rpc-user U, --rpc-password P   rpcauth credentials instead of the cookie\n"
		   "  --rpc-attempts N   tries per call while the node is unreachable or busy,\n"
		   "                     with doubling delays from 250 ms (default 8; 0 = forever)\n"
		   "  --blocks-dir DIR   where fetched blocks are kept (default DB.blocks)\n"
		   "  --db DB            database directory (created if absent)\n"
		   "  --network N        main (default), test, signet, regtest; checked with the node\n"
		   "  --cache-mb M, --undo-depth N, --batch-tx N, --no-cluster, --cluster-change\n"
		   "                     as for index --blocks-dir\n"
		   "  -q, --quiet        no progress or warnings\n"
		   "  -h, --help         this text\n");
}

int index_rpc_run(const struct index_rpc_args *a, const struct tl_index_opts *o, struct tl_index_stats *st,
                  char report[INDEX_RPC_REPORT], struct tl_err *err)
{
	struct tl_index_opts io = *o;
	char *own_dir = NULL;
	if (!io.blocks_dir) {
		own_dir = tl_live_default_blocks_dir(io.db_path);
		if (!own_dir) return tl_err_set(err, "out of memory");
		io.blocks_dir = own_dir;
	}
	struct tl_rpc_opts ro = { 0 };
	ro.url = a->url;
	ro.cookie_file = a->cookie_file;
	ro.user = a->user;
	ro.password = a->password;
	ro.max_attempts = a->max_attempts;
	ro.stop = io.stop;
	ro.warn = io.warn;
	ro.ctx = io.ctx;
	struct tl_rpc *r = NULL;
	struct tl_live_index_stats ls;
	int rc = tl_rpc_open(&ro, &r, err);
	if (rc == 0) rc = tl_fetch_check_network(r, io.net, err);
	if (rc == 0) rc = tl_live_index(r, &io, 0, &ls, err);
	tl_rpc_close(r);
	if (rc == 0) {
		*st = ls.index;
		snprintf(report, INDEX_RPC_REPORT,
			 "fetched %u blocks from the node (%u already kept) into %s in %u rounds; node tip %d", ls.fetched,
			 ls.reused, io.blocks_dir, ls.rounds, ls.node_tip);
	}
	free(own_dir);
	return rc;
}
