/* Subcommands of the taintline command. Each takes the arguments after
 * its name (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure (message on stderr), 2 usage error. */
#ifndef TL_CLI_CLI_H
#define TL_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define TL_EXIT_OK 0
#define TL_EXIT_FAIL 1
#define TL_EXIT_USAGE 2
#define TL_EXIT_FLAGGED 3 /* screen --fail-on: the verdict reached the level */

int cmd_decode(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_tags(int argc, char **argv);
int cmd_heist(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_import(int argc, char **argv);
/* The Ethereum forms of index, get and db (eth_index.c, eth_get.c,
 * eth_db.c), reached from those commands. */
int cmd_index_eth(int argc, char **argv);
int cmd_get_eth(int argc, char **argv);
int cmd_db_eth(int argc, char **argv);
/* trace on an Ethereum database (eth_trace.c), reached from cmd_trace. */
int cmd_trace_eth(int argc, char **argv);
/* serve --rpc (cli/serve_rpc.c), dispatched from cmd_serve. */
int cmd_serve_rpc(int argc, char **argv);
/* trace over a Bitcoin and an Ethereum database (xchain_trace.c), reached
 * from cmd_trace when --db is given twice. */
int cmd_trace_xchain(int argc, char **argv);
/* simulate --chain multichain (xchain_simulate.c), reached from cmd_simulate. */
int cmd_simulate_xchain(int argc, char **argv);
/* heist and tags on an Ethereum database (eth_intel.c). */
int cmd_heist_eth(int argc, char **argv);
int cmd_tags_eth(int argc, char **argv);

struct tl_eth_store;
/* Writes the screening index of heist (stored in st, which is open for
 * writing) from a replay of the whole chain under haircut with the
 * default stops and hop limit (eth_trace.c; store/eth_screen.h).
 * Returns 0, or -1 with err (seeds not in the index, store error). */
int eth_screen_materialize(struct tl_eth_store *st, const char *heist, struct tl_err *err)
	__attribute__((warn_unused_result));
/* screen --db ETHDB --address 0x... (eth_intel.c). */
int cmd_screen_eth(int argc, char **argv);
/* Brings the screening index of every materialized (or, with all, every
 * traceable) heist to the tip; prints what it did unless quiet
 * (eth_intel.c). Returns 0 or -1 (err). */
int eth_screen_refresh(struct tl_eth_store *st, int all, int quiet, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
