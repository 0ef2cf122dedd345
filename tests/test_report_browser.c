/* The HTML flow report in a real browser: traces the simulated heist,
 * writes `trace --format html`, opens it in headless Chromium and checks
 * (1) the DOM after scripts ran (--dump-dom) holds the summary, the
 *     seeded amount of the simulator's ground truth, the where-it-went
 *     table and the SVG graph with its nodes;
 * (2) the screenshot is a PNG of the requested size (IHDR decoded, CRC
 *     checked) and not blank (a blank 1400x1000 page compresses to a few
 *     KiB; a rendered report is tens of KiB).
 * Without Chromium the test is skipped (exit 77) and says why; CI installs
 * it (scripts/install-deps.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/testutil.h"

#define WIN_W 1400
#define WIN_H 1000

static char *dir;
static char browser[256];

static void sh(const char *cmd)
{
	char *out = NULL;
	int st = tu_run(cmd, &out);
	if (st != 0) fail_msg("'%s' exited %d:\n%s", cmd, st, out ? out : "");
	free(out);
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return c ^ 0xffffffffu;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
	return n;
}

static const char *chromium_flags(void)
{
	return "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
	       "--disable-background-networking --disable-component-update --disable-sync";
}

static void test_report_renders(void **state)
{
	(void)state;
	char cmd[4096];
	/* a simulated heist, indexed, tagged and traced */
	snprintf(cmd, sizeof cmd,
	         "cd '%s' && T='%s' && $T simulate --out sim --seed 7 --quiet >/dev/null 2>&1 && "
	         "$T index --blocks-dir sim/blocks --db db --network regtest --quiet >/dev/null 2>&1 && "
	         "$T tags import --db db sim/tags.csv >/dev/null 2>&1 && "
	         "$T heist import --db db sim/heists.json >/dev/null 2>&1 && "
	         "$T trace --db db --heist sim-heist-1 --format html -o report.html 2>&1",
	         dir, TL_BINARY);
	sh(cmd);
	char tp[1024];
	snprintf(tp, sizeof tp, "%s/sim/truth.json", dir);
	json_t *truth = json_load_file(tp, 0, NULL);
	assert_non_null(truth);
	long long stolen = (long long)json_integer_value(
	        json_object_get(json_array_get(json_object_get(truth, "heists"), 0), "stolen_sat"));
	json_decref(truth);
	assert_true(stolen > 0);

	/* (1) the DOM after scripts ran */
	snprintf(cmd, sizeof cmd,
	         "cd '%s' && rm -rf prof1 && timeout 120 '%s' %s --user-data-dir=\"$PWD/prof1\" --dump-dom "
	         "\"file://$PWD/report.html\" 2>/dev/null",
	         dir, browser, chromium_flags());
	char *dom = NULL;
	int st = tu_run(cmd, &dom);
	if (st != 0) fail_msg("chromium --dump-dom exited %d", st);
	assert_non_null(strstr(dom, "<h2>Summary</h2>"));
	assert_non_null(strstr(dom, "Where it went"));
	assert_non_null(strstr(dom, "Flow graph"));
	char amount[64];
	snprintf(amount, sizeof amount, "%lld.%08lld", stolen / 100000000, stolen % 100000000);
	if (!strstr(dom, amount)) fail_msg("the rendered page does not show the stolen amount %s BTC", amount);
	assert_non_null(strstr(dom, "<svg"));
	size_t nodes = count(dom, "<g class=\"n ");
	size_t rects = count(dom, "<rect ");
	if (nodes < 10 || rects < nodes) fail_msg("the SVG graph has %zu nodes and %zu boxes", nodes, rects);
	assert_true(count(dom, "class=\"n ep\"") > 0); /* exchanges are drawn */
	free(dom);

	/* (2) the screenshot */
	snprintf(cmd, sizeof cmd,
	         "cd '%s' && rm -rf prof2 && timeout 120 '%s' %s --user-data-dir=\"$PWD/prof2\" "
	         "--screenshot=\"$PWD/shot.png\" --window-size=%d,%d \"file://$PWD/report.html\" >/dev/null 2>&1",
	         dir, browser, chromium_flags(), WIN_W, WIN_H);
	sh(cmd);
	char png[1024];
	snprintf(png, sizeof png, "%s/shot.png", dir);
	size_t len;
	uint8_t *p = tu_read_file(png, &len);
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	assert_true(len > 33);
	assert_memory_equal(p, sig, 8);
	assert_int_equal(be32(p + 8), 13);
	assert_memory_equal(p + 12, "IHDR", 4);
	assert_int_equal(be32(p + 16), WIN_W);
	assert_int_equal(be32(p + 20), WIN_H);
	assert_int_equal(be32(p + 29), crc32_png(p + 12, 17));
	/* not blank: a white page of this size is a few KiB */
	if (len < 40000) fail_msg("screenshot is only %zu bytes: blank page?", len);
	free(p);
}

int main(void)
{
	char *path = NULL;
	if (tu_run("command -v chromium || command -v chromium-browser", &path) != 0 || !path || !*path) {
		printf("SKIPPED: chromium is not installed (scripts/install-deps.sh installs it); "
		       "the HTML report was not checked in a browser\n");
		free(path);
		return TL_TEST_SKIP;
	}
	path[strcspn(path, "\n")] = 0;
	snprintf(browser, sizeof browser, "%s", path);
	free(path);
	dir = tu_tmpdir("report_browser");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_renders),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc) tu_rmrf(dir);
	else fprintf(stderr, "files kept in %s\n", dir);
	free(dir);
	return tu_finish(rc);
}
