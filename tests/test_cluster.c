/* Clustering on simulated chains: no cluster mixes two simulated entities
 * (precision 1.0 against truth.json), CoinJoin rounds detected (recall >=
 * 0.95 against truth.json), clusters equal to a naive union-find over the
 * indexed transactions, cluster summaries equal to the union of their
 * members' tags (tags imported before and after indexing), and a reorg
 * leaves the same database as a fresh index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/pubkey.h"
#include "bitcoin/script.h"
#include "indexer/cluster.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "store/tags.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"

static char *g_dir;

static void sim(const char *sub, uint64_t seed, uint32_t blocks)
{
	char d[512];
	snprintf(d, sizeof d, "%s/%s", g_dir, sub);
	cf_sim(d, seed, blocks, 25, 0, true);
}

static void index_into(const char *sub, const char *db, int no_cluster)
{
	char bd[512], dp[512];
	snprintf(bd, sizeof bd, "%s/%s/blocks", g_dir, sub);
	snprintf(dp, sizeof dp, "%s/%s", g_dir, db);
	struct tl_index_opts o = cf_index_opts(bd, dp);
	o.no_cluster = no_cluster;
	o.batch_tx = 700;
	cf_index_run(&o, NULL);
}

static struct tl_store *open_db(const char *db, int create)
{
	char dp[512];
	snprintf(dp, sizeof dp, "%s/%s", g_dir, db);
	struct tl_store_opts so = { .create = create, .net = tl_net_params(TL_NET_REGTEST), .cache_mb = 8 };
	return cf_store_open(dp, &so);
}

static json_t *truth(const char *sub)
{
	char d[512];
	snprintf(d, sizeof d, "%s/%s", g_dir, sub);
	return cf_sim_truth(d);
}

/* naive union-find over addr_ids */
static uint64_t *g_par;
static uint64_t uf(uint64_t x)
{
	while (g_par[x] != x) x = g_par[x] = g_par[g_par[x]];
	return x;
}

