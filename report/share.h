/* A stored heist as a partner gets it: traced with the trace command's
 * defaults, exported as a STIX 2.1 bundle or a MISP event under a TLP
 * level, signed with the organisation's key when one is given. The one
 * pipeline behind `taintline export --heist`, GET /v1/export and the
 * pushes of `serve` to its partners (api/partners.c). */
#ifndef TL_REPORT_SHARE_H
#define TL_REPORT_SHARE_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "report/tlp.h"
#include "taint/policy.h"
#include "tracer/storegraph.h"

struct tl_share_heist_opts {
	const char *format;       /* "stix" or "misp" */
	enum tl_policy policy;
	enum tl_tlp tlp;          /* the export's level */
	const char *producer;     /* NULL: "taintline" */
	const uint8_t *sign_key;  /* 32-byte secret, or NULL: unsigned */
};

/* The heist's effective TLP mark (store/tlp.h: its stored mark and its
 * definition's "tlp"). Returns 1 with *m, 0 for an unknown heist, -1. */
int tl_share_heist_mark(struct tl_store *st, const char *id, struct tl_tlp_mark *m, struct tl_err *err)
        __attribute__((warn_unused_result));

/* Exports heist id (see above). Refused, with err saying why, when the
 * heist is unknown, not traceable, or marked narrower than o->tlp (a
 * heist cannot go out to a wider audience than its own level).
 * Returns 0 with *out (new reference), or -1 with err. */
int tl_share_heist(struct tl_storegraph *sg, const char *id, const struct tl_share_heist_opts *o, json_t **out,
                   struct tl_err *err) __attribute__((warn_unused_result));

#endif
