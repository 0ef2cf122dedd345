/* RFC 4180 reader over a mutable buffer: fields are unescaped in place,
 * which is always possible since unescaping only shortens them. */
#include "ethereum/csv.h"

#include <stdlib.h>
#include <string.h>

void tl_csv_init(struct tl_csv *c, char *buf, size_t len)
{
	memset(c, 0, sizeof *c);
	c->p = buf;
	c->end = buf + len;
	c->line = 1;
}

void tl_csv_free(struct tl_csv *c)
{
	free(c->fields);
	free(c->lens);
	c->fields = NULL;
	c->lens = NULL;
}

static void add_field(struct tl_csv *c, char *s, size_t n)
{
	if (c->nf == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 32;
		char **f = realloc(c->fields, nc * sizeof *f);
		if (!f) abort();
		c->fields = f;
		size_t *l = realloc(c->lens, nc * sizeof *l);
		if (!l) abort();
		c->lens = l;
		c->cap = nc;
	}
	c->fields[c->nf] = s;
	c->lens[c->nf] = n;
	c->nf++;
}

int tl_csv_next(struct tl_csv *c, size_t *line, struct tl_err *err)
{
	c->nf = 0;
	if (c->p >= c->end) return 0;
	*line = c->line;
	char *p = c->p;
	for (;;) {
		char *start = p, *w = p;
		if (p < c->end && *p == '"') {
			p++;
			for (;;) {
				if (p >= c->end) return tl_err_set(err, "line %zu: unterminated quoted field", *line);
				if (*p == '"') {
					if (p + 1 < c->end && p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n') c->line++;
				if (*p == 0) return tl_err_set(err, "line %zu: NUL byte in a field", *line);
				*w++ = *p++;
			}
			if (p < c->end && *p != ',' && *p != '\n' && *p != '\r')
				return tl_err_set(err, "line %zu: text after a closing quote", *line);
		} else {
			while (p < c->end && *p != ',' && *p != '\n' && *p != '\r') {
				if (*p == '"') return tl_err_set(err, "line %zu: quote inside an unquoted field", *line);
				if (*p == 0) return tl_err_set(err, "line %zu: NUL byte in a field", *line);
				p++;
			}
			w = p;
		}
		char sep = p < c->end ? *p : '\n';
		size_t n = (size_t)(w - start);
		if (sep == '\r') {
			if (p + 1 < c->end && p[1] == '\n') p++;
			else if (p + 1 < c->end) return tl_err_set(err, "line %zu: bare carriage return", *line);
			sep = '\n';
		}
		start[n] = 0; /* the separator's byte (or a shortened field's tail) */
		add_field(c, start, n);
		if (p < c->end) p++;
		if (sep == '\n') {
			c->line++;
			break;
		}
		if (p >= c->end) { /* a trailing comma at the very end: one more empty field */
			add_field(c, p, 0);
			break;
		}
	}
	c->p = p;
	return 1;
}
