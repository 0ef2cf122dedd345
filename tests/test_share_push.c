/* Two `serve` instances (real servers on 127.0.0.1) sharing under TLP:
 * each pushes its heists and their indicators to the other as signed
 * STIX bundles (POST /v1/partners/push -> the partner's POST /v1/share),
 * and on the receiving side a GREEN-cleared key sees the GREEN items and
 * nothing of the AMBER ones, while an AMBER key sees both.
 *
 * Independent truth: the indicators a partner should now hold are read
 * from the sender's own export of the heist (made on its database before
 * its server starts), and every
 * check on the receiver is against that list and the levels the sender
 * set, not against what the receiver computes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/auth.h"
#include "api/partners.h"
#include "api/serve.h"
#include "bitcoin/hash.h"
#include "report/share.h"
#include "report/sign.h"
#include "store/tlp.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/entities.h"

#define K_ADMIN "tlk_share_admin"
#define K_GREEN "tlk_share_green"
#define K_AMBER "tlk_share_amber"

struct side {
	char dir[4096], db[4200], keys[4200], partners[4200], skey[4200];
	char pub[65];
	uint16_t port;
	struct tl_app *app;
};

static char *root;
static struct side A, B;

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Keys: an admin key without a tlp= field (amber+strict), a GREEN and an
 * AMBER investigate key. */
static void write_keys(const char *path)
{
	struct tl_err err;
	char line[512], all[2048] = "";
	struct tl_clearance g = { .level = TL_TLP_GREEN }, a = { .level = TL_TLP_AMBER };
	assert_int_equal(tl_keyline_format(K_ADMIN, TL_ROLE_ADMIN, 0, "admin", line, sizeof line, &err), 0);
	strcat(all, line);
	assert_int_equal(tl_keyline_format_tlp(K_GREEN, TL_ROLE_INVESTIGATE, 0, &g, "green", line, sizeof line, &err), 0);
	strcat(all, line);
	assert_int_equal(tl_keyline_format_tlp(K_AMBER, TL_ROLE_INVESTIGATE, 0, &a, "amber", line, sizeof line, &err), 0);
	strcat(all, line);
	write_text(path, all);
}

/* The simulator's heist under another id and actor, marked level. */
struct own_heist {
	const char *id, *actor;
	enum tl_tlp level;
};

static void import_heists(struct side *s, const char *simdir, const struct own_heist *hs, size_t n)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/heists.json", simdir);
	json_error_t je;
	json_t *reg = json_load_file(path, 0, &je);
	assert_non_null(reg);
	json_t *h0 = json_array_get(json_object_get(reg, "heists"), 0);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_deep_copy(h0);
		json_object_set_new(h, "id", json_string(hs[i].id));
		json_object_set_new(h, "name", json_string(hs[i].id));
		json_object_set_new(h, "actor", json_string(hs[i].actor));
		json_array_append_new(out, h);
	}
	json_t *r2 = json_pack("{s:o}", "heists", out);
	snprintf(path, sizeof path, "%s/own-heists.json", s->dir);
	assert_int_equal(json_dump_file(r2, path, 0), 0);
	json_decref(r2);
	json_decref(reg);
	struct tl_store_opts so = { .cache_mb = 16 };
	struct tl_store *st = cf_store_open(s->db, &so);
	struct tl_err err;
	struct tl_heist_import_report hrep;
	if (tl_heists_import(st, path, &hrep, &err)) fail_msg("heists: %s", err.msg);
	assert_int_equal(hrep.added, n);
	/* what heist import --tlp writes */
	struct tl_batch *b = tl_batch_new(st);
	for (size_t i = 0; i < n; i++) {
		struct tl_tlp_mark m = { .level = hs[i].level };
		tl_tlp_mark_put(b, TL_TLP_HEIST, hs[i].id, &m);
	}
	assert_int_equal(tl_store_write(st, b, &err), 0);
	tl_batch_free(b);
	tl_store_close(st);
}

static void side_prepare(struct side *s, const char *name, const char *simdir)
{
	snprintf(s->dir, sizeof s->dir, "%s/%s", root, name);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(s->db, sizeof s->db, "%s/db", s->dir);
	char blocks[4200];
	snprintf(blocks, sizeof blocks, "%s/blocks", simdir);
	struct tl_index_opts io = cf_index_opts(blocks, s->db);
	cf_index_run(&io, NULL);
	snprintf(s->keys, sizeof s->keys, "%s/keys", s->dir);
	write_keys(s->keys);
	snprintf(s->skey, sizeof s->skey, "%s/signing.key", s->dir);
	struct tl_err err;
	uint8_t sec[32], pub[32];
	assert_int_equal(tl_sign_keygen(sec, &err), 0);
	assert_int_equal(tl_bip340_pubkey(sec, pub, &err), 0);
	assert_int_equal(tl_sign_key_write(s->skey, sec, &err), 0);
	tl_hex_encode(pub, 32, s->pub);
	s->port = free_port();
}

