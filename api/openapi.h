/* The API's machine-readable contract: an OpenAPI 3.1 document
 * describing every route (Esplora under /api, /v1, /healthz, /metrics),
 * served at GET /openapi.json. */
#ifndef TL_API_OPENAPI_H
#define TL_API_OPENAPI_H

#include <stddef.h>

/* The pattern of the i-th Esplora route as registered ("/api/tx/:txid"),
 * or NULL past the last: lets the contract's test check that every route
 * is described. Static string. */
const char *tl_esplora_route_pattern(size_t i);

#endif
