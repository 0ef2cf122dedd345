/* Private to api/: glue between server.c and http_json.c. */
#ifndef TL_API_SERVER_INT_H
#define TL_API_SERVER_INT_H

#include <jansson.h>

#include "api/server.h"

/* The request's parsed-body slot (NULL until http_json.c parses it);
 * server.c releases the value after the handler returns. */
json_t **tl_api_req_json_slot(struct tl_api_req *req);

#endif
