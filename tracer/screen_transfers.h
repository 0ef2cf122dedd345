/* Transfers an exchange registers for screening (POST /v1/transfers): a
 * deposit screened by its source of funds, a withdrawal by the
 * destination of funds, the verdict stored (store/transfers.h) and
 * re-screened when tags or heists arrive (tl_screen_transfers_rescreen,
 * tracer/screen.h). */
#ifndef TL_TRACER_SCREEN_TRANSFERS_H
#define TL_TRACER_SCREEN_TRANSFERS_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "tracer/screen.h"

/* The verdict of a transfer: a deposit of address or outpoint (TXID:VOUT)
 * by tl_screen_address / tl_screen_outpoint, a withdrawal to address by
 * tl_screen_destination. Exactly one of address and outpoint. Returns a
 * new reference, or NULL with err. */
json_t *tl_screen_transfer_verdict(struct tl_screen *sc, int withdrawal, const char *address, const char *outpoint,
                                   struct tl_err *err);

/* Stores rec (an object with transfer_reference and user_id strings of
 * 1..TL_TRANSFER_KEY_MAX bytes) on the primary w under a new id, which
 * is set in rec as "id" and in *id. A reference registered before
 * stores nothing: returns 1 with *id the earlier transfer's. Returns 0,
 * 1, or -1 with err. */
int tl_screen_transfer_save(struct tl_store *w, json_t *rec, uint64_t *id, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
