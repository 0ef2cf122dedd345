/* GET /openapi.json: the compiled-in OpenAPI document. */
#include "api/openapi.h"

#include "api/serve.h"

extern const unsigned char tl_openapi_doc[];
extern const size_t tl_openapi_doc_len;

const char *tl_openapi_json(size_t *len)
{
	*len = tl_openapi_doc_len;
	return (const char *)tl_openapi_doc;
}

static void get_openapi(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	/* The contract changes only with the binary. */
	tl_api_req_set_header(req, "Cache-Control", "public, max-age=300");
	tl_api_reply_raw(req, 200, "application/json", tl_openapi_doc, tl_openapi_doc_len);
}

int tl_routes_openapi(struct tl_app *app, struct tl_err *err)
{
	return tl_api_route(app->srv, TL_GET, "/openapi.json", TL_ROLE_PUBLIC, get_openapi, app, err);
}
