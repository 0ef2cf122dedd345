/* Signed reports:
 *   - the BIP-340 primitive against the BIP's official test vectors
 *     (bip-0340/test-vectors.csv, vectors 0-14 with 32-byte messages,
 *     embedded below): public keys, exact
 *     signatures with the given aux_rand, and every verification result;
 *   - the canonical serialization against hand-written canonical forms;
 *   - the HTML report of a signed trace shows its manifest (key, heist
 *     attribution and sources, definition and tag source digests);
 *   - signing-key files: mode 0600, read back, refused when readable by
 *     others or malformed;
 *   - the demo heist's trace signed and verified, then tampered with three
 *     ways (an amount changed, two endpoints swapped, another key) and
 *     refused each time with a reason naming the cause;
 *   - the manifest recomputes the trace byte for byte on the database, and
 *     refuses when a tag source changed; the CLI's sign / verify --db. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "bitcoin/hash.h"
#include "report/manifest.h"
#include "report/sign.h"
#include "tests/sharefix.h"

/* index, secret key, public key, aux_rand, message, signature, result */
static const char *const vectors[] = {
	"0,0000000000000000000000000000000000000000000000000000000000000003,F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9,0000000000000000000000000000000000000000000000000000000000000000,0000000000000000000000000000000000000000000000000000000000000000,E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0,TRUE",
	"1,B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,0000000000000000000000000000000000000000000000000000000000000001,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A,TRUE",
	"2,C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9,DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8,C87AA53824B4D7AE2EB035A2B5BBBCCC080E76CDC6D1692C4B0B62D798E6D906,7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C,5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1BAB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7,TRUE",
	"3,0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710,25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517,FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF,FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF,7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3,TRUE",
	"4,,D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9,,4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703,00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C6376AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4,TRUE",
	"5,,EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B,FALSE",
	"6,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A14602975563CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2,FALSE",
	"7,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD,FALSE",
	"8,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6,FALSE",
	"9,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,0000000000000000000000000000000000000000000000000000000000000000123DDA8328AF9C23A94C1FEECFD123BA4FB73476F0D594DCB65C6425BD186051,FALSE",
	"10,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,00000000000000000000000000000000000000000000000000000000000000017615FBAF5AE28864013C099742DEADB4DBA87F11AC6754F93780D5A1837CF197,FALSE",
	"11,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B,FALSE",
	"12,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B,FALSE",
	"13,,DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,FALSE",
	"14,,FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30,,243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B,FALSE",
};

static void hexf(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n || tl_hex_decode(s, len, out, n)) fail_msg("bad hex field '%.*s'", (int)len, s);
}

static void test_bip340_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
		const char *f[7];
		size_t l[7];
		const char *p = vectors[v];
		for (int i = 0; i < 7; i++) {
			const char *c = strchr(p, ',');
			f[i] = p;
			l[i] = c ? (size_t)(c - p) : strlen(p);
			p = c ? c + 1 : p + l[i];
		}
		uint8_t pub[32], msg[32], sig[64];
		hexf(f[2], l[2], pub, 32);
		hexf(f[4], l[4], msg, 32);
		hexf(f[5], l[5], sig, 64);
		int want = !strncmp(f[6], "TRUE", 4);
		if (tl_bip340_verify(pub, msg, sig) != want) fail_msg("vector %zu: verification gave %d", v, !want);
		if (l[1]) {
			uint8_t sec[32], aux[32], mypub[32], mysig[64];
			struct tl_err err;
			hexf(f[1], l[1], sec, 32);
			hexf(f[3], l[3], aux, 32);
			assert_int_equal(tl_bip340_pubkey(sec, mypub, &err), 0);
			if (memcmp(mypub, pub, 32)) fail_msg("vector %zu: public key differs", v);
			assert_int_equal(tl_bip340_sign(sec, msg, aux, mysig, &err), 0);
			if (memcmp(mysig, sig, 64)) fail_msg("vector %zu: signature differs", v);
		}
	}
	/* a zero secret is refused */
	uint8_t zero[32] = { 0 }, pub[32];
	struct tl_err err;
	assert_int_equal(tl_bip340_pubkey(zero, pub, &err), -1);
}

