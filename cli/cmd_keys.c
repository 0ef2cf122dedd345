/* taintline keys add: creates an API key, prints it once, and appends only
 * its SHA-256 hash with role and rate to the keys file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "report/sign.h"

static void keys_usage(FILE *f)
{
	fprintf(f, "usage: taintline keys add --file FILE --role ROLE [--rate N] [--tlp LEVEL [--audience NAME]]\n"
		   "                          [--name NAME]\n"
		   "\n"
		   "Creates a random API key, prints it once on stdout and appends its SHA-256\n"
		   "hash to FILE (created with mode 0600 if absent); the key itself is not stored.\n"
		   "  --role ROLE  screen (screening and lookups), investigate (all read-only\n"
		   "               routes) or admin (imports too)\n"
		   "  --rate N     requests per second allowed for this key (default 10; 0 = no limit)\n"
		   "  --name NAME  a label for the key (who holds it)\n"
		   "  --tlp LEVEL  the key's TLP clearance: clear, green, amber, amber+strict or red;\n"
		   "               routes leave out anything marked above it (default amber+strict)\n"
		   "  --audience NAME  for red: the named audience whose RED items the key sees\n"
		   "\n"
		   "usage: taintline keys signing-key --out FILE\n"
		   "\n"
		   "Makes the organisation's report signing key (BIP-340): 64 hex digits of a\n"
		   "random secret in FILE (created with mode 0600; an existing file is refused);\n"
		   "prints the public key partners check signatures with (taintline verify --pubkey).\n");
}

/* keys signing-key --out FILE */
static int signing_key(int argc, char **argv)
{
	const char *out = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			keys_usage(stdout);
			return TL_EXIT_OK;
		} else {
			fprintf(stderr, "taintline keys signing-key: unexpected '%s' (--out FILE)\n", argv[i]);
			return TL_EXIT_USAGE;
		}
	}
	if (!out) {
		fprintf(stderr, "taintline keys signing-key: --out FILE is required\n");
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	uint8_t sec[32], pub[32];
	char hex[65];
	int r = tl_sign_keygen(sec, &err);
	if (!r) r = tl_bip340_pubkey(sec, pub, &err);
	if (!r) r = tl_sign_key_write(out, sec, &err);
	memset(sec, 0, sizeof sec);
	if (r) {
		fprintf(stderr, "taintline keys signing-key: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	tl_hex_encode(pub, 32, hex);
	printf("%s\n", hex);
	fprintf(stderr, "wrote the signing key to %s (mode 0600); the line above is its public key\n", out);
	return TL_EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		keys_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? TL_EXIT_USAGE : TL_EXIT_OK;
	}
	if (!strcmp(argv[1], "signing-key")) return signing_key(argc, argv);
	if (strcmp(argv[1], "add")) {
		fprintf(stderr, "taintline keys: unknown action '%s'\n", argv[1]);
		keys_usage(stderr);
		return TL_EXIT_USAGE;
	}
	const char *file = NULL, *role_s = NULL, *name = NULL, *tlp_s = NULL, *audience = NULL;
	double rate = 10;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			keys_usage(stdout);
			return TL_EXIT_OK;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "taintline keys add: %s needs a value\n", a);
			return TL_EXIT_USAGE;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--file")) file = v;
		else if (!strcmp(a, "--role")) role_s = v;
		else if (!strcmp(a, "--name")) name = v;
		else if (!strcmp(a, "--tlp")) tlp_s = v;
		else if (!strcmp(a, "--audience")) audience = v;
		else if (!strcmp(a, "--rate")) {
			char *end;
			rate = strtod(v, &end);
			if (!*v || *end || !(rate >= 0) || rate > 1e9) {
				fprintf(stderr, "taintline keys add: --rate '%s' is not a number >= 0\n", v);
				return TL_EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "taintline keys add: unknown option '%s'\n", a);
			return TL_EXIT_USAGE;
		}
	}
	if (!file || !role_s) {
		fprintf(stderr, "taintline keys add: --file and --role are required\n");
		return TL_EXIT_USAGE;
	}
	enum tl_api_role role;
	if (tl_role_parse(role_s, &role)) {
		fprintf(stderr, "taintline keys add: unknown role '%s' (screen, investigate or admin)\n", role_s);
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	struct tl_clearance clr, *cp = NULL;
	if (audience && !tlp_s) {
		fprintf(stderr, "taintline keys add: --audience goes with --tlp red\n");
		return TL_EXIT_USAGE;
	}
	if (tlp_s) {
		char spec[160];
		snprintf(spec, sizeof spec, "%s%s%s", tlp_s, audience ? "/" : "", audience ? audience : "");
		if (tl_clearance_parse(spec, &clr, &err)) {
			fprintf(stderr, "taintline keys add: %s\n", err.msg);
			return TL_EXIT_USAGE;
		}
		cp = &clr;
	}
	char key[TL_API_KEY_LEN + 1];
	char line[512];
	if (tl_key_generate(key, &err) || tl_keyline_format_tlp(key, role, rate, cp, name, line, sizeof line, &err)) {
		fprintf(stderr, "taintline keys add: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	/* Refuse to append to a file that does not parse: the server would
	 * refuse to start with it anyway. */
	if (access(file, F_OK) == 0) {
		struct tl_keyring *kr;
		if (tl_keyring_load(file, &kr, &err)) {
			fprintf(stderr, "taintline keys add: %s\n", err.msg);
			return TL_EXIT_FAIL;
		}
		tl_keyring_free(kr);
	}
	int fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "taintline keys add: cannot open %s: %s\n", file, strerror(errno));
		return TL_EXIT_FAIL;
	}
	/* An existing file others may read or write is tightened: they could
	 * add a key of their own, or learn which keys exist. */
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		if (fchmod(fd, st.st_mode & 0700) == 0)
			fprintf(stderr, "taintline keys add: %s was accessible to other users (mode %04o); now %04o\n", file,
				(unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & 0700));
		else
			fprintf(stderr, "taintline keys add: warning: %s is accessible to other users (mode %04o): %s\n",
				file, (unsigned)(st.st_mode & 07777), strerror(errno));
	}
	/* A file whose last line lacks a newline would glue our line to it. */
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > 0) {
		char last = '\n';
		if (pread(fd, &last, 1, end - 1) == 1 && last != '\n' && write(fd, "\n", 1) != 1) {
			fprintf(stderr, "taintline keys add: writing %s: %s\n", file, strerror(errno));
			close(fd);
			return TL_EXIT_FAIL;
		}
	}
	size_t n = strlen(line);
	if (write(fd, line, n) != (ssize_t)n || fsync(fd) || close(fd)) {
		fprintf(stderr, "taintline keys add: writing %s: %s\n", file, strerror(errno));
		return TL_EXIT_FAIL;
	}
	printf("%s\n", key);
	fflush(stdout);
	fprintf(stderr, "added a '%s' key (%g requests/s) to %s; the key above is shown only now: store it safely\n",
		role_s, rate, file);
	return TL_EXIT_OK;
}
