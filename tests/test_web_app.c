/* The web app in a real browser: simulates a chain with a heist, indexes
 * it, imports its tags and heists, writes `taintline trace --format json`
 * under each policy and two API keys (investigate, screen), simulates and
 * indexes an Ethereum chain with its heist, then runs web/test/e2e.mjs,
 * which serves the databases on 127.0.0.1 (free ports)
 * and drives Debian's Chromium headless through playwright-core: every
 * deep link, a search, an expand, the trace under each policy with the
 * tainted amounts of the CLI's JSON, a saved and reopened case, exports,
 * the screen role, Ethereum accounts and transactions, no console errors. Screenshots are kept in
 * web-artifacts/ of the build directory.
 * Skipped (exit 77, with the reason) without chromium, node, or web/'s
 * node_modules (scripts/install-deps.sh installs all three). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/testutil.h"

static char *dir;

static void sh(const char *cmd)
{
	char *out = NULL;
	int st = tu_run(cmd, &out);
	if (st != 0) fail_msg("'%s' exited %d:\n%s", cmd, st, out ? out : "");
	free(out);
}

static void test_web_app(void **state)
{
	(void)state;
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
	         "cd '%s' && T='%s' && $T simulate --out sim --seed 7 --quiet >/dev/null 2>&1 && "
	         "$T index --blocks-dir sim/blocks --db db --network regtest --quiet >/dev/null 2>&1 && "
	         "$T tags import --db db sim/tags.csv >/dev/null 2>&1 && "
	         "$T heist import --db db sim/heists.json >/dev/null 2>&1 && "
	         "for p in poison haircut fifo tiho; do "
	         "$T trace --db db --heist sim-heist-1 --policy $p --format json -o trace-$p.json || exit 1; done && "
	         "$T simulate --chain ethereum --out esim --seed 7 --blocks 150 --txs-per-block 10 --no-rpc >/dev/null 2>&1 && "
	         "$T index --chain ethereum --etl esim --db edb -q >/dev/null 2>&1 && "
	         "$T heist import --db edb esim/heists.json >/dev/null 2>&1 && "
	         "$T tags import --db edb esim/tags.csv >/dev/null 2>&1 && "
	         "$T keys add --file keys.txt --role investigate --rate 0 --tlp red --audience analysts --name 'analyst A' 2>/dev/null >key-investigate && "
	         "$T keys add --file keys.txt --role screen --rate 0 --name 'exchange desk' 2>/dev/null >key-screen",
	         dir, TL_BINARY);
	sh(cmd);
	/* The browser run prints one line per check; its output is shown. */
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd)) fail_msg("getcwd failed");
	snprintf(cmd, sizeof cmd, "cd '%s/web' && node test/e2e.mjs '%s' '%s' '%s/web-artifacts' 2>&1", TL_SOURCE_DIR,
		 TL_BINARY, dir, cwd);
	char *out = NULL;
	int st = tu_run(cmd, &out);
	printf("%s", out ? out : "");
	free(out);
	if (st != 0) fail_msg("the browser tests failed (exit %d); screenshots in web-artifacts/", st);
}

int main(void)
{
	char *path = NULL;
	const char *why = NULL;
	if (tu_run("command -v chromium", &path) != 0 || !path || !*path)
		why = "chromium is not installed";
	else if (tu_run("node -e 'process.exit(+process.versions.node.split(\".\")[0] >= 20 ? 0 : 1)'", NULL) != 0)
		why = "node 20 or later is not installed (playwright-core needs it)";
	else if (access(TL_SOURCE_DIR "/web/node_modules/playwright-core/package.json", R_OK) != 0 ||
		 access(TL_SOURCE_DIR "/web/node_modules/cytoscape/package.json", R_OK) != 0)
		why = "web/node_modules is missing (run 'npm ci' in web/)";
	free(path);
	if (why) {
		printf("SKIPPED: %s (scripts/install-deps.sh installs it); the web app was not tested in a browser\n", why);
		return TL_TEST_SKIP;
	}
	dir = tu_tmpdir("web_app");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web_app),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc) tu_rmrf(dir);
	else fprintf(stderr, "files kept in %s\n", dir);
	free(dir);
	return tu_finish(rc);
}
