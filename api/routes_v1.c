/* /v1/... routes: heists, traces, screening, clusters, tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/serve.h"

int tl_routes_v1(struct tl_app *app, struct tl_err *err)
{
	(void)app;
	(void)err;
	return 0;
}
