/* A small streaming JSON writer for command output where exact number
 * formatting matters (Core prints amounts as BTC with 8 decimals, which a
 * generic JSON library re-formats). Output is indented two spaces. */
#ifndef TL_CLI_JSONW_H
#define TL_CLI_JSONW_H

#include <stdint.h>
#include <stdio.h>

struct jw {
	FILE *f;
	int depth;
	int first;      /* no element written yet at this depth */
	int after_key;  /* a key was just written */
};

void jw_init(struct jw *w, FILE *f);
void jw_obj(struct jw *w);        /* { */
void jw_arr(struct jw *w);        /* [ */
void jw_end_obj(struct jw *w);    /* } */
void jw_end_arr(struct jw *w);    /* ] */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
/* A number of satoshis as BTC with exactly 8 decimals. */
void jw_btc(struct jw *w, uint64_t sat);
void jw_hex(struct jw *w, const uint8_t *p, size_t n);
void jw_bool(struct jw *w, int v);
/* A value written as given (a number already formatted). */
void jw_raw(struct jw *w, const char *text);
/* Ends the document with a newline. */
void jw_finish(struct jw *w);

#endif