static void canon_is(const char *in, const char *want)
{
	json_error_t je;
	json_t *j = json_loads(in, JSON_DECODE_ANY, &je);
	assert_non_null(j);
	char *c = NULL;
	size_t n = 0;
	struct tl_err err;
	assert_int_equal(tl_canonical_json(j, &c, &n, &err), 0);
	if (strcmp(c, want)) fail_msg("canonical of %s: got %s, want %s", in, c, want);
	assert_int_equal(n, strlen(want));
	free(c);
	json_decref(j);
}

static void test_canonical(void **state)
{
	(void)state;
	canon_is("{ \"b\" : 1,\n \"a\": [ 1, {\"d\":2, \"c\":\"x\"} ] }", "{\"a\":[1,{\"c\":\"x\",\"d\":2}],\"b\":1}");
	canon_is("{\"z\":null,\"A\":true,\"a\":false,\"_\":-7}", "{\"A\":true,\"_\":-7,\"a\":false,\"z\":null}");
	canon_is("{\"s\":\"caf\\u00e9 \\\"q\\\" \\\\ /\\n\"}", "{\"s\":\"caf\xc3\xa9 \\\"q\\\" \\\\ /\\n\"}");
	canon_is("[9007199254740993, 0.5]", "[9007199254740993,0.5]");
	canon_is("{\"c\":\"\\u001f\\t\"}", "{\"c\":\"\\u001F\\t\"}");
	canon_is("[0.84]", "[0.83999999999999997]");
	/* the tagged hash is SHA256(SHA256(tag)||SHA256(tag)||data), computed naively */
	uint8_t th[32], buf[64 + 3], want[32], got[32];
	tl_sha256(TL_SIGN_TAG, strlen(TL_SIGN_TAG), th);
	memcpy(buf, th, 32);
	memcpy(buf + 32, th, 32);
	memcpy(buf + 64, "abc", 3);
	tl_sha256(buf, sizeof buf, want);
	tl_tagged_hash(TL_SIGN_TAG, "abc", 3, got);
	assert_memory_equal(got, want, 32);
}

static void test_key_files(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("signkey"), path[4200], bad[4200];
	snprintf(path, sizeof path, "%s/k", dir);
	uint8_t sec[32], back[32];
	struct tl_err err;
	assert_int_equal(tl_sign_keygen(sec, &err), 0);
	assert_int_equal(tl_sign_key_write(path, sec, &err), 0);
	struct stat stt;
	assert_int_equal(stat(path, &stt), 0);
	assert_int_equal(stt.st_mode & 0777, 0600);
	assert_int_equal(stt.st_size, 65);
	assert_int_equal(tl_sign_key_read(path, back, &err), 0);
	assert_memory_equal(sec, back, 32);
	/* no overwrite of an existing key */
	assert_int_equal(tl_sign_key_write(path, sec, &err), -1);
	/* readable by others: refused */
	chmod(path, 0644);
	assert_int_equal(tl_sign_key_read(path, back, &err), -1);
	assert_non_null(strstr(err.msg, "chmod 600"));
	/* malformed */
	snprintf(bad, sizeof bad, "%s/bad", dir);
	FILE *f = fopen(bad, "w");
	fputs("00zz\n", f);
	fclose(f);
	chmod(bad, 0600);
	assert_int_equal(tl_sign_key_read(bad, back, &err), -1);
	assert_non_null(strstr(err.msg, "not a signing key"));
	/* two keys differ (a CSPRNG, not a constant) */
	uint8_t sec2[32];
	assert_int_equal(tl_sign_keygen(sec2, &err), 0);
	assert_memory_not_equal(sec, sec2, 32);
	tu_rmrf(dir);
	free(dir);
}

static struct sharefix fx;

static int setup(void **state)
{
	(void)state;
	sf_setup(&fx, "sign");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sf_teardown(&fx);
	return 0;
}

