/* Fetch-then-index rounds (live/index_rpc.h). */
#include <stdlib.h>
#include <string.h>

#include "live/fetch.h"
#include "live/index_rpc.h"

char *tl_live_default_blocks_dir(const char *db_path)
{
	size_t n = strlen(db_path);
	while (n > 1 && db_path[n - 1] == '/') n--;
	char *s = malloc(n + 8);
	if (!s) return NULL;
	memcpy(s, db_path, n);
	memcpy(s + n, ".blocks", 8);
	return s;
}

int tl_live_index(struct tl_rpc *r, const struct tl_index_opts *io, uint32_t chunk, struct tl_live_index_stats *st,
		  struct tl_err *err)
{
	memset(st, 0, sizeof *st);
	st->index.tip_before = -2;
	st->index.fork_height = -2;
	struct tl_fetch_opts fo = { .blocks_dir = io->blocks_dir, .net = io->net,
				    .max_blocks = chunk ? chunk : TL_LIVE_DEFAULT_CHUNK, .stop = io->stop };
	for (;;) {
		struct tl_fetch_stats fs;
		if (tl_fetch_round(r, &fo, &fs, err) < 0) return -1;
		st->rounds++;
		st->fetched += fs.fetched;
		st->reused += fs.reused;
		st->node_tip = fs.node_tip;
		if (fs.fork_height != -2) st->reorgs++;
		if (fs.tip < 0) return tl_err_set(err, "the node has no blocks yet");
		struct tl_index_stats is;
		if (tl_index_run(io, &is, err) < 0) return -1;
		if (st->index.tip_before == -2) st->index.tip_before = is.tip_before;
		st->index.tip_after = is.tip_after;
		if (is.fork_height != -2) st->index.fork_height = is.fork_height;
		st->index.blocks_rolled_back += is.blocks_rolled_back;
		st->index.blocks_indexed += is.blocks_indexed;
		st->index.txs += is.txs;
		st->index.inputs += is.inputs;
		st->index.outputs += is.outputs;
		st->index.unknown_inputs += is.unknown_inputs;
		st->index.unknown_inputs_total = is.unknown_inputs_total;
		st->index.bytes += is.bytes;
		st->index.seconds += is.seconds;
		st->index.db_bytes = is.db_bytes;
		st->index.stopped = is.stopped;
		if (is.stopped || (io->stop && *io->stop)) return 0;
		if (fs.caught_up) return 0;
	}
}