static void test_precision_recall_naive(void **st)
{
	(void)st;
	sim("a", 11, 260);
	index_into("a", "dba", 0);
	struct tl_store *s = open_db("dba", 0);
	struct tl_err err;
	json_t *t = truth("a");

	/* precision: cluster -> entity must be a function */
	size_t ncl = 0, cap = 1024;
	uint64_t(*owner)[2] = malloc(cap * sizeof *owner); /* cluster id, entity index + 1 */
	json_t *ents = json_object_get(t, "entities"), *e;
	size_t ei;
	size_t checked = 0;
	json_array_foreach(ents, ei, e) {
		json_t *addrs = json_object_get(e, "addresses"), *a;
		size_t ai;
		json_array_foreach(addrs, ai, a) {
			uint64_t id, cid;
			int rc = tl_store_addr_id_of_string(s, json_string_value(a), &id, &err);
			assert_true(rc >= 0);
			if (rc == 0) continue;
			assert_int_equal(tl_cluster_of(s, id, &cid, &err), 0);
			size_t k;
			for (k = 0; k < ncl && owner[k][0] != cid; k++) ;
			if (k == ncl) {
				if (ncl == cap) owner = realloc(owner, (cap *= 2) * sizeof *owner);
				owner[ncl][0] = cid;
				owner[ncl][1] = ei + 1;
				ncl++;
			} else if (owner[k][1] != ei + 1) {
				fail_msg("cluster %llu holds addresses of entities %llu and %zu",
					 (unsigned long long)cid, (unsigned long long)owner[k][1] - 1, ei);
			}
			checked++;
		}
	}
	assert_true(checked > 500);
	free(owner);

	/* CoinJoin recall */
	json_t *cjs = json_object_get(t, "coinjoin_txids"), *cj;
	size_t ci, found = 0, total = json_array_size(cjs);
	assert_true(total >= 5);
	uint64_t *truth_cj = calloc(total, sizeof *truth_cj);
	json_array_foreach(cjs, ci, cj) {
		uint8_t txid[32];
		const char *hex = json_string_value(cj);
		for (int i = 0; i < 32; i++) sscanf(hex + 2 * i, "%2hhx", &txid[31 - i]);
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx_by_txid(s, txid, &r, &err), 1);
		truth_cj[ci] = r.tx_num;
		if (tl_tx_coinjoin(s, r.tx_num, &err) > 0) found++;
		tl_tx_rec_free(&r);
	}
	print_message("coinjoin recall %zu/%zu\n", found, total);
	assert_true(found * 100 >= total * 95);

	/* naive union-find over common inputs of non-CoinJoin transactions;
	 * the same pass measures detection precision */
	size_t flagged = 0, false_pos = 0;
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	g_par = malloc(tip.next_addr_id * sizeof *g_par);
	for (uint64_t i = 0; i < tip.next_addr_id; i++) g_par[i] = i;
	for (uint64_t tn = 0; tn < tip.next_tx_num; tn++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx(s, tn, &r, &err), 1);
		int cjk = tl_tx_coinjoin(s, tn, &err);
		assert_int_equal(cjk, tl_coinjoin_detect(&r));
		if (cjk) {
			int in_truth = 0;
			for (size_t k = 0; k < total; k++)
				if (truth_cj[k] == tn) in_truth = 1;
			flagged++;
			if (!in_truth) {
				false_pos++;
				print_message("not a simulated CoinJoin: tx %llu kind %s, %u in, %u out\n",
					      (unsigned long long)tn, tl_coinjoin_kind_name(cjk), r.n_in, r.n_out);
			}
		}
		if (!cjk && !(r.flags & TL_TX_COINBASE)) {
			uint64_t first = 0;
			for (uint32_t i = 0; i < r.n_in; i++) {
				if (r.in[i].kind != TL_IN_KNOWN || !r.in[i].addr_id) continue;
				if (!first) first = r.in[i].addr_id;
				else g_par[uf(r.in[i].addr_id)] = uf(first);
			}
		}
		tl_tx_rec_free(&r);
	}
	print_message("coinjoin precision %zu/%zu\n", flagged - false_pos, flagged);
	assert_int_equal(false_pos, 0);
	free(truth_cj);
	/* same partition: naive root <-> stored cluster id one to one, same sizes */
	uint64_t *map = calloc(tip.next_addr_id, sizeof *map), *size = calloc(tip.next_addr_id, sizeof *size);
	uint64_t multi = 0;
	for (uint64_t a = 1; a < tip.next_addr_id; a++) size[uf(a)]++;
	for (uint64_t a = 1; a < tip.next_addr_id; a++) {
		uint64_t cid, root = uf(a);
		assert_int_equal(tl_cluster_of(s, a, &cid, &err), 0);
		if (!map[root]) map[root] = cid;
		assert_int_equal(map[root], cid);
		struct tl_cluster_summary sum;
		assert_true(tl_cluster_summary(s, cid, &sum, &err) >= 0);
		assert_int_equal(sum.size, size[root]);
		if (size[root] > 1 && root == a) {
			multi++;
			/* id stability rule: the id is a member */
			uint64_t c2;
			assert_int_equal(tl_cluster_of(s, cid, &c2, &err), 0);
			assert_int_equal(c2, cid);
			/* the member list is exactly the naive class */
			int nm = (int)size[root];
			uint64_t *ids;
			assert_int_equal(tl_cluster_members_all(s, cid, &ids, &err), nm);
			for (int i = 0; i < nm; i++) {
				assert_int_equal(uf(ids[i]), root);
				if (i) assert_true(ids[i] > ids[i - 1]);
			}
			free(ids);
			/* one link per absorbed id (every member but the id); each
			 * names a transaction that spent both of its addresses */
			struct tl_cluster_link *ln = malloc((size_t)nm * sizeof *ln);
			assert_int_equal(tl_cluster_links(s, cid, ln, nm, &err), nm - 1);
			for (int i = 0; i < nm - 1; i++) {
				assert_int_equal(uf(ln[i].a), root);
				assert_int_equal(uf(ln[i].b), root);
				assert_true(ln[i].a != ln[i].b);
				assert_true(ln[i].tx_num < tip.next_tx_num);
				if (ln[i].kind != TL_LINK_COMMON_INPUT) {
					assert_int_equal(ln[i].kind, TL_LINK_PUBKEY_FORMS);
					continue;
				}
				struct tl_tx_rec r;
				assert_int_equal(tl_store_tx(s, ln[i].tx_num, &r, &err), 1);
				int fa = 0, fb = 0;
				for (uint32_t k = 0; k < r.n_in; k++) {
					fa |= r.in[k].kind == TL_IN_KNOWN && r.in[k].addr_id == ln[i].a;
					fb |= r.in[k].kind == TL_IN_KNOWN && r.in[k].addr_id == ln[i].b;
				}
				assert_true(fa && fb);
				tl_tx_rec_free(&r);
			}
			free(ln);
			/* an untagged cluster keeps no summary record (its size is on
			 * the id's own record) */
			if (!sum.tagged && !sum.cats) {
				uint8_t sk[9], *sv = NULL;
				size_t svl;
				tl_cluster_summary_key(cid, sk);
				assert_int_equal(tl_store_get_kv(s, TL_CF_CLUSTER, sk, 9, &sv, &svl, &err), 0);
				free(sv);
			}
		}
	}
	assert_true(multi > 10);
	free(map);
	free(size);
	free(g_par);
	json_decref(t);
	tl_store_close(s);
}

