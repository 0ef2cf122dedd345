/* TLP 2.0 levels and their STIX 2.1 marking definitions (the objects
 * OASIS publishes with the tlp-2.0 extension; a bundle carries the ones
 * it uses). */
#ifndef TL_REPORT_TLP_H
#define TL_REPORT_TLP_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "store/tlp.h" /* enum tl_tlp */

/* Parses "clear", "green", "amber", "amber+strict", "red" (any case, an
 * optional "TLP:" prefix; "white" is TLP 1.0's CLEAR). Returns 0 or -1. */
int tl_tlp_parse(const char *s, enum tl_tlp *out, struct tl_err *err) __attribute__((warn_unused_result));
/* "clear" ... "red": the tlp_2_0 property value and MISP's tag suffix. */
const char *tl_tlp_name(enum tl_tlp t);
/* "marking-definition--..." of the level. Static. */
const char *tl_tlp_marking_id(enum tl_tlp t);
/* The marking-definition object of the level (new reference). */
json_t *tl_tlp_marking(enum tl_tlp t);

/* Whether a heist definition (its JSON text as stored) may go out at
 * level want: a definition with a "tlp" member (one a partner shared, or
 * a registry marked so) may not be exported to a wider audience than that
 * level. Returns 1 if allowed; 0 with reason; a definition without "tlp"
 * is the organisation's own and always allowed. */
int tl_tlp_allows(const char *definition_json, enum tl_tlp want, char *reason, size_t cap);

#endif
