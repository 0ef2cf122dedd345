/* Sharing between deployments without a central server: `serve` posts
 * signed STIX 2.1 bundles of its heists and their indicators to partner
 * servers (each only what its TLP level allows) and accepts theirs.
 *
 * Partners file (JSON; docs/sharing.md):
 *   {"organisation": "NAME",           producer name and our import source
 *    "default_tlp": "amber",           level of heists marked with none
 *    "partners": [{"name": "NAME",     import source of what it sends
 *                  "url": "http://host:port",   where to push (optional)
 *                  "pubkey": "64 hex",          its BIP-340 signing key
 *                  "tlp": "amber",              the widest level it gets
 *                  "audience": "NAME",          for "red": the audience
 *                  "accept": true}]}            take its pushes (default)
 *
 * Routes (api/openapi.json):
 *   GET  /v1/export?format=stix|misp&heist=ID&tlp=LEVEL[&policy=P]
 *        (investigate): a heist's export, signed with the server's key
 *        when it has one; a heist above the caller's clearance is 404;
 *   POST /v1/share (no API key: the signature is the credential): a
 *        partner's signed bundle or MISP event, imported as tags and a
 *        heist (report/import.h) under that partner's name; 403 when the
 *        signer is not a partner, 400 when the signature does not verify;
 *   POST /v1/partners/push (admin): one push round now.
 * A push round sends each partner the heists it may get that are new or
 * changed since the last round of this process (a heist's definition, its
 * level, or the ids of its bundle's objects, which are name-based: a new
 * wallet or transaction in its trace changes them). A heist whose
 * definition and level are unchanged with no new block since it was sent
 * is not even traced again. Heists that came
 * from a partner ("shared_by" in their definition) are not sent on. */
#ifndef TL_API_PARTNERS_H
#define TL_API_PARTNERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

struct tl_app;
struct tl_partners;

/* Loads a partners file (NULL path: no partners) and the signing key
 * (NULL: exports unsigned, no pushes). Returns 0 with *out (free with
 * tl_partners_free), or -1 with err naming the file and entry. */
int tl_partners_load(const char *path, const char *signing_key_file, struct tl_partners **out, struct tl_err *err)
        __attribute__((warn_unused_result));
void tl_partners_free(struct tl_partners *p);
/* Parses partners-file text (no signing key); name is used in messages.
 * Returns 0 with *out, or -1 with err. */
int tl_partners_parse(const char *text, size_t len, const char *name, struct tl_partners **out, struct tl_err *err)
        __attribute__((warn_unused_result));
/* 1 when p holds a partner named name with that public key. */
int tl_partners_has(const struct tl_partners *p, const char *name, const uint8_t pub[32]);

/* Registers the routes above on app's server (app->partners set or NULL). */
int tl_routes_share(struct tl_app *app, struct tl_err *err) __attribute__((warn_unused_result));

/* One push round (see above). *report: per partner, what was sent,
 * unchanged or failed (new reference). Returns 0, or -1 with err when
 * nothing could be tried (no partners, no signing key). */
int tl_partners_push(struct tl_app *app, json_t **report, struct tl_err *err) __attribute__((warn_unused_result));

/* Starts / stops the thread that runs a push round every interval_s
 * seconds (0: none). */
int tl_partners_start(struct tl_app *app, int interval_s, struct tl_err *err) __attribute__((warn_unused_result));
void tl_partners_stop(struct tl_app *app);

/* Posts body to url + path (http:// only, numeric or resolvable host)
 * and waits up to timeout_ms. Returns 0 with *status and *resp
 * (malloc'd, NUL-terminated), or -1 with err (no connection, timeout). */
int tl_http_post(const char *url, const char *path, const char *ctype, const char *body, size_t len, int timeout_ms,
                 int *status, char **resp, struct tl_err *err) __attribute__((warn_unused_result));

#endif
