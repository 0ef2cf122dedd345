#include "tests/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int tu_have_shared(void)
{
	struct stat st;
	return stat(TL_SHARED_DATA, &st) == 0 && S_ISDIR(st.st_mode);
}

static int skipped_for_data;

const char *tu_shared_path(const char *rel)
{
	static char buf[4096];
	if (!tu_have_shared()) {
		printf("SKIPPED: reference data folder %s is absent (needed: %s)\n", TL_SHARED_DATA, rel);
		fflush(stdout);
		skipped_for_data++;
		skip();
	}
	snprintf(buf, sizeof buf, "%s/%s", TL_SHARED_DATA, rel);
	return buf;
}

const char *tu_shared_path_or_exit(const char *rel)
{
	static char buf[4096];
	if (!tu_have_shared()) {
		printf("SKIPPED: reference data folder %s is absent (needed: %s)\n", TL_SHARED_DATA, rel);
		fflush(stdout);
		exit(TL_TEST_SKIP);
	}
	snprintf(buf, sizeof buf, "%s/%s", TL_SHARED_DATA, rel);
	return buf;
}

int tu_finish(int failures)
{
	if (skipped_for_data)
		printf("note: %d test(s) skipped: reference data folder %s is absent\n", skipped_for_data,
		       TL_SHARED_DATA);
	return failures;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		abort();
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) abort();
	b[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return b;
}

char *tu_tmpdir(const char *tag)
{
	const char *base = getenv("TL_TMPDIR");
	if (!base || !*base) base = "/tmp";
	mkdir(base, 0755);
	static int seq;
	char *p = malloc(4096);
	snprintf(p, 4096, "%s/tl-%s-%d-%d", base, tag, (int)getpid(), seq++);
	tu_rmrf(p);
	if (mkdir(p, 0755)) {
		fprintf(stderr, "mkdir %s: %s\n", p, strerror(errno));
		abort();
	}
	return p;
}

void tu_rmrf(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
}

int tu_run(const char *cmd, char **out)
{
	FILE *p = popen(cmd, "r");
	if (!p) return -1;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	size_t n;
	while ((n = fread(b + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			b = realloc(b, cap);
		}
	}
	b[len] = 0;
	int st = pclose(p);
	if (out) *out = b;
	else free(b);
	if (st == -1) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *tu_run_ok(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("exit %d: %s\n%s", rc, cmd, out ? out : "");
	return out ? out : strdup("");
}

uint16_t tu_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &l))
		fail_msg("no free port on 127.0.0.1");
	close(fd);
	return ntohs(a.sin_port);
}
