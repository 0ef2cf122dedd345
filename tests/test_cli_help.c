/* The command line's help and exit codes, checked against the sources:
 * every subcommand file cli/cmd_NAME.c is listed by 'taintline --help';
 * 'taintline NAME --help' exits 0 and names every long option of the
 * command's option table (the getopt_long table, or the --options a
 * hand-written parser compares against); an unknown option exits 2 with a
 * message on stderr; an unknown command exits 2. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tests/testutil.h"

#define MAX_CMDS 64
#define MAX_OPTS 64

struct cmd {
	char name[32];
	char opts[MAX_OPTS][32];
	int nopts;
};

static struct cmd cmds[MAX_CMDS];
static int ncmds;

static int run(const char *args, char **out)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' %s", TL_BINARY, args);
	int st = tu_run(cmd, out);
	return st;
}

static void add_opt(struct cmd *c, const char *s, size_t n)
{
	if (n == 0 || n >= sizeof c->opts[0]) return;
	for (int i = 0; i < c->nopts; i++)
		if (strlen(c->opts[i]) == n && !memcmp(c->opts[i], s, n)) return;
	if (c->nopts < MAX_OPTS) {
		memcpy(c->opts[c->nopts], s, n);
		c->opts[c->nopts][n] = 0;
		c->nopts++;
	}
}

/* Long option names of a source file: entries '{ "name", x_argument' of a
 * struct option table, and string literals "--name" (hand parsers). */
static void scan_source(struct cmd *c, const char *src)
{
	for (const char *p = src; (p = strstr(p, "_argument")); p++) {
		/* walk back to the opening quote pair of { "name", */
		const char *q = p;
		while (q > src && *q != '{' && *q != '\n') q--;
		if (*q != '{') continue;
		const char *a = strchr(q, '"');
		if (!a || a > p) continue;
		const char *b = strchr(a + 1, '"');
		if (!b || b > p) continue;
		add_opt(c, a + 1, (size_t)(b - a - 1));
	}
	for (const char *p = src; (p = strstr(p, "\"--")); p++) {
		const char *a = p + 3, *b = a;
		while ((*b >= 'a' && *b <= 'z') || *b == '-' || (*b >= '0' && *b <= '9')) b++;
		if (*b == '"') add_opt(c, a, (size_t)(b - a));
	}
}

static void load_commands(void)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/cli", TL_SOURCE_DIR);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) && ncmds < MAX_CMDS) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "cmd_", 4) || n < 7 || strcmp(e->d_name + n - 2, ".c")) continue;
		struct cmd *c = &cmds[ncmds++];
		snprintf(c->name, sizeof c->name, "%.*s", (int)(n - 6), e->d_name + 4);
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t len;
		char *src = (char *)tu_read_file(path, &len);
		char *z = realloc(src, len + 1);
		assert_non_null(z);
		z[len] = 0;
		scan_source(c, z);
		free(z);
	}
	closedir(d);
}

static void test_top_help_lists_every_command(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(run("--help 2>/dev/null", &out), 0);
	assert_true(ncmds >= 10);
	for (int i = 0; i < ncmds; i++) {
		char want[80];
		snprintf(want, sizeof want, "  %.31s ", cmds[i].name);
		if (!strstr(out, want)) fail_msg("'taintline --help' does not list the command '%s'", cmds[i].name);
	}
	assert_non_null(strstr(out, "exit codes"));
	free(out);
	/* no command: usage on stderr, exit 2; unknown command: exit 2 */
	assert_int_equal(run("2>/dev/null", NULL), 2);
	char *err = NULL;
	assert_int_equal(run("no-such-command 2>&1 >/dev/null", &err), 2);
	assert_non_null(strstr(err, "unknown command"));
	free(err);
}

static void test_each_command_help_names_every_option(void **state)
{
	(void)state;
	int checked = 0;
	for (int i = 0; i < ncmds; i++) {
		struct cmd *c = &cmds[i];
		char args[200], *out = NULL;
		snprintf(args, sizeof args, "%.31s --help 2>/dev/null", c->name);
		int st = run(args, &out);
		if (st != 0) fail_msg("'taintline %s --help' exited %d, not 0", c->name, st);
		if (!strstr(out, "usage: taintline")) fail_msg("'taintline %s --help' prints no usage line", c->name);
		for (int k = 0; k < c->nopts; k++) {
			if (!strcmp(c->opts[k], "help")) continue; /* --help itself */
			char want[40];
			snprintf(want, sizeof want, "--%.31s", c->opts[k]);
			if (!strstr(out, want))
				fail_msg("'taintline %s --help' does not mention %s (in the source's option table)", c->name,
				         want);
			checked++;
		}
		free(out);
	}
	assert_true(checked >= 40); /* the parse found the tables */
}

static void test_unknown_option_is_usage_error(void **state)
{
	(void)state;
	for (int i = 0; i < ncmds; i++) {
		char args[200], *err = NULL;
		/* keys takes an action first */
		snprintf(args, sizeof args, "%.31s %s--no-such-option 2>&1 >/dev/null", cmds[i].name,
		         strcmp(cmds[i].name, "keys") ? "" : "add ");
		int st = run(args, &err);
		if (st != 2) fail_msg("'taintline %s --no-such-option' exited %d, not 2", cmds[i].name, st);
		if (!err || !*err) fail_msg("'taintline %s --no-such-option' says nothing on stderr", cmds[i].name);
		free(err);
	}
}

/* 'taintline help NAME' prints exactly what 'taintline NAME --help' does,
 * on stdout with exit 0; an unknown NAME is a usage error. */
static void test_help_command(void **state)
{
	(void)state;
	for (int i = 0; i < ncmds; i++) {
		char a1[200], a2[200], *o1 = NULL, *o2 = NULL;
		snprintf(a1, sizeof a1, "help %.31s 2>/dev/null", cmds[i].name);
		snprintf(a2, sizeof a2, "%.31s --help 2>/dev/null", cmds[i].name);
		int st = run(a1, &o1);
		if (st != 0) fail_msg("'taintline help %s' exited %d, not 0", cmds[i].name, st);
		assert_int_equal(run(a2, &o2), 0);
		if (strcmp(o1, o2)) fail_msg("'taintline help %s' differs from 'taintline %s --help'", cmds[i].name, cmds[i].name);
		free(o1);
		free(o2);
	}
	char *err = NULL;
	assert_int_equal(run("help no-such-command 2>&1 >/dev/null", &err), 2);
	assert_non_null(strstr(err, "unknown command"));
	free(err);
	assert_int_equal(run("help screen extra 2>/dev/null", NULL), 2);
}

/* --version prints the version the build files declare:
 * project(taintline VERSION X.Y.Z) in CMakeLists.txt. */
static void test_version(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof path, "%s/CMakeLists.txt", TL_SOURCE_DIR);
	size_t len;
	char *src = (char *)tu_read_file(path, &len);
	src = realloc(src, len + 1);
	src[len] = 0;
	const char *p = strstr(src, "project(taintline VERSION ");
	assert_non_null(p);
	p += strlen("project(taintline VERSION ");
	char want[64];
	size_t n = strcspn(p, " )");
	snprintf(want, sizeof want, "taintline %.*s\n", (int)n, p);
	free(src);
	char *out = NULL;
	assert_int_equal(run("--version", &out), 0);
	assert_string_equal(out, want);
	free(out);
}

int main(void)
{
	load_commands();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_help_lists_every_command),
		cmocka_unit_test(test_each_command_help_names_every_option),
		cmocka_unit_test(test_unknown_option_is_usage_error),
		cmocka_unit_test(test_help_command),
		cmocka_unit_test(test_version),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
