/* RFC 4180 CSV records: fields separated by commas, optionally quoted
 * with double quotes ("" inside a quoted field is one quote; a quoted
 * field may hold commas and line breaks). Lines end in LF or CRLF. */
#ifndef TL_ETHEREUM_CSV_H
#define TL_ETHEREUM_CSV_H

#include <stddef.h>

#include "base/err.h"

struct tl_csv {
	char *p, *end;   /* unread part of the caller's buffer (modified in place) */
	size_t line;     /* line number of the next record (1-based) */
	char **fields;
	size_t *lens;
	size_t nf, cap;
};

/* Reads records from buf[0..len), which the reader unescapes in place and
 * the caller keeps alive; buf[len] must be writable (it may become the
 * last field's terminator). */
void tl_csv_init(struct tl_csv *c, char *buf, size_t len);
void tl_csv_free(struct tl_csv *c);
/* The next record: c->fields[0..c->nf) (NUL-terminated, lengths in
 * c->lens) valid until the next call; *line is where it started.
 * Returns 1, 0 at the end, or -1 on a malformed record (an unterminated
 * quote, text after a closing quote, a NUL byte) with the line in err. */
int tl_csv_next(struct tl_csv *c, size_t *line, struct tl_err *err) __attribute__((warn_unused_result));

#endif
