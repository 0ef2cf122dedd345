/* The "write" update marker around command-line imports. */
#include <string.h>

#include "cli/write_mark.h"

int cli_write_begin(struct tl_store *s, bool *owned, struct tl_err *err)
{
	char cur[32];
	*owned = false;
	int r = tl_store_updating(s, cur, sizeof cur, err);
	if (r < 0) return -1;
	if (r == 1) {
		*owned = !strcmp(cur, "write");
		return 0;
	}
	return tl_store_update_begin(s, "write", owned, err);
}

int cli_write_end(struct tl_store *s, bool owned, struct tl_err *err)
{
	if (!owned) return 0;
	return tl_store_update_end(s, "write", err) < 0 ? -1 : 0;
}
