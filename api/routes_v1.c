/* /v1/... routes: heists, tags, clusters (tracer/entities.h), and traces
 * and screening when the tracer provides them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/serve.h"
#include "chain/address.h"
#include "tracer/entities.h"

static int reply_store_error(struct tl_api_req *req, const struct tl_err *err)
{
	return tl_api_reply_error(req, 500, "store_error", "reading the index failed: %s", err->msg);
}

/* Checks an address of the database's network; replies 400 bad_address or
 * wrong_network. */
static int check_address(struct tl_api_req *req, struct tl_app *app, const char *addr)
{
	uint8_t script[42];
	size_t len;
	struct tl_err err;
	if (tl_address_to_script(addr, app->net, script, &len, &err) == 0) return 0;
	if (!strncmp(err.msg, "wrong network", 13))
		tl_api_reply_error(req, 400, "wrong_network", "%s (this server indexes %s)", err.msg, app->net->name);
	else
		tl_api_reply_error(req, 400, "bad_address", "%s", err.msg);
	return -1;
}

/* ---- heists ---- */

static json_t *heist_json(const struct tl_heist_info *h)
{
	json_t *def = h->json ? json_loads(h->json, 0, NULL) : NULL;
	return json_pack("{s:s,s:i,s:b,s:o}", "id", h->id, "num", (json_int_t)h->num, "traceable", h->traceable,
			 "definition", def ? def : json_null());
}

static int list_cb(void *ctx, const struct tl_heist_info *h)
{
	json_array_append_new(ctx, heist_json(h));
	return 0;
}

static void get_heists(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	json_t *a = json_array();
	struct tl_err err;
	if (tl_heists_list(app->store, list_cb, a, &err) < 0) {
		json_decref(a);
		reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:o}", "heists", a));
}

static void get_heist(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *id = tl_api_req_param(req, "id");
	struct tl_heist_info h;
	struct tl_err err;
	int rc = tl_heist_get(app->store, id, &h, &err);
	if (rc < 0) {
		reply_store_error(req, &err);
		return;
	}
	if (rc == 0) {
		tl_api_reply_error(req, 404, "not_found", "no heist '%s' (GET /v1/heists lists them)", id);
		return;
	}
	json_t *j = heist_json(&h);
	free(h.json);
	tl_api_reply_json(req, 200, j);
}

/* ---- tags and clusters ---- */

static int tag_cb(void *ctx, const struct tl_tag_rec *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "label", json_string(t->label ? t->label : ""));
	json_object_set_new(o, "category", json_string(t->category ? t->category : ""));
	json_object_set_new(o, "source", json_string(t->source ? t->source : ""));
	json_object_set_new(o, "confidence", t->confidence >= 0 ? json_integer(t->confidence) : json_null());
	if (t->entity && *t->entity) json_object_set_new(o, "entity", json_string(t->entity));
	if (t->notes && *t->notes) json_object_set_new(o, "notes", json_string(t->notes));
	if (t->chain && *t->chain) json_object_set_new(o, "chain", json_string(t->chain));
	json_array_append_new(ctx, o);
	return json_array_size(ctx) >= 1000; /* enough for one answer */
}

static json_t *cluster_json(struct tl_app *app, uint64_t cid, const struct tl_cluster_summary *sum)
{
	char cats[256];
	json_t *names = json_array();
	tl_tagcat_names(sum->cats, cats, sizeof cats);
	for (char *p = cats, *tok; (tok = strtok_r(p, ",", &p));) json_array_append_new(names, json_string(tok));
	(void)app;
	return json_pack("{s:I,s:I,s:o,s:s?,s:I}", "id", (json_int_t)cid, "size", (json_int_t)sum->size, "categories",
			 names, "label", sum->label[0] ? sum->label : NULL, "tagged_members", (json_int_t)sum->tagged);
}

static void get_address_tags(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *addr = tl_api_req_param(req, "address");
	const char *chain = tl_api_req_query(req, "chain");
	if (!chain && check_address(req, app, addr) < 0) return;
	struct tl_err err;
	json_t *tags = json_array();
	if (tl_tags_of_address(app->store, chain, addr, tag_cb, tags, &err) < 0) {
		json_decref(tags);
		reply_store_error(req, &err);
		return;
	}
	json_t *o = json_pack("{s:s,s:o}", "address", addr, "tags", tags);
	uint64_t id;
	int rc = chain ? 0 : tl_store_addr_id_of_string(app->store, addr, &id, &err);
	json_object_set_new(o, "seen", json_boolean(rc == 1));
	if (rc == 1) {
		uint64_t cid;
		struct tl_cluster_summary sum;
		if (tl_cluster_of(app->store, id, &cid, &err) == 0 && tl_cluster_summary(app->store, cid, &sum, &err) >= 0)
			json_object_set_new(o, "cluster", cluster_json(app, cid, &sum));
	}
	tl_api_reply_json(req, 200, o);
}