static void side_start(struct side *s, const char *org, const struct side *peer, const char *peer_org,
                       const char *peer_tlp)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "{\"organisation\": \"%s\", \"partners\": [{\"name\": \"%s\", \"url\": \"http://127.0.0.1:%u\", "
	         "\"pubkey\": \"%s\", \"tlp\": \"%s\"}]}",
	         org, peer_org, peer->port, peer->pub, peer_tlp);
	snprintf(s->partners, sizeof s->partners, "%s/partners.json", s->dir);
	write_text(s->partners, text);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", s->port);
	o.db_path = s->db;
	o.listen = listen;
	o.keys_file = s->keys;
	o.partners_file = s->partners;
	o.signing_key_file = s->skey;
	o.log = getenv("TL_TEST_LOG") ? stderr : NULL;
	struct tl_err err;
	if (tl_app_open(&o, &s->app, &err)) fail_msg("open %s: %s", org, err.msg);
	if (tl_app_start(s->app, &err)) fail_msg("start %s: %s", org, err.msg);
}

static json_t *get_json(const struct side *s, const char *key, const char *path, int want)
{
	struct resp r;
	assert_int_equal(http_do(s->port, "GET", path, key, NULL, 0, &r), 0);
	if (r.status != want) fail_msg("GET %s: %d, wanted %d: %.300s", path, r.status, want, r.body ? r.body : "");
	json_t *j = resp_json(&r);
	resp_free(&r);
	return j;
}

static json_t *post_json(const struct side *s, const char *key, const char *path, const char *body, int want)
{
	struct resp r;
	assert_int_equal(http_do(s->port, "POST", path, key, body, body ? strlen(body) : 0, &r), 0);
	if (r.status != want) fail_msg("POST %s: %d, wanted %d: %.300s", path, r.status, want, r.body ? r.body : "");
	json_t *j = resp_json(&r);
	resp_free(&r);
	return j;
}

/* The heists of a GET /v1/heists answer shared by partner, as an object
 * actor -> imported definition (borrowed from list). */
static json_t *shared_by(json_t *list, const char *partner)
{
	json_t *out = json_object();
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(list, "heists"), i, h)
	{
		json_t *d = json_object_get(h, "definition");
		const char *by = json_string_value(json_object_get(d, "shared_by"));
		if (by && !strcmp(by, partner))
			json_object_set(out, json_string_value(json_object_get(d, "actor")), h);
	}
	return out;
}

/* The sender's own export of a heist (what its push sends), made on its
 * database before the server starts: signed with its key. */
static json_t *own_export(const struct side *s, const char *heist, enum tl_tlp tlp)
{
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	struct tl_store *st = cf_store_open(s->db, &so);
	struct tl_storegraph *sg = NULL;
	struct tl_err err;
	uint8_t sec[32];
	assert_int_equal(tl_sign_key_read(s->skey, sec, &err), 0);
	assert_int_equal(tl_storegraph_new(st, &sg, &err), 0);
	struct tl_share_heist_opts o = { "stix", TL_POLICY_HAIRCUT, tlp, "test", sec };
	json_t *doc = NULL;
	if (tl_share_heist(sg, heist, &o, &doc, &err)) fail_msg("export %s: %s", heist, err.msg);
	tl_storegraph_free(sg);
	tl_store_close(st);
	return doc;
}

/* The addresses a bundle's indicators name. */
static json_t *indicator_addresses(const json_t *b)
{
	json_t *out = json_array();
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(b, "objects"), i, o)
	{
		const char *pat = json_string_value(json_object_get(o, "pattern"));
		const char *q = pat ? strchr(pat, '\'') : NULL;
		const char *e = q ? strchr(q + 1, '\'') : NULL;
		if (e) json_array_append_new(out, json_stringn(q + 1, (size_t)(e - q - 1)));
	}
	assert_true(json_array_size(out) >= 1);
	return out;
}

/* Posts a document to a server's /v1/share (no key: the signature is the
 * credential) with the product's client and a wide timeout: importing a
 * bundle of ten thousand objects on a loaded machine takes a while. */
static json_t *share(const struct side *s, const json_t *doc, int want, const char *code)
{
	char *body = json_dumps(doc, JSON_COMPACT);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u", s->port);
	int status = 0;
	char *resp = NULL;
	struct tl_err err;
	if (tl_http_post(url, "/v1/share", "application/json", body, strlen(body), 300000, &status, &resp, &err))
		fail_msg("POST /v1/share: %s", err.msg);
	free(body);
	if (status != want) fail_msg("POST /v1/share: %d, wanted %d: %.300s", status, want, resp);
	json_t *j = json_loads(resp, 0, NULL);
	free(resp);
	assert_non_null(j);
	if (code) assert_string_equal(json_string_value(json_object_get(j, "error")), code);
	return j;
}