static json_t *signed_trace(const uint8_t sec[32])
{
	struct tl_err err;
	json_t *doc = json_deep_copy(fx.trace), *m = NULL;
	assert_int_equal(tl_manifest_from_trace(fx.st, doc, "trace", &m, &err), 0);
	if (tl_sign_document(doc, sec, m, &err)) fail_msg("sign: %s", err.msg);
	return doc;
}

static void expect_refused(const json_t *doc, const uint8_t *want_pub, const char *why, const char *what)
{
	char reason[1024];
	struct tl_err err;
	int r = tl_verify_document(doc, want_pub, reason, sizeof reason, &err);
	if (r != 0) fail_msg("%s: verification gave %d, want refusal", what, r);
	if (!strstr(reason, why)) fail_msg("%s: reason '%s' does not say '%s'", what, reason, why);
	print_message("  %s refused: %s\n", what, reason);
}

static void test_signed_trace_and_tampering(void **state)
{
	(void)state;
	struct tl_err err;
	uint8_t sec[32], other[32], pub[32], opub[32];
	assert_int_equal(tl_sign_keygen(sec, &err), 0);
	assert_int_equal(tl_sign_keygen(other, &err), 0);
	assert_int_equal(tl_bip340_pubkey(sec, pub, &err), 0);
	assert_int_equal(tl_bip340_pubkey(other, opub, &err), 0);
	json_t *doc = signed_trace(sec);
	char reason[1024];
	assert_int_equal(tl_verify_document(doc, NULL, reason, sizeof reason, &err), 1);
	assert_int_equal(tl_verify_document(doc, pub, reason, sizeof reason, &err), 1);
	/* through a file, as a partner receives it (reals, order, indentation) */
	char *dir = tu_tmpdir("signdoc"), path[4200];
	snprintf(path, sizeof path, "%s/signed.json", dir);
	assert_int_equal(json_dump_file(doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
	json_error_t je;
	json_t *back = json_load_file(path, 0, &je);
	assert_int_equal(tl_verify_document(back, pub, reason, sizeof reason, &err), 1);
	json_decref(back);

	/* the HTML report shows the manifest to the reader */
	char *html = NULL;
	size_t hl = 0;
	assert_int_equal(tl_report_html(doc, &html, &hl, &err), 0);
	char ph[65];
	tl_hex_encode(pub, 32, ph);
	assert_non_null(strstr(html, "<h2>Provenance"));
	assert_non_null(strstr(html, ph));
	assert_non_null(strstr(html, SF_ACTOR));
	assert_non_null(strstr(html, "https&#58;//example.invalid/advisory-2")); /* SF_SOURCE2, shown as text */
	const json_t *ts0 = json_array_get(json_object_get(json_object_get(json_object_get(doc, "signature"), "manifest"),
	                                                   "tag_sources"), 0);
	assert_non_null(strstr(html, json_string_value(json_object_get(ts0, "sha256"))));
	assert_non_null(strstr(html, json_string_value(json_object_get(
	                                     json_array_get(json_object_get(json_object_get(doc, "provenance"), "heists"), 0),
	                                     "definition_sha256"))));
	free(html);
	/* 1. an amount changed */
	json_t *t1 = json_deep_copy(doc);
	json_t *e0 = json_array_get(json_object_get(t1, "endpoints"), 0);
	json_object_set_new(e0, "amount_sat", json_integer(json_integer_value(json_object_get(e0, "amount_sat")) + 1));
	expect_refused(t1, NULL, "changed after signing: endpoints", "changed amount");
	json_decref(t1);
	/* 2. two endpoints swapped */
	json_t *t2 = json_deep_copy(doc), *ea = json_object_get(t2, "endpoints");
	json_t *a = json_incref(json_array_get(ea, 0)), *b = json_incref(json_array_get(ea, 1));
	assert_false(json_equal(a, b));
	json_array_set_new(ea, 0, b);
	json_array_set_new(ea, 1, a);
	expect_refused(t2, NULL, "changed after signing: endpoints", "reordered endpoints");
	json_decref(t2);
	/* 3a. the expected key is another one */
	expect_refused(doc, opub, "signed by another key", "another expected key");
	/* 3b. the key in the document replaced by another (signature kept) */
	json_t *t3 = json_deep_copy(doc);
	char oh[65];
	tl_hex_encode(opub, 32, oh);
	json_object_set_new(json_object_get(t3, "signature"), "pubkey", json_string(oh));
	expect_refused(t3, NULL, "does not match the document", "swapped public key");
	json_decref(t3);
	/* 3c. signed by another key, checked against ours */
	json_t *t4 = signed_trace(other);
	assert_int_equal(tl_verify_document(t4, NULL, reason, sizeof reason, &err), 1);
	expect_refused(t4, pub, "signed by another key", "signed with another key");
	json_decref(t4);
	/* the manifest itself is covered */
	json_t *t5 = json_deep_copy(doc);
	json_object_set_new(json_object_get(json_object_get(t5, "signature"), "manifest"), "policy", json_string("fifo"));
	expect_refused(t5, NULL, "does not match", "changed manifest");
	json_decref(t5);
	/* unsigned */
	json_t *t6 = json_deep_copy(fx.trace);
	expect_refused(t6, NULL, "not signed", "unsigned");
	json_decref(t6);
	json_decref(doc);
	tu_rmrf(dir);
	free(dir);
}

static void test_manifest_recomputes(void **state)
{
	(void)state;
	struct tl_err err;
	json_t *m = NULL, *re = NULL;
	assert_int_equal(tl_manifest_from_trace(fx.st, fx.trace, "trace", &m, &err), 0);
	/* what it names */
	const json_t *tip = json_object_get(m, "tip");
	assert_true(json_equal((json_t *)tip, json_object_get(fx.trace, "tip")));
	const json_t *reg = json_object_get(m, "registry");
	assert_int_equal(json_array_size(reg), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reg, 0), "id")), fx.heist_id);
	assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(reg, 0), "definition_sha256"))), 64);
	const json_t *ts = json_object_get(m, "tag_sources");
	assert_true(json_array_size(ts) >= 1);
	assert_true(json_integer_value(json_object_get(json_array_get(ts, 0), "tags")) > 0);
	char reason[512];
	assert_int_equal(tl_manifest_retrace(fx.sg, m, &re, reason, sizeof reason, &err), 1);
	char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	assert_int_equal(tl_canonical_json(fx.trace, &a, &al, &err), 0);
	assert_int_equal(tl_canonical_json(re, &b, &bl, &err), 0);
	assert_int_equal(al, bl);
	assert_memory_equal(a, b, al);
	free(a);
	free(b);
	json_decref(re);
	/* a first difference is named */
	json_t *t = json_deep_copy(fx.trace);
	json_object_set_new(json_object_get(t, "totals"), "fees_sat", json_integer(-1));
	char d[512];
	tl_json_first_diff(t, fx.trace, d, sizeof d);
	assert_non_null(strstr(d, "totals.fees_sat: -1 here"));
	tl_json_first_diff(fx.trace, fx.trace, d, sizeof d);
	assert_string_equal(d, "");
	json_decref(t);
	/* a tag source whose digest differs: not reproducible, and said so */
	json_t *src = json_array_get(json_object_get(m, "tag_sources"), 0);
	json_object_set_new(src, "sha256", json_string("00"));
	assert_int_equal(tl_manifest_retrace(fx.sg, m, &re, reason, sizeof reason, &err), 0);
	assert_non_null(strstr(reason, "changed since the report"));
	/* another tip */
	json_object_set_new(json_object_get(m, "tip"), "height", json_integer(1));
	assert_int_equal(tl_manifest_retrace(fx.sg, m, &re, reason, sizeof reason, &err), 0);
	assert_non_null(strstr(reason, "cannot be recomputed here"));
	json_decref(m);
}

