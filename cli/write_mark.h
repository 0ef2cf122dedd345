/* The update marker around a command-line write (tags import, heist
 * import), as the API marks its writes: a `serve` beside the command (a
 * secondary) switches to the new state only once the whole write,
 * screening update included, is in. */
#ifndef TL_CLI_WRITE_MARK_H
#define TL_CLI_WRITE_MARK_H

#include <stdbool.h>

#include "base/err.h"
#include "store/store.h"

/* Sets the "write" stage unless another writer's stage is unfinished (an
 * index run's stays named). A "write" stage already set was left by a
 * write that died: the command holds the database, so no other write can
 * be under way, and the command takes it over. *owned says whether
 * cli_write_end must end it. Returns 0 or -1 (message in err). */
int cli_write_begin(struct tl_store *s, bool *owned, struct tl_err *err) __attribute__((warn_unused_result));
/* Ends the stage when owned; call also after a failed write (what it
 * wrote stands, and a marker left behind holds readers back for good).
 * Returns 0 or -1. */
int cli_write_end(struct tl_store *s, bool owned, struct tl_err *err) __attribute__((warn_unused_result));

#endif