/* One push round, as POST /v1/partners/push runs it (called directly:
 * the test's HTTP client gives up after 10 s, a round on a loaded
 * machine may take longer). */
static json_t *push(const struct side *s)
{
	json_t *rep = NULL;
	struct tl_err err;
	if (tl_partners_push(s->app, &rep, &err)) fail_msg("push: %s", err.msg);
	return rep;
}

/* The labels of the tags of source on addr that key sees. */
static int sees_label(const struct side *s, const char *key, const char *addr, const char *source, const char *label)
{
	char path[256];
	snprintf(path, sizeof path, "/v1/addresses/%s/tags", addr);
	json_t *j = get_json(s, key, path, 200);
	int found = 0;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(j, "tags"), i, t)
	{
		const char *src = json_string_value(json_object_get(t, "source"));
		const char *lb = json_string_value(json_object_get(t, "label"));
		if (src && lb && !strcmp(src, source) && !strcmp(lb, label)) found = 1;
	}
	json_decref(j);
	return found;
}

static int sent_count(json_t *rep, const char *what)
{
	json_t *p = json_array_get(json_object_get(rep, "partners"), 0);
	json_t *v = json_object_get(p, what);
	return json_is_array(v) ? (int)json_array_size(v) : (int)json_integer_value(v);
}

