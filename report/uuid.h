/* Name-based UUIDs (RFC 9562 version 5, SHA-1): the form STIX 2.1 §2.9
 * asks of cyber-observable ids, and how taintline derives every other id
 * of an export, so that the same trace exported twice is the same bundle
 * (and a signed export can be recomputed byte for byte). */
#ifndef TL_REPORT_UUID_H
#define TL_REPORT_UUID_H

#include <stddef.h>

/* STIX 2.1's namespace for cyber-observable ids. */
#define TL_UUID_NS_STIX_SCO "00abedb4-aa42-466c-9c01-fed23315a9b7"
/* taintline's namespace for the ids of everything else it exports. */
#define TL_UUID_NS_TAINTLINE "9d4c2b7e-53a1-4f6e-8b0d-2e7a61c5f403"

/* UUIDv5 of name (len bytes) in namespace ns (text form); out gets the
 * lower-case text form (37 bytes). Returns 0, or -1 if ns is malformed. */
int tl_uuid5(const char *ns, const void *name, size_t len, char out[37]);

#endif
