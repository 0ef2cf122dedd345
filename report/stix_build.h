/* The STIX 2.1 bundle builder of report/stix.c, shared with the case
 * export (report/case_export.c): objects are added marked with the
 * bundle's TLP level; ids are name-based (UUIDv5) so the same input gives
 * the same bundle. Internal to report/. */
#ifndef TL_REPORT_STIX_BUILD_H
#define TL_REPORT_STIX_BUILD_H

#include <stddef.h>

#include <jansson.h>

#include "report/tlp.h"

struct tl__stix_bld {
	json_t *objs;    /* the bundle's objects */
	json_t *ids;     /* id -> true, every object added */
	json_t *wallets; /* address -> wallet id */
	const char *marking, *created, *producer_id;
};

/* "type--uuid5(taintline namespace, type ':' key)" into out. */
void tl__stix_sdo_id(const char *type, const char *key, char *out, size_t cap);
/* Adds obj (stolen) marked with b->marking. */
void tl__stix_add(struct tl__stix_bld *b, json_t *obj);
/* A new SDO/SRO with the common properties (new reference). */
json_t *tl__stix_sdo(struct tl__stix_bld *b, const char *type, const char *id);
/* The cryptocurrency-wallet of address, added once (id owned by b). */
const char *tl__stix_wallet(struct tl__stix_bld *b, const char *address);
/* The id of the BTC cryptocurrency-transaction txid (display hex). */
void tl__stix_tx_id(const char *txid, char *out, size_t cap);
/* The markings (tlp, and CLEAR for the extension objects), the extension
 * definitions and the producer's identity (b->producer_id). */
void tl__stix_begin(struct tl__stix_bld *b, enum tl_tlp tlp, const char *producer);
/* 1 for objects a report does not list (markings, extension definitions,
 * the producer and the extension's author). */
int tl__stix_is_meta(const struct tl__stix_bld *b, const json_t *obj);

#endif
