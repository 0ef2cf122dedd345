/* taintline: trace stolen bitcoin. Dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "decode", cmd_decode, "decode a raw block (file, hex, or - for stdin) to Core-style JSON" },
	{ "keys", cmd_keys, "create an API key for the server (stores only its hash)" },
	{ "scan", cmd_scan, "list the best chain found in a Bitcoin Core blocks directory" },
	{ "simulate", cmd_simulate, "write a simulated regtest blocks dir with heists and ground truth" },
	{ "index", cmd_index, "index a blocks directory into the database (resumes; follows reorgs)" },
	{ "get", cmd_get, "print a transaction, address or block from the index as Esplora JSON" },
	{ "db", cmd_db, "database digest and statistics" },
	{ "trace", cmd_trace, "follow stolen funds from a heist, outputs or an address (json, csv, dot, html)" },
	{ "screen", cmd_screen, "exposure of an address, output or tx to the registered heists; taint index upkeep" },
	{ "tags", cmd_tags, "import tag files (CSV, OFAC XML, TagPack) and show the tags of an address" },
	{ "heist", cmd_heist, "import the heist registry and list the stored heists" },
	{ "cluster", cmd_cluster, "show the cluster of an address: size, totals, tags, linking transactions" },
	{ "serve", cmd_serve, "serve the index over HTTP: Esplora routes, heists, traces, screening" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'taintline help COMMAND' (or 'taintline COMMAND --help') lists a command's options;\n"
		   "'taintline --version' prints the version.\n"
		   "exit codes: 0 success, 1 failure, 2 usage error, 3 screen --fail-on reached\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(name, commands[i].name)) return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc == 3) {
		/* help COMMAND: the command's own --help, on stdout, exit 0. */
		const struct command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "taintline: unknown command '%s'\n", argv[2]);
			usage(stderr);
			return TL_EXIT_USAGE;
		}
		char *hargv[] = { argv[2], "--help", NULL };
		return c->run(2, hargv);
	}
	if (!strcmp(argv[1], "help") && argc > 3) {
		fprintf(stderr, "usage: taintline help [COMMAND]\n");
		return TL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return TL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		/* TL_VERSION: the project version CMakeLists.txt sets. */
		printf("taintline %s\n", TL_VERSION);
		return TL_EXIT_OK;
	}
	const struct command *c = find(argv[1]);
	if (c) return c->run(argc - 1, argv + 1);
	fprintf(stderr, "taintline: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return TL_EXIT_USAGE;
}
