/* Helpers shared by the test programs. */
#ifndef TL_TESTS_TESTUTIL_H
#define TL_TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit status ctest reports as "skipped" (SKIP_RETURN_CODE). */
#define TL_TEST_SKIP 77

/* Path of a file under the shared reference data folder. Call it inside a
 * cmocka test: if the folder is absent it prints why and skips that test
 * (the others still run). Returns a static buffer. */
const char *tu_shared_path(const char *rel);
/* The same for use outside a test (in main): exits with TL_TEST_SKIP if
 * the folder is absent. */
const char *tu_shared_path_or_exit(const char *rel);
/* Wraps cmocka_run_group_tests' result: returns the failures, and prints
 * how many tests were skipped for missing data. The ctest entry
 * test_reference_data reports the absence itself as "skipped", so a
 * program whose other tests ran still counts as passed. */
int tu_finish(int failures);
/* 1 if the shared data folder exists. */
int tu_have_shared(void);
/* Reads a whole file; aborts the test on failure. Caller frees. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* A fresh, empty directory for this test (under TL_TMPDIR or /tmp); the
 * name includes tag and the pid. Returns a malloc'd path. */
char *tu_tmpdir(const char *tag);
/* rm -rf of a path made by tu_tmpdir. */
void tu_rmrf(const char *path);
/* Runs a shell command; returns its exit status (or -1). Output goes to
 * *out (malloc'd, NUL-terminated) when out is non-NULL. */
int tu_run(const char *cmd, char **out);
/* tu_run of a printf-formatted command that must succeed (a nonzero
 * exit fails the test with the command and its output). Returns its
 * output (malloc'd). */
char *tu_run_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A TCP port on 127.0.0.1 free at the time of the call (bound, read,
 * closed), for a server the test starts. */
uint16_t tu_free_port(void);

#endif