/* What the tags file says, per address: category bits. */
static uint32_t naive_cats(const char *sub, struct tl_store *s, uint64_t cid)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s/tags.csv", g_dir, sub);
	FILE *f = fopen(p, "r");
	char line[1024];
	uint32_t cats = 0;
	struct tl_err err;
	while (fgets(line, sizeof line, f)) {
		char *chain = strtok(line, ","), *addr = strtok(NULL, ","), *label = strtok(NULL, ","),
		     *cat = strtok(NULL, ",");
		(void)chain;
		(void)label;
		if (!cat || !strcmp(addr, "address")) continue;
		uint64_t id, c;
		if (tl_store_addr_id_of_string(s, addr, &id, &err) != 1) continue;
		assert_int_equal(tl_cluster_of(s, id, &c, &err), 0);
		if (c == cid) cats |= tl_tagcat_bit(cat);
	}
	fclose(f);
	return cats;
}

static int count_tag(void *ctx, const struct tl_tag_rec *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static void test_tags_of_clusters(void **st)
{
	(void)st;
	sim("b", 5, 200);
	char tags[512];
	snprintf(tags, sizeof tags, "%s/b/tags.csv", g_dir);
	struct tl_err err;
	struct tl_tag_import_report rep;
	/* db1: tags first (addresses not seen yet), then index */
	struct tl_store *s = open_db("db1", 1);
	assert_int_equal(tl_tags_import(s, tags, TL_TAGFMT_AUTO, &rep, &err), 0);
	assert_int_equal(rep.seen, 0);
	tl_store_close(s);
	index_into("b", "db1", 0);
	/* db2: index, then tags */
	index_into("b", "db2", 0);
	s = open_db("db2", 0);
	assert_int_equal(tl_tags_import(s, tags, TL_TAGFMT_AUTO, &rep, &err), 0);
	tl_store_close(s);
	struct tl_store *s1 = open_db("db1", 0), *s2 = open_db("db2", 0);
	FILE *f = fopen(tags, "r");
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof line, f) && n < 60) {
		char *chain = strtok(line, ","), *addr = strtok(NULL, ",");
		(void)chain;
		if (!addr || !strcmp(addr, "address")) continue;
		uint64_t id;
		if (tl_store_addr_id_of_string(s1, addr, &id, &err) != 1) continue;
		struct tl_entity e1, e2;
		assert_int_equal(tl_entity_get(s1, id, &e1, &err), 0);
		assert_int_equal(tl_entity_get(s2, id, &e2, &err), 0);
		assert_int_equal(e1.cats, e2.cats);
		assert_true(e1.cats != 0);
		assert_true(e1.label[0] != 0);
		uint64_t cid;
		assert_int_equal(tl_cluster_of(s1, id, &cid, &err), 0);
		struct tl_cluster_summary sum;
		assert_true(tl_cluster_summary(s1, cid, &sum, &err) >= 0);
		assert_int_equal(sum.cats, naive_cats("b", s1, cid));
		int nt = 0;
		assert_true(tl_tags_of_cluster(s1, cid, count_tag, &nt, &err) >= 1);
		assert_true(nt >= 1 && (uint64_t)nt >= sum.tagged);
		n++;
	}
	fclose(f);
	assert_true(n > 10);
	tl_store_close(s1);
	tl_store_close(s2);
}


/* ---- hand-built chains (key forms, fresh change) ---- */

