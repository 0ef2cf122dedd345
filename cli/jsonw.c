#include "cli/jsonw.h"

#include <inttypes.h>
#include <stdlib.h>

#include "bitcoin/hash.h"

void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->first = 1;
	w->after_key = 0;
}

static void indent(struct jw *w)
{
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++) fputs("  ", w->f);
}

/* Separator and indentation before a value or a key. */
static void pre(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first) fputc(',', w->f);
	if (w->depth) indent(w);
	w->first = 0;
}

static void open(struct jw *w, char c)
{
	pre(w);
	fputc(c, w->f);
	w->depth++;
	w->first = 1;
}

static void close_(struct jw *w, char c)
{
	w->depth--;
	if (!w->first) indent(w);
	fputc(c, w->f);
	w->first = 0;
}

void jw_obj(struct jw *w) { open(w, '{'); }
void jw_arr(struct jw *w) { open(w, '['); }
void jw_end_obj(struct jw *w) { close_(w, '}'); }
void jw_end_arr(struct jw *w) { close_(w, ']'); }

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}

void jw_key(struct jw *w, const char *k)
{
	pre(w);
	quoted(w->f, k);
	fputs(": ", w->f);
	w->after_key = 1;
}

void jw_str(struct jw *w, const char *s)
{
	pre(w);
	quoted(w->f, s);
}

void jw_int(struct jw *w, int64_t v)
{
	pre(w);
	fprintf(w->f, "%" PRId64, v);
}

void jw_uint(struct jw *w, uint64_t v)
{
	pre(w);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_btc(struct jw *w, uint64_t sat)
{
	pre(w);
	fprintf(w->f, "%" PRIu64 ".%08" PRIu64, sat / 100000000u, sat % 100000000u);
}

void jw_hex(struct jw *w, const uint8_t *p, size_t n)
{
	pre(w);
	char *h = malloc(2 * n + 1);
	if (!h) abort();
	tl_hex_encode(p, n, h);
	fputc('"', w->f);
	fputs(h, w->f);
	fputc('"', w->f);
	free(h);
}

void jw_bool(struct jw *w, int v)
{
	pre(w);
	fputs(v ? "true" : "false", w->f);
}

void jw_raw(struct jw *w, const char *text)
{
	pre(w);
	fputs(text, w->f);
}

void jw_finish(struct jw *w) { fputc('\n', w->f); }
