/* The update marker: meta "updating" names the unfinished stage of a
 * writer that changes the database in several batches (an index run, the
 * screening update after it, a write through the API). Readers beside the
 * writer serve only states without it (store/views.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define MARKER "updating"

void tl_batch_put_updating(struct tl_batch *b, const char *stage)
{
	tl_batch_put_meta(b, MARKER, stage);
}

int tl_store_updating(struct tl_store *s, char *stage, size_t cap, struct tl_err *err)
{
	char *v = NULL;
	int r = tl_store_get_meta(s, MARKER, &v, err);
	if (r <= 0) {
		if (cap) stage[0] = 0;
		return r;
	}
	if (cap) snprintf(stage, cap, "%s", v);
	free(v);
	return 1;
}

/* Writes through an ordinary batch: the marker is one small meta row. */
static int write_marker(struct tl_store *s, const char *stage, struct tl_err *err)
{
	struct tl_batch *b = tl_batch_new(s);
	if (stage) tl_batch_put_updating(b, stage);
	else tl_batch_del(b, TL_CF_META, MARKER, strlen(MARKER));
	int rc = tl_store_write(s, b, err);
	tl_batch_free(b);
	return rc;
}

int tl_store_update_begin(struct tl_store *s, const char *stage, bool *began, struct tl_err *err)
{
	char cur[32];
	*began = false;
	int r = tl_store_updating(s, cur, sizeof cur, err);
	if (r < 0) return -1;
	if (r == 1) return 0; /* another stage is unfinished: it stays named */
	if (write_marker(s, stage, err) < 0) return -1;
	*began = true;
	return 0;
}

int tl_store_update_end(struct tl_store *s, const char *stage, struct tl_err *err)
{
	char cur[32];
	int r = tl_store_updating(s, cur, sizeof cur, err);
	if (r <= 0) return r;
	if (strcmp(cur, stage)) return 0;
	return write_marker(s, NULL, err);
}