static struct cf_out p2pkh_of(const uint8_t *key, size_t klen, uint64_t v)
{
	struct cf_out o = { .value = v, .len = 25 };
	memcpy(o.script, "\x76\xa9\x14", 3);
	tl_hash160(key, klen, o.script + 3);
	memcpy(o.script + 23, "\x88\xac", 2);
	return o;
}
static struct cf_out p2wpkh_of(const uint8_t *key, size_t klen, uint64_t v)
{
	struct cf_out o = { .value = v, .len = 22 };
	memcpy(o.script, "\x00\x14", 2);
	tl_hash160(key, klen, o.script + 2);
	return o;
}
static struct cf_out p2pk_of(const uint8_t *key, size_t klen, uint64_t v)
{
	struct cf_out o = { .value = v, .len = klen + 2 };
	o.script[0] = (uint8_t)klen;
	memcpy(o.script + 1, key, klen);
	o.script[klen + 1] = 0xac;
	return o;
}
/* A P2PKH scriptSig: a dummy 71-byte signature push, then the key. */
static size_t p2pkh_sig(const uint8_t *key, size_t klen, uint8_t *out)
{
	out[0] = 71;
	memset(out + 1, 0x30, 71);
	out[72] = (uint8_t)klen;
	memcpy(out + 73, key, klen);
	return 73 + klen;
}

/* Height the next index_chain stops at before a second run (-1 = one run). */
static int32_t g_split = -1;

/* Writes the chain's blocks into dir/blocks and indexes it into dir/db. */
static struct tl_store *index_chain(const char *sub, const struct tl_buf *file, uint32_t heur)
{
	char d[600], bd[700], dp[700];
	snprintf(d, sizeof d, "%s/%s", g_dir, sub);
	tu_rmrf(d);
	snprintf(bd, sizeof bd, "%s/blocks", d);
	snprintf(dp, sizeof dp, "%s/db", d);
	cf_write_blocks(bd, file);
	struct tl_index_opts o = cf_index_opts(bd, dp);
	o.cluster_heuristics = heur;
	if (g_split >= 0) {
		o.until = g_split;
		cf_index_run(&o, NULL);
		o.until = -1;
	}
	cf_index_run(&o, NULL);
	char rel[700];
	snprintf(rel, sizeof rel, "%s/db", sub);
	return open_db(rel, 0);
}

/* Cluster id of the owner of an output script. */
static uint64_t cluster_of_script(struct tl_store *s, const struct cf_out *o)
{
	uint8_t sk[TL_SCRIPT_KEY_MAX];
	size_t sl = tl_script_key(o->script, o->len, sk);
	uint64_t id, cid;
	struct tl_err err;
	assert_int_equal(tl_store_addr_id(s, sk, sl, &id, &err), 1);
	assert_int_equal(tl_cluster_of(s, id, &cid, &err), 0);
	return cid;
}

/* The kinds of a cluster's links: a bit per kind. */
static unsigned link_kinds(struct tl_store *s, uint64_t cid, int *n)
{
	struct tl_cluster_link l[16];
	struct tl_err err;
	*n = tl_cluster_links(s, cid, l, 16, &err);
	assert_true(*n >= 0);
	unsigned k = 0;
	for (int i = 0; i < *n; i++) k |= 1u << l[i].kind;
	return k;
}

static const char *GX = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
static const char *GY = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
/* 2G and 3G (x, y) from the secp256k1 multiples table. */
static const char *G2X = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";
static const char *G2Y = "1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a";
static const char *G3X = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
static const char *G3Y = "388f7b0f632de8140fe337e62a37f3566500a99934c2231b6cb9fd7584b8e672";

static void key_of(const char *x, const char *y, uint8_t comp[33], uint8_t unc[65])
{
	unc[0] = 4;
	for (int i = 0; i < 32; i++) {
		sscanf(x + 2 * i, "%2hhx", &unc[1 + i]);
		sscanf(y + 2 * i, "%2hhx", &unc[33 + i]);
	}
	comp[0] = (uint8_t)(2 | (unc[64] & 1));
	memcpy(comp + 1, unc + 1, 32);
}

/* Public key forms, by the rules of docs/entities.md:
 *   G: P2PKH(c) and P2WPKH(c) (the same hash: linked when the second
 *      appears), P2PKH(u) linked when the P2PKH(c) spend reveals G, and
 *      P2PK(c) appearing after that reveal;
 *   2G: revealed by a P2PKH(c) spend, then P2WPKH(c) appears (linked by
 *      the hash);
 *   3G: a P2PK(u) output (reveals the uncompressed key), then P2WPKH of
 *      the compressed key appears (linked through the remembered key);
 *   a stranger's key (4 bytes of 0x11 hashed) is linked to nothing. */
