/* Progress display for long commands: on a terminal, one line redrawn in
 * place with a bar, rates (blocks/s, tx/s, MB/s) and ETA; otherwise a plain
 * line every few seconds, so logs stay readable. */
#ifndef TL_CLI_PROGRESS_H
#define TL_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct tl_progress {
	FILE *f;
	int tty;
	double last;        /* time of the last line printed (non-tty) */
	int drawn;          /* a tty line is on screen */
	int quiet;
};

/* Sets up for stream f (usually stderr); quiet suppresses everything. */
void tl_progress_init(struct tl_progress *p, FILE *f, int quiet);
/* Shows: what (phase), done/total units (blocks), txs and bytes so far,
 * elapsed seconds. total <= 0 means unknown. */
void tl_progress_update(struct tl_progress *p, const char *what, int64_t done, int64_t total, uint64_t txs,
			uint64_t bytes, double elapsed);
/* Ends the progress line (newline on a tty). */
void tl_progress_done(struct tl_progress *p);
/* Prints a message line without breaking the bar. */
void tl_progress_msg(struct tl_progress *p, const char *msg);

#endif
