/* The API's machine-readable contract: an OpenAPI 3.1 document
 * (api/openapi.json, compiled in by CMakeLists.txt) describing every
 * route (Esplora under /api, /v1, /healthz, /metrics), served at
 * GET /openapi.json. */
#ifndef TL_API_OPENAPI_H
#define TL_API_OPENAPI_H

#include <stddef.h>

#include "base/err.h"

struct tl_app;

/* The document's bytes (NUL-terminated JSON) and length. Static. */
const char *tl_openapi_json(size_t *len);

/* Registers GET /openapi.json (public: a client reads the contract
 * before it has a key). Returns 0 or -1 with err. */
int tl_routes_openapi(struct tl_app *app, struct tl_err *err) __attribute__((warn_unused_result));

/* The pattern of the i-th Esplora route as registered ("/api/tx/:txid"),
 * or NULL past the last: lets the contract's test check that every route
 * is described. Static string. */
const char *tl_esplora_route_pattern(size_t i);

#endif
