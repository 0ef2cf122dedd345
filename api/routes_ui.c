/* The investigator's web app: its page and assets (built into the binary,
 * api/web_assets.h), the deep links that open it, and /v1/whoami, which
 * tells the page what the key it holds may do.
 *
 * The page and its assets are public: they hold no data. Everything the
 * app shows comes from the keyed API routes, called by the page with the
 * key the investigator typed in (kept in the tab's sessionStorage). The
 * Content-Security-Policy allows scripts, styles and connections to this
 * server alone, so the app cannot load anything from elsewhere. */
#include <string.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/serve.h"
#include "api/web_assets.h"

#define CSP "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; " \
	    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " \
	    "form-action 'self'"

static const struct tl_web_asset *find_asset(const char *name)
{
	for (size_t i = 0; i < tl_web_assets_count; i++)
		if (!strcmp(tl_web_assets[i].name, name)) return &tl_web_assets[i];
	return NULL;
}

static void send_asset(struct tl_api_req *req, const struct tl_web_asset *a, int is_page)
{
	tl_api_req_set_header(req, "X-Content-Type-Options", "nosniff");
	tl_api_req_set_header(req, "Referrer-Policy", "no-referrer");
	if (is_page) {
		tl_api_req_set_header(req, "Content-Security-Policy", CSP);
		tl_api_req_set_header(req, "Cache-Control", "no-store");
	} else {
		/* Revalidated on each load: a new binary serves new files at
		 * the same names. */
		tl_api_req_set_header(req, "Cache-Control", "no-cache");
		tl_api_req_set_header(req, "ETag", a->etag);
		const char *inm = tl_api_req_header(req, "If-None-Match");
		if (inm && !strcmp(inm, a->etag)) {
			tl_api_reply_raw(req, 304, a->type, NULL, 0);
			return;
		}
	}
	tl_api_reply_raw(req, 200, a->type, a->data, a->len);
}

/* GET /, /ui and every deep link: the app's page; the page reads the path. */
static void get_page(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	const struct tl_web_asset *a = find_asset("index.html");
	if (!a) {
		tl_api_reply_error(req, 500, "internal", "the web app was not built into this binary");
		return;
	}
	send_asset(req, a, 1);
}

/* GET /ui/assets/:name */
static void get_asset(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	const char *name = tl_api_req_param(req, "name");
	const struct tl_web_asset *a = find_asset(name);
	if (!a) {
		if (!strcmp(name, "cytoscape.mjs"))
			tl_api_reply_error(req, 404, "not_found",
					   "the graph library was not built in: run 'npm ci' in web/ and rebuild");
		else
			tl_api_reply_error(req, 404, "not_found", "no asset %s", name);
		return;
	}
	send_asset(req, a, 0);
}

/* GET /v1/whoami: the caller's role and key name. */
static void get_whoami(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	enum tl_api_role role = tl_api_req_role(req);
	json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "role", tl_role_name(role), "name", tl_api_req_key_name(req),
			      "network", app->net->name, "keys", app->opts.keys_file != NULL);
	tl_api_reply_json(req, 200, o);
}

/* GET /ui/config: what the page needs before it holds a key (public: no
 * data, only whether keys are required). */
static void get_config(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	tl_api_req_set_header(req, "Cache-Control", "no-store");
	tl_api_reply_json(req, 200, json_pack("{s:b,s:s}", "keys", app->opts.keys_file != NULL, "network", app->net->name));
}

int tl_routes_ui(struct tl_app *app, struct tl_err *err)
{
	static const char *const pages[] = {
		"/", "/ui", "/ui/address/:address", "/ui/tx/:txid", "/ui/block/:block",
		"/ui/heist/:id", "/ui/case", "/ui/case/:id", "/ui/search/:q", "/ui/cluster/:id",
		"/ui/eth/address/:address", "/ui/eth/tx/:hash",
	};
	struct tl_api_server *s = app->srv;
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (tl_api_route(s, TL_GET, pages[i], TL_ROLE_PUBLIC, get_page, app, err)) return -1;
	if (tl_api_route(s, TL_GET, "/ui/assets/:name", TL_ROLE_PUBLIC, get_asset, app, err) ||
	    tl_api_route(s, TL_GET, "/ui/config", TL_ROLE_PUBLIC, get_config, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/whoami", TL_ROLE_SCREEN, get_whoami, app, err))
		return -1;
	return tl_routes_cases(app, err) || tl_routes_watches(app, err) ? -1 : 0;
}