static void test_key_forms(void **st)
{
	(void)st;
	uint8_t gc[33], gu[65], g2c[33], g2u[65], g3c[33], g3u[65];
	key_of(GX, GY, gc, gu);
	key_of(G2X, G2Y, g2c, g2u);
	key_of(G3X, G3Y, g3c, g3u);
	/* independent check of the constants: libsecp256k1 agrees */
	uint8_t c2[33], u2[65];
	assert_int_equal(tl_pubkey_forms(g2c, 33, c2, u2), 0);
	assert_memory_equal(u2, g2u, 65);
	assert_int_equal(tl_pubkey_forms(g3u, 65, c2, u2), 0);
	assert_memory_equal(c2, g3c, 33);

	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	cf_genesis(&file, tip);
	uint8_t stranger[4] = { 0x11, 0x11, 0x11, 0x11 };
	struct cf_out A = p2pkh_of(gc, 33, 1000), B = p2wpkh_of(gc, 33, 1000), C = p2pkh_of(gu, 65, 1000),
		    D = p2pkh_of(g2c, 33, 1000), S = p2pkh_of(stranger, 4, 1000);
	struct cf_block b = { 0 };
	uint8_t cb1[32], t[32];
	/* block 1: coinbase to A B C D S */
	struct cf_in cin = { NULL, 0, (const uint8_t *)"\x01\x01", 2 };
	struct cf_out o1[5] = { A, B, C, D, S };
	cf_block_add_tx(&b, &cin, 1, o1, 5, cb1);
	cf_mine(&file, &b, tip, 1600000001);
	/* block 2: A spent (reveals G), D spent (reveals 2G), P2PK(3G u) */
	uint8_t sig1[140], sig2[140];
	struct cf_in cin2 = { NULL, 0, (const uint8_t *)"\x01\x02", 2 };
	struct cf_out G3 = p2pk_of(g3u, 65, 1000);
	cf_block_add_tx(&b, &cin2, 1, &G3, 1, t);
	struct cf_in sp[1] = { { cb1, 0, sig1, p2pkh_sig(gc, 33, sig1) } };
	struct cf_out junk = S;
	cf_block_add_tx(&b, sp, 1, &junk, 1, t);
	struct cf_in sp2[1] = { { cb1, 3, sig2, p2pkh_sig(g2c, 33, sig2) } };
	cf_block_add_tx(&b, sp2, 1, &junk, 1, t);
	cf_mine(&file, &b, tip, 1600000002);
	/* block 3: forms appearing after the reveals */
	struct cf_in cin3 = { NULL, 0, (const uint8_t *)"\x01\x03", 2 };
	struct cf_out F = p2pk_of(gc, 33, 1000), E = p2wpkh_of(g2c, 33, 1000), H = p2wpkh_of(g3c, 33, 1000);
	struct cf_out W = p2wpkh_of(stranger, 4, 1000); /* the twin of S (same hash) */
	struct cf_out o3[4] = { F, E, H, W };
	cf_block_add_tx(&b, &cin3, 1, o3, 4, t);
	cf_mine(&file, &b, tip, 1600000003);

	/* one run, then two runs (the second finds S, W's twin, only through
	 * what it loads at open) */
	for (int run = 0; run < 2; run++) {
	g_split = run ? 2 : -1;
	struct tl_store *s = index_chain(run ? "keys2" : "keys", &file, 0);
	g_split = -1;
	uint64_t a = cluster_of_script(s, &A);
	assert_int_equal(cluster_of_script(s, &B), a);
	assert_int_equal(cluster_of_script(s, &C), a);
	assert_int_equal(cluster_of_script(s, &F), a);
	uint64_t d = cluster_of_script(s, &D);
	assert_int_equal(cluster_of_script(s, &E), d);
	uint64_t g3 = cluster_of_script(s, &G3);
	assert_int_equal(cluster_of_script(s, &H), g3);
	uint64_t sx = cluster_of_script(s, &S);
	assert_int_equal(cluster_of_script(s, &W), sx);
	assert_true(a != d && a != g3 && d != g3 && sx != a && sx != d && sx != g3);
	struct tl_cluster_summary sum;
	struct tl_err err;
	assert_true(tl_cluster_summary(s, a, &sum, &err) >= 0);
	assert_int_equal(sum.size, 4);
	uint64_t *members;
	assert_int_equal(tl_cluster_members_all(s, a, &members, &err), 4);
	free(members);
	assert_true(tl_cluster_summary(s, sx, &sum, &err) >= 0);
	assert_int_equal(sum.size, 2);
	int n;
	assert_int_equal(link_kinds(s, a, &n), 1u << TL_LINK_PUBKEY_FORMS);
	assert_int_equal(n, 3);
	assert_int_equal(link_kinds(s, d, &n), 1u << TL_LINK_PUBKEY_FORMS);
	assert_int_equal(n, 1);
	assert_int_equal(link_kinds(s, g3, &n), 1u << TL_LINK_PUBKEY_FORMS);
	assert_int_equal(n, 1);
	assert_int_equal(link_kinds(s, sx, &n), 1u << TL_LINK_PUBKEY_FORMS);
	assert_int_equal(n, 1);
	tl_store_close(s);
	}
	tl_buf_free(&file);
}

