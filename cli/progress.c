#include "cli/progress.h"

#include <string.h>
#include <unistd.h>

void tl_progress_init(struct tl_progress *p, FILE *f, int quiet)
{
	memset(p, 0, sizeof *p);
	p->f = f;
	p->tty = isatty(fileno(f));
	p->quiet = quiet;
	p->last = -1e9;
}

static void fmt_eta(double s, char *out, size_t n)
{
	if (s < 0 || s > 360000) snprintf(out, n, "--:--");
	else if (s >= 3600) snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

void tl_progress_update(struct tl_progress *p, const char *what, int64_t done, int64_t total, uint64_t txs,
			uint64_t bytes, double elapsed)
{
	if (p->quiet) return;
	if (!p->tty && elapsed - p->last < 5.0) return;
	p->last = elapsed;
	double el = elapsed > 0.001 ? elapsed : 0.001;
	double bps = done / el, tps = txs / el, mbps = bytes / el / 1e6;
	char eta[16] = "--:--";
	if (total > 0 && done > 0 && done <= total) fmt_eta((double)(total - done) / bps, eta, sizeof eta);
	if (p->tty) {
		char bar[28];
		int w = 24, fill = total > 0 ? (int)(w * (double)done / (double)total) : 0;
		if (fill > w) fill = w;
		bar[0] = '[';
		for (int i = 0; i < w; i++) bar[1 + i] = i < fill ? '#' : '.';
		bar[w + 1] = ']';
		bar[w + 2] = 0;
		fprintf(p->f, "\r%-8s %s %lld/%lld blocks  %.0f blk/s  %.0f tx/s  %.1f MB/s  ETA %s\033[K", what, bar,
			(long long)done, (long long)total, bps, tps, mbps, eta);
		p->drawn = 1;
	} else {
		fprintf(p->f, "%s: %lld/%lld blocks, %llu txs, %.0f blocks/s, %.0f tx/s, %.1f MB/s, ETA %s\n", what,
			(long long)done, (long long)total, (unsigned long long)txs, bps, tps, mbps, eta);
	}
	fflush(p->f);
}

void tl_progress_done(struct tl_progress *p)
{
	if (p->quiet) return;
	if (p->tty && p->drawn) fputc('\n', p->f);
	p->drawn = 0;
	fflush(p->f);
}

void tl_progress_msg(struct tl_progress *p, const char *msg)
{
	if (p->tty && p->drawn) fprintf(p->f, "\r\033[K");
	fprintf(p->f, "%s\n", msg);
	fflush(p->f);
}