static void two_servers_share(void **state)
{
	(void)state;
	root = tu_tmpdir("share_push");
	char simdir[4200];
	snprintf(simdir, sizeof simdir, "%s/sim", root);
	cf_sim(simdir, 7, 200, 20, 1, true);
	side_prepare(&A, "a", simdir);
	side_prepare(&B, "b", simdir);
	const struct own_heist ah[] = { { "a-green", "Lazarus Group", TL_TLP_GREEN },
		                        { "a-amber", "Andariel", TL_TLP_AMBER } };
	const struct own_heist bh[] = { { "b-green", "Kimsuky", TL_TLP_GREEN },
		                        { "b-strict", "Bluenoroff", TL_TLP_AMBER_STRICT } };
	import_heists(&A, simdir, ah, 2);
	import_heists(&B, simdir, bh, 2);
	/* the truth, from the senders' own exports */
	json_t *agreen_doc = own_export(&A, "a-green", TL_TLP_GREEN);
	json_t *green_addrs = indicator_addresses(agreen_doc);
	json_t *bgreen_doc = own_export(&B, "b-green", TL_TLP_GREEN);
	json_t *bgreen_addrs = indicator_addresses(bgreen_doc);
	json_decref(bgreen_doc);
	/* A gives B up to AMBER, B gives A up to AMBER (so B's AMBER+STRICT
	 * heist stays home) */
	side_start(&A, "org-a", &B, "org-b", "amber");
	side_start(&B, "org-b", &A, "org-a", "amber");


	/* nothing shared yet */
	json_t *l = get_json(&B, K_AMBER, "/v1/heists", 200);
	json_t *sb = shared_by(l, "org-a");
	assert_int_equal(json_object_size(sb), 0);
	json_decref(sb);
	json_decref(l);

	/* A -> B */
	json_t *rep = push(&A);
	assert_int_equal(sent_count(rep, "sent"), 2);
	assert_int_equal(sent_count(rep, "errors"), 0);
	json_decref(rep);
	/* B -> A: the AMBER+STRICT heist is withheld */
	rep = push(&B);
	assert_int_equal(sent_count(rep, "sent"), 1);
	assert_int_equal(sent_count(rep, "withheld"), 1);
	assert_int_equal(sent_count(rep, "errors"), 0);
	json_decref(rep);

	/* on B, the GREEN key: the GREEN heist and nothing of the AMBER one */
	l = get_json(&B, K_GREEN, "/v1/heists", 200);
	sb = shared_by(l, "org-a");
	assert_int_equal(json_object_size(sb), 1);
	json_t *g = json_object_get(sb, "Lazarus Group");
	assert_non_null(g);
	assert_string_equal(json_string_value(json_object_get(json_object_get(g, "definition"), "tlp")), "green");
	char gid[80];
	snprintf(gid, sizeof gid, "%s", json_string_value(json_object_get(g, "id")));
	json_decref(sb);
	json_decref(l);
	/* the AMBER key sees both */
	l = get_json(&B, K_AMBER, "/v1/heists", 200);
	sb = shared_by(l, "org-a");
	assert_int_equal(json_object_size(sb), 2);
	json_t *am = json_object_get(sb, "Andariel");
	assert_non_null(am);
	assert_string_equal(json_string_value(json_object_get(json_object_get(am, "definition"), "tlp")), "amber");
	char aid[80];
	snprintf(aid, sizeof aid, "%s", json_string_value(json_object_get(am, "id")));
	json_decref(sb);
	json_decref(l);

	/* the AMBER heist does not exist for the GREEN key: the same answer
	 * as an unknown id, for the heist, its trace and its export */
	char path[256];
	snprintf(path, sizeof path, "/v1/heists/%s", aid);
	json_t *e1 = get_json(&B, K_GREEN, path, 404);
	json_t *e0 = get_json(&B, K_GREEN, "/v1/heists/org-a-00000000", 404);
	assert_string_equal(json_string_value(json_object_get(e1, "error")),
	                    json_string_value(json_object_get(e0, "error")));
	json_decref(e1);
	json_decref(e0);
	json_decref(get_json(&B, K_AMBER, path, 200));
	snprintf(path, sizeof path, "/v1/heists/%s/trace", aid);
	json_decref(get_json(&B, K_GREEN, path, 404));
	snprintf(path, sizeof path, "/v1/export?format=stix&heist=%s&tlp=amber", aid);
	json_decref(get_json(&B, K_GREEN, path, 404));
	snprintf(path, sizeof path, "/v1/heists/%s", gid);
	json_decref(get_json(&B, K_GREEN, path, 200));

	/* the indicators: every address A's GREEN export names carries, on B,
	 * the partner's "Lazarus Group" tag for the GREEN key, and the
	 * "Andariel" tag (same addresses, AMBER) only for the AMBER key */
	size_t i;
	json_t *a;
	json_array_foreach(green_addrs, i, a)
	{
		const char *ad = json_string_value(a);
		assert_true(sees_label(&B, K_GREEN, ad, "org-a", "Lazarus Group"));
		assert_false(sees_label(&B, K_GREEN, ad, "org-a", "Andariel"));
		assert_true(sees_label(&B, K_AMBER, ad, "org-a", "Andariel"));
	}

	/* on A, the GREEN key sees B's GREEN heist and its indicators, and
	 * nothing of the AMBER+STRICT one, which was never sent */
	l = get_json(&A, K_ADMIN, "/v1/heists", 200);
	sb = shared_by(l, "org-b");
	assert_int_equal(json_object_size(sb), 1);
	assert_non_null(json_object_get(sb, "Kimsuky"));
	json_decref(sb);
	json_decref(l);
	l = get_json(&A, K_GREEN, "/v1/heists", 200);
	sb = shared_by(l, "org-b");
	assert_int_equal(json_object_size(sb), 1);
	json_decref(sb);
	json_decref(l);
	json_array_foreach(bgreen_addrs, i, a)
	{
		assert_true(sees_label(&A, K_GREEN, json_string_value(a), "org-b", "Kimsuky"));
		assert_false(sees_label(&A, K_AMBER, json_string_value(a), "org-b", "Bluenoroff"));
	}

	/* a second round, through the route, sends nothing: nothing is new or
	 * changed (and so it is quick) */
	rep = post_json(&A, K_ADMIN, "/v1/partners/push", "", 200);
	assert_int_equal(sent_count(rep, "sent"), 0);
	assert_int_equal(sent_count(rep, "unchanged"), 2);
	json_decref(rep);

	/* the push route is for admins only */
	struct resp r;
	assert_int_equal(http_do(A.port, "POST", "/v1/partners/push", K_GREEN, "", 0, &r), 0);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);

	/* B takes only documents its partners signed, unaltered; the same
	 * document again adds nothing */
	json_t *ok = share(&B, agreen_doc, 200, NULL);
	assert_string_equal(json_string_value(json_object_get(ok, "partner")), "org-a");
	assert_int_equal(json_integer_value(json_object_get(ok, "heists_added")), 0);
	assert_int_equal(json_integer_value(json_object_get(ok, "tags_stored")), 0);
	assert_true(json_integer_value(json_object_get(ok, "tags_existing")) > 0);
	json_decref(ok);
	json_t *objs = json_object_get(agreen_doc, "objects");
	json_t *last = json_array_get(objs, json_array_size(objs) - 1);
	json_object_set_new(last, "name", json_string("changed in transit"));
	json_decref(share(&B, agreen_doc, 400, "bad_signature"));
	/* signed by a key B does not hold */
	struct tl_err err;
	uint8_t sec[32];
	assert_int_equal(tl_sign_keygen(sec, &err), 0);
	assert_int_equal(tl_sign_document(agreen_doc, sec, NULL, &err), 0);
	json_decref(share(&B, agreen_doc, 403, "unknown_signer"));
	json_decref(agreen_doc);

	json_decref(green_addrs);
	json_decref(bgreen_addrs);
	tl_app_close(A.app);
	tl_app_close(B.app);
	tu_rmrf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_servers_share),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