/* fresh-change (off by default): a tx with two outputs, exactly one to a
 * new address of the inputs' type while the other's type differs, links
 * the new one to the inputs; a tx whose outputs are both of the inputs'
 * type, or both new, links nothing. */
static void test_fresh_change(void **st)
{
	(void)st;
	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	cf_genesis(&file, tip);
	uint8_t k[8][4];
	for (int i = 0; i < 8; i++) memset(k[i], 0x20 + i, 4);
	/* W0, W1: the spender's P2WPKH coins; P: a known P2PKH payee; W2 new
	 * change (linked); second tx: W3 spends to a known P2WPKH and a new
	 * P2WPKH (same types: nothing) */
	struct cf_out W0 = p2wpkh_of(k[0], 4, 5000), W1 = p2wpkh_of(k[1], 4, 5000), P = p2pkh_of(k[2], 4, 1000),
		    W3 = p2wpkh_of(k[3], 4, 5000), Q = p2wpkh_of(k[4], 4, 1000), W2 = p2wpkh_of(k[5], 4, 8000),
		    W5 = p2wpkh_of(k[6], 4, 4000);
	struct cf_block b = { 0 };
	uint8_t cb1[32], t[32];
	struct cf_in cin = { NULL, 0, (const uint8_t *)"\x01\x01", 2 };
	struct cf_out o1[5] = { W0, W1, P, W3, Q };
	cf_block_add_tx(&b, &cin, 1, o1, 5, cb1);
	cf_mine(&file, &b, tip, 1600000001);
	struct cf_in cin2 = { NULL, 0, (const uint8_t *)"\x01\x02", 2 };
	cf_block_add_tx(&b, &cin2, 1, &P, 1, t);
	struct cf_in in1[2] = { { cb1, 0, NULL, 0 }, { cb1, 1, NULL, 0 } };
	struct cf_out pay1[2] = { P, W2 };
	cf_block_add_tx(&b, in1, 2, pay1, 2, t);
	struct cf_in in2[1] = { { cb1, 3, NULL, 0 } };
	struct cf_out pay2[2] = { Q, W5 };
	cf_block_add_tx(&b, in2, 1, pay2, 2, t);
	cf_mine(&file, &b, tip, 1600000002);

	for (int on = 0; on < 2; on++) {
		struct tl_store *s = index_chain(on ? "change-on" : "change-off", &file,
						 on ? TL_CLUSTER_H_FRESH_CHANGE : 0);
		uint64_t w = cluster_of_script(s, &W0);
		assert_int_equal(cluster_of_script(s, &W1), w); /* common input either way */
		if (on) assert_int_equal(cluster_of_script(s, &W2), w);
		else assert_true(cluster_of_script(s, &W2) != w);
		assert_true(cluster_of_script(s, &P) != w);
		uint64_t w3 = cluster_of_script(s, &W3);
		assert_true(cluster_of_script(s, &W5) != w3 && cluster_of_script(s, &Q) != w3 && w3 != w);
		int n;
		unsigned kinds = link_kinds(s, w, &n);
		assert_int_equal(kinds, (1u << TL_LINK_COMMON_INPUT) | (on ? 1u << TL_LINK_CHANGE_FRESH : 0));
		assert_int_equal(n, on ? 2 : 1);
		tl_store_close(s);
	}
	tl_buf_free(&file);
}

static void digest_of(const char *db, uint8_t out[32])
{
	struct tl_store *s = open_db(db, 0);
	struct tl_err err;
	assert_int_equal(tl_store_digest(s, out, NULL, &err), 0);
	tl_store_close(s);
}

