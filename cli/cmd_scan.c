/* taintline scan: the best chain found in a Bitcoin Core blocks dir. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "cli/jsonw.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline scan --blocks-dir DIR [--network N] [--json]\n"
		   "  Reads every blk*.dat record header in DIR (undoing xor.dat), picks the\n"
		   "  chain with the most work and lists it by height, with what was skipped.\n"
		   "  --blocks-dir DIR  Bitcoin Core blocks directory\n"
		   "  --network N       main (default), test, signet, regtest\n"
		   "  --json            JSON instead of a table\n"
		   "  -q, --quiet       no warnings on stderr\n"
		   "  -h, --help        this text\n");
}

static void print_warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "warning: %s\n", msg);
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "blocks-dir", required_argument, NULL, 'b' },
		{ "network", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	const struct tl_netparams *np = tl_net_params(TL_NET_MAIN);
	int json = 0, quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:n:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': dir = optarg; break;
		case 'n':
			np = tl_net_by_name(optarg);
			if (!np) {
				fprintf(stderr, "scan: unknown network '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!dir || optind != argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(dir, np, &d, &err)) {
		fprintf(stderr, "scan: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	if (!quiet) tl_blkdir_set_warn(d, print_warning, NULL);
	struct tl_scan_report rep;
	if (tl_blkdir_scan(d, &rep, &err)) {
		fprintf(stderr, "scan: %s\n", err.msg);
		tl_blkdir_close(d);
		return TL_EXIT_FAIL;
	}
	uint32_t n = tl_blkdir_chain_len(d);
	char hex[65];
	if (json) {
		struct jw w;
		jw_init(&w, stdout);
		jw_obj(&w);
		jw_key(&w, "network"); jw_str(&w, np->name);
		jw_key(&w, "chain"); jw_arr(&w);
		for (uint32_t h = 0; h < n; h++) {
			const struct tl_chain_entry *e = tl_blkdir_chain_at(d, h);
			jw_obj(&w);
			jw_key(&w, "height"); jw_uint(&w, h);
			tl_hash_to_hex(e->hash, hex);
			jw_key(&w, "hash"); jw_str(&w, hex);
			char fname[32];
			snprintf(fname, sizeof fname, "blk%05u.dat", e->loc.file);
			jw_key(&w, "file"); jw_str(&w, fname);
			jw_key(&w, "offset"); jw_uint(&w, e->loc.offset);
			jw_key(&w, "size"); jw_uint(&w, e->loc.size);
			jw_key(&w, "tx_count"); jw_uint(&w, e->n_tx);
			jw_end_obj(&w);
		}
		jw_end_arr(&w);
		jw_key(&w, "skipped"); jw_obj(&w);
		jw_key(&w, "stale"); jw_uint(&w, rep.stale);
		jw_key(&w, "orphans"); jw_uint(&w, rep.orphans);
		jw_key(&w, "duplicates"); jw_uint(&w, rep.duplicates);
		jw_key(&w, "bad_pow"); jw_uint(&w, rep.bad_pow);
		jw_key(&w, "garbage"); jw_uint(&w, rep.garbage_skips);
		jw_key(&w, "truncated"); jw_uint(&w, rep.truncated);
		jw_key(&w, "wrong_network"); jw_uint(&w, rep.wrong_magic);
		jw_end_obj(&w);
		jw_end_obj(&w);
		jw_finish(&w);
	} else {
		printf("%8s  %-64s  %-12s %10s %6s\n", "height", "hash", "file", "offset", "txs");
		for (uint32_t h = 0; h < n; h++) {
			const struct tl_chain_entry *e = tl_blkdir_chain_at(d, h);
			tl_hash_to_hex(e->hash, hex);
			printf("%8u  %s  blk%05u.dat %10u %6u\n", h, hex, e->loc.file, e->loc.offset, e->n_tx);
		}
		printf("best chain: %u blocks; %u files, %.1f MiB; skipped: %u stale, %u orphan, %u duplicate, "
		       "%u bad proof of work, %u garbage, %u truncated, %u other network\n",
		       n, rep.files, rep.bytes / 1048576.0, rep.stale, rep.orphans, rep.duplicates, rep.bad_pow,
		       rep.garbage_skips, rep.truncated, rep.wrong_magic);
	}
	tl_blkdir_close(d);
	return TL_EXIT_OK;
}