static void get_cluster(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *s = tl_api_req_param(req, "id");
	char *end = NULL;
	unsigned long long cid = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
	if (!end || *end || cid == 0) {
		tl_api_reply_error(req, 400, "bad_cluster", "'%s' is not a cluster id (a positive integer)", s ? s : "");
		return;
	}
	struct tl_err err;
	struct tl_cluster_summary sum;
	int rc = tl_cluster_summary(app->store, cid, &sum, &err);
	if (rc < 0) {
		reply_store_error(req, &err);
		return;
	}
	if (rc == 0) {
		/* No summary: a singleton, if the address exists. */
		struct tl_addr_info ai;
		rc = tl_store_addr_info(app->store, cid, &ai, &err);
		if (rc < 0) {
			reply_store_error(req, &err);
			return;
		}
		if (rc == 0) {
			tl_api_reply_error(req, 404, "not_found", "no cluster %llu", cid);
			return;
		}
	}
	json_t *o = cluster_json(app, cid, &sum);
	json_t *tags = json_array();
	if (tl_tags_of_cluster(app->store, cid, tag_cb, tags, &err) < 0) {
		json_decref(tags);
		json_decref(o);
		reply_store_error(req, &err);
		return;
	}
	json_object_set_new(o, "tags", tags);
	tl_api_reply_json(req, 200, o);
}

/* POST /v1/tags: the body is a tag file (CSV, OFAC SDN XML or TagPack
 * YAML; ?format= or detected). Imported through the primary. */
struct import_ctx {
	const char *path;
	enum tl_tag_format fmt;
	struct tl_tag_import_report rep;
};

static int import_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct import_ctx *x = ctx;
	return tl_tags_import(w, x->path, x->fmt, &x->rep, err);
}

static void post_tags(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	size_t len;
	const char *body = tl_api_req_body(req, &len);
	if (len == 0) {
		tl_api_reply_error(req, 400, "bad_request", "the body must be a tag file (CSV, OFAC SDN XML or TagPack)");
		return;
	}
	struct import_ctx x;
	memset(&x, 0, sizeof x);
	x.fmt = TL_TAGFMT_AUTO;
	const char *f = tl_api_req_query(req, "format");
	if (f) {
		if (!strcmp(f, "csv")) x.fmt = TL_TAGFMT_CSV;
		else if (!strcmp(f, "ofac") || !strcmp(f, "ofac-xml")) x.fmt = TL_TAGFMT_OFAC_XML;
		else if (!strcmp(f, "tagpack")) x.fmt = TL_TAGFMT_TAGPACK;
		else if (strcmp(f, "auto")) {
			tl_api_reply_error(req, 400, "bad_request", "format must be csv, ofac-xml, tagpack or auto");
			return;
		}
	}
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/taintline-tags-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		tl_api_reply_error(req, 500, "internal", "cannot create a temporary file: %s", strerror(errno));
		return;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, body + off, len - off);
		if (w <= 0) break;
		off += (size_t)w;
	}
	close(fd);
	x.path = path;
	struct tl_err err;
	int rc = off == len ? tl_app_write(app, import_fn, &x, &err) : tl_err_set(&err, "cannot write the body");
	unlink(path);
	if (rc < 0) {
		if (strstr(err.msg, "in use"))
			tl_api_reply_error(req, 409, "database_busy", "%s; import with 'taintline tags import' instead",
					   err.msg);
		else
			tl_api_reply_error(req, 400, "bad_tags", "%s", err.msg);
		return;
	}
	json_t *msgs = json_array();
	for (int i = 0; i < x.rep.parse.nmsgs; i++) json_array_append_new(msgs, json_string(x.rep.parse.msgs[i]));
	tl_api_reply_json(req, 200,
			  json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "format",
				    tl_tag_format_name(x.rep.parse.format), "records", (json_int_t)x.rep.parse.records,
				    "skipped", (json_int_t)x.rep.parse.skipped, "stored", (json_int_t)x.rep.stored,
				    "existing", (json_int_t)x.rep.existing, "seen", (json_int_t)x.rep.seen, "unseen",
				    (json_int_t)x.rep.unseen, "other_chain", (json_int_t)x.rep.other_chain, "messages",
				    msgs));
}

int tl_routes_v1(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	if (tl_api_route(s, TL_GET, "/v1/heists", TL_ROLE_SCREEN, get_heists, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/heists/:id", TL_ROLE_SCREEN, get_heist, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/addresses/:address/tags", TL_ROLE_SCREEN, get_address_tags, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/clusters/:id", TL_ROLE_INVESTIGATE, get_cluster, app, err) ||
	    tl_api_route(s, TL_POST, "/v1/tags", TL_ROLE_ADMIN, post_tags, app, err))
		return -1;
	return 0;
}