static void test_reorg(void **st)
{
	(void)st;
	sim("c", 3, 160);
	index_into("c", "dbc", 0);
	char d[512];
	snprintf(d, sizeof d, "%s/c", g_dir);
	struct tl_err err;
	if (tl_sim_extend(d, 4, 3, NULL, NULL, NULL, &err) < 0) fail_msg("extend: %s", err.msg);
	index_into("c", "dbc", 0);
	index_into("c", "dbc_fresh", 0);
	uint8_t a[32], b[32];
	digest_of("dbc", a);
	digest_of("dbc_fresh", b);
	assert_memory_equal(a, b, 32);
}

/* Indexes chain "r" into db in four runs of 40 blocks. */
static void index_in_four_runs(const char *db)
{
	char bd[512], dp[512];
	snprintf(bd, sizeof bd, "%s/r/blocks", g_dir);
	snprintf(dp, sizeof dp, "%s/%s", g_dir, db);
	for (int32_t until = 40; until <= 160; until += 40) {
		struct tl_index_opts o = cf_index_opts(bd, dp);
		o.until = until == 160 ? -1 : until;
		o.batch_tx = 300;
		cf_index_run(&o, NULL);
	}
}

/* Indexed in four runs (each reopens clustering, whose presence filters
 * are loaded from the committed records) = indexed in one run. */
static void test_runs_equal_one(void **st)
{
	(void)st;
	sim("r", 11, 160);
	index_in_four_runs("dbr");
	index_into("r", "dbr_one", 0);
	uint8_t a[32], b[32];
	digest_of("dbr", a);
	digest_of("dbr_one", b);
	assert_memory_equal(a, b, 32);
}

/* The same four runs with a clustering budget of 4 KiB: the presence
 * bitmaps are dropped at once (lookups go to RocksDB) and the overlay
 * evicts everything at each commit. Same database. */
static void test_tiny_budget(void **st)
{
	(void)st;
	setenv("TL_TEST_CLUSTER_BUDGET", "4096", 1);
	index_in_four_runs("dbr_tiny");
	unsetenv("TL_TEST_CLUSTER_BUDGET");
	uint8_t a[32], b[32];
	digest_of("dbr_tiny", a);
	digest_of("dbr_one", b);
	assert_memory_equal(a, b, 32);
}

/* The cluster record codecs: every value round-trips (whatever the
 * distance between an address and the ids it names, across the 64-bit
 * wrap too), and damaged values are errors. */