/* The commands, as a user runs them. */
static void test_cli_sign_verify(void **state)
{
	(void)state;
	char cmd[16384], *out = NULL;
	const char *d = fx.dir, *tl = TL_BINARY;
	/* the CLI opens the database itself: close ours (RocksDB's lock) */
	tl_storegraph_free(fx.sg);
	tl_store_close(fx.st);
	fx.sg = NULL;
	fx.st = NULL;
	snprintf(cmd, sizeof cmd, "%s keys signing-key --out %s/org.key 2>/dev/null", tl, d);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_int_equal(strlen(out), 65); /* the public key and a newline */
	char pub[65];
	memcpy(pub, out, 64);
	pub[64] = 0;
	free(out);
	snprintf(cmd, sizeof cmd,
	         "%s trace --db %s --heist %s -o %s/t.json && %s sign --key %s/org.key --db %s %s/t.json -o %s/ts.json",
	         tl, fx.db, fx.heist_id, d, tl, d, fx.db, d, d);
	assert_int_equal(tu_run(cmd, NULL), 0);
	snprintf(cmd, sizeof cmd, "%s verify %s/ts.json --pubkey %s --db %s", tl, d, pub, fx.db);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "recomputed: identical"));
	free(out);
	/* a signed export is recomputed too */
	snprintf(cmd, sizeof cmd,
	         "%s export --db %s --heist %s --format stix --tlp amber --sign %s/org.key -o %s/b.json && "
	         "%s verify %s/b.json --db %s",
	         tl, fx.db, fx.heist_id, d, d, tl, d, fx.db);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "recomputed: identical"));
	free(out);
	/* the signed bundle imported as a partner's, twice: nothing new the second time */
	snprintf(cmd, sizeof cmd, "%s import --db %s --from 'Partner FIU' %s/b.json", tl, fx.db, d);
	assert_int_equal(tu_run(cmd, &out), 0);
	unsigned long n1 = 0, e1 = 0, n2 = 0, e2 = 0;
	assert_int_equal(sscanf(out, "stix from Partner FIU: %lu tags stored (%lu already there)", &n1, &e1), 2);
	assert_non_null(strstr(out, "(added)"));
	free(out);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_int_equal(sscanf(out, "stix from Partner FIU: %lu tags stored (%lu already there)", &n2, &e2), 2);
	assert_non_null(strstr(out, "(updated)"));
	assert_true(n1 > 0 && e1 == 0 && n2 == 0 && e2 == n1);
	free(out);
	/* tampered with: exit 1 and REFUSED */
	snprintf(cmd, sizeof cmd,
	         "sed '0,/\"amount_sat\": \\([0-9]\\)/s//\"amount_sat\": 9\\1/' %s/ts.json > %s/bad.json && "
	         "! cmp -s %s/ts.json %s/bad.json",
	         d, d, d, d);
	assert_int_equal(tu_run(cmd, NULL), 0);
	snprintf(cmd, sizeof cmd, "%s verify %s/bad.json", tl, d);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "REFUSED"));
	free(out);
	/* duplicate keys: refused before any signature is checked */
	snprintf(cmd, sizeof cmd, "printf '{\"a\":1,\"a\":2}' > %s/dup.json && %s verify %s/dup.json 2>&1", d, tl, d);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "duplicate"));
	free(out);
	/* a key file readable by others is refused */
	snprintf(cmd, sizeof cmd, "chmod 644 %s/org.key && %s sign --key %s/org.key %s/t.json -o %s/x.json 2>&1", d, tl,
	         d, d, d);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "chmod 600"));
	free(out);
	struct tl_store_opts so = { .cache_mb = 16 };
	struct tl_err err;
	fx.st = cf_store_open(fx.db, &so);
	if (tl_storegraph_new(fx.st, &fx.sg, &err)) fail_msg("%s", err.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip340_vectors),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_signed_trace_and_tampering),
		cmocka_unit_test(test_manifest_recomputes),
		cmocka_unit_test(test_cli_sign_verify),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