static void test_record_codecs(void **st)
{
	(void)st;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	const uint64_t edge[] = { 1, 2, 127, 128, 0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX };
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* near ids, far ids and the edges */
		uint64_t addr = i < 7 ? edge[i] : i % 3 ? 1 + (x >> 40) : x, id, next;
		uint64_t cid = i % 5 ? addr + (x % 1000) - 500 : x * 3, nx = i % 7 ? addr - (x >> 50) - 1 : 0;
		if (i < 49) cid = edge[i % 7], nx = edge[i / 7];
		uint8_t v[TL_CLUSTER_ADDR_MAX];
		size_t n;
		if (cid != addr) {
			n = tl_cluster_addr_encode(addr, cid, nx == addr ? 0 : nx, v);
			assert_true(n <= TL_CLUSTER_ADDR_MAX);
			assert_int_equal(tl_cluster_addr_decode(addr, v, n, &id, &next), 0);
			assert_int_equal(id, cid);
			assert_int_equal(next, nx == addr ? 0 : nx);
		}
		if (nx && nx != addr) {
			uint64_t size, z = 2 + (x >> (i % 64));
			n = tl_cluster_head_encode(addr, nx, z, v);
			assert_true(n <= TL_CLUSTER_ADDR_MAX);
			assert_int_equal(tl_cluster_addr_decode_size(addr, v, n, &id, &next, &size), 0);
			assert_int_equal(id, addr);
			assert_int_equal(next, nx);
			assert_int_equal(size, z);
			/* one byte short is never a valid record */
			assert_int_equal(tl_cluster_addr_decode_size(addr, v, n - 1, &id, &next, &size), -1);
		}
		struct tl_buf b;
		tl_buf_init(&b);
		int kind = 1 + i % 5, k;
		uint64_t tx = i % 2 ? x >> 3 : x >> 40, t, a, c;
		tl_cluster_link_encode(addr, kind, tx, cid, nx, &b);
		assert_int_equal(tl_cluster_link_decode(addr, b.data, b.len, &k, &t, &a, &c), 0);
		assert_int_equal(k, kind);
		assert_int_equal(t, tx);
		assert_int_equal(a, cid);
		assert_int_equal(c, nx);
		assert_int_equal(tl_cluster_link_decode(addr, b.data, b.len - 1, &k, &t, &a, &c), -1);
		tl_buf_u8(&b, 0);
		assert_int_equal(tl_cluster_link_decode(addr, b.data, b.len, &k, &t, &a, &c), -1);
		tl_buf_free(&b);
	}
	/* damaged "a" values */
	static const struct {
		size_t n;
		uint8_t v[12];
	} bad[] = {
		{ 0, { 0 } },             /* empty */
		{ 1, { 0x80 } },          /* unfinished varint */
		{ 1, { 0x00 } },          /* id's record without next and size */
		{ 2, { 0x00, 0x02 } },    /* without size */
		{ 3, { 0x00, 0x02, 1 } }, /* size 1 */
		{ 3, { 0x00, 0x00, 5 } }, /* next = the id itself */
		{ 2, { 0x02, 0x00 } },    /* member whose next is itself */
		{ 3, { 0x02, 0x02, 0 } }, /* trailing byte */
		{ 4, { 0x00, 0x02, 5, 0 } },
		{ 11, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } }, /* overlong */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t id, next, size;
		if (tl_cluster_addr_decode_size(77, bad[i].v, bad[i].n, &id, &next, &size) != -1)
			fail_msg("damaged value %zu accepted", i);
	}
	/* damaged links: empty, a heuristic byte missing, an address missing */
	static const uint8_t l1[] = { 0x00 }, l2[] = { 0x05, 0x00 };
	int k;
	uint64_t t, a, c;
	assert_int_equal(tl_cluster_link_decode(7, l1, 0, &k, &t, &a, &c), -1);
	assert_int_equal(tl_cluster_link_decode(7, l1, 1, &k, &t, &a, &c), -1);
	assert_int_equal(tl_cluster_link_decode(7, l2, 2, &k, &t, &a, &c), -1);
}

/* A damaged member list is an error: a size beyond the addresses
 * indexed (was an allocation of that size: an abort), a list that cycles
 * (was walked for as long as the size allowed). */
static void test_damaged_list(void **st)
{
	(void)st;
	struct tl_store *s = open_db("dbdamaged", 1);
	struct tl_err err;
	struct tl_batch *b = tl_batch_new(s);
	struct tl_tip tip = { .height = -1, .next_addr_id = 100 };
	tl_batch_put_tip(b, &tip);
	uint8_t k[9], v[TL_CLUSTER_ADDR_MAX];
	const uint64_t sizes[] = { (uint64_t)1 << 50, 100, 3, 99 };
	for (int i = 0; i < 4; i++) {
		tl_cluster_addr_key(5, k);
		size_t n = tl_cluster_head_encode(5, 6, sizes[i], v);
		tl_batch_put_kv(b, TL_CF_CLUSTER, k, 9, v, n);
		tl_cluster_addr_key(6, k);
		n = tl_cluster_addr_encode(6, 5, 5, v); /* back to the id: a cycle */
		tl_batch_put_kv(b, TL_CF_CLUSTER, k, 9, v, n);
		assert_int_equal(tl_store_write(s, b, &err), 0);
		tl_batch_clear(b);
		uint64_t cid;
		assert_int_equal(tl_cluster_of(s, 6, &cid, &err), 0);
		assert_int_equal(cid, 5);
		uint64_t *members;
		assert_int_equal(tl_cluster_members_all(s, 5, &members, &err), -1);
		assert_null(members);
		struct tl_cluster_link l[4];
		assert_int_equal(tl_cluster_links(s, 5, l, 4, &err), -1);
	}
	tl_batch_free(b);
	tl_store_close(s);
}

static int setup(void **st)
{
	(void)st;
	g_dir = tu_tmpdir("cluster");
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	tu_rmrf(g_dir);
	free(g_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_codecs),
		cmocka_unit_test(test_damaged_list),
		cmocka_unit_test(test_precision_recall_naive),
		cmocka_unit_test(test_tags_of_clusters),
		cmocka_unit_test(test_reorg),
		cmocka_unit_test(test_runs_equal_one),
		cmocka_unit_test(test_tiny_budget),
		cmocka_unit_test(test_key_forms),
		cmocka_unit_test(test_fresh_change),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
