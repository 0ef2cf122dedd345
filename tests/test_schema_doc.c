/* The schema documentation against the databases the store creates:
 * every column family of a new Bitcoin database is documented in
 * docs/schema.md and every family documented there exists (no stale
 * rows), likewise for the Ethereum database and docs/ethereum.md; the
 * schema versions the docs state are the store's. The truth is RocksDB's
 * own list of the families on disk, not the store's name table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ethereum/model.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "tests/testutil.h"

#define MAX_FAMS 64

struct names {
	char *v[MAX_FAMS];
	size_t n;
};

static void names_add(struct names *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && !memcmp(s->v[i], name, len)) return;
	assert_true(s->n < MAX_FAMS);
	s->v[s->n] = strndup(name, len);
	assert_non_null(s->v[s->n]);
	s->n++;
}

static int names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name)) return 1;
	return 0;
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++) free(s->v[i]);
	s->n = 0;
}

/* The families RocksDB finds on disk at path, "default" left out. */
static void families_on_disk(const char *path, struct names *out)
{
	rocksdb_options_t *o = rocksdb_options_create();
	size_t n = 0;
	char *rerr = NULL;
	char **list = rocksdb_list_column_families(o, path, &n, &rerr);
	rocksdb_options_destroy(o);
	if (rerr) fail_msg("listing the families of %s: %s", path, rerr);
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], "default")) names_add(out, list[i], strlen(list[i]));
	rocksdb_list_column_families_destroy(list, n);
}

/* The families a document's schema tables name: the first cell of a table
 * row, "| `name` |", where name has the given prefix ("" for any). Rows
 * whose first cell is empty continue the family above. A family may also
 * head its own section: "### `name`". */
static char *read_doc(const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", TL_SOURCE_DIR, rel);
	size_t len;
	char *text = (char *)tu_read_file(path, &len);
	return text;
}

static void documented_families(const char *text, const char *prefix, const struct names *known,
				struct names *out)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t ll = end ? (size_t)(end - line) : strlen(line);
		const char *p = NULL;
		if (ll > 4 && !strncmp(line, "| `", 3)) p = line + 3;
		else if (ll > 6 && !strncmp(line, "### `", 5)) p = line + 5;
		if (p) {
			const char *q = memchr(p, '`', ll - (size_t)(p - line));
			if (q) {
				size_t n = (size_t)(q - p);
				char name[128];
				if (n < sizeof name) {
					memcpy(name, p, n);
					name[n] = 0;
					/* Only names shaped like a family: lower case, digits, '_'. */
					int shaped = n > 0 && !strncmp(name, prefix, strlen(prefix));
					for (size_t i = 0; shaped && i < n; i++)
						if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
						      name[i] == '_'))
							shaped = 0;
					if (shaped && (names_has(known, name) || strstr(line, "|"))) names_add(out, name, n);
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
}

static void check_same(const char *doc, const struct names *disk, const struct names *docs)
{
	int bad = 0;
	for (size_t i = 0; i < disk->n; i++)
		if (!names_has(docs, disk->v[i])) {
			print_error("family %s exists but %s has no row for it\n", disk->v[i], doc);
			bad = 1;
		}
	for (size_t i = 0; i < docs->n; i++)
		if (!names_has(disk, docs->v[i])) {
			print_error("%s documents a family %s that the database does not have\n", doc, docs->v[i]);
			bad = 1;
		}
	if (bad) fail_msg("%s and the database's families disagree", doc);
}

/* The number after `"schema"` on the docs' meta row ("... version (11"). */
static long doc_schema_version(const char *text)
{
	const char *p = strstr(text, "`\"schema\"`");
	if (!p) return -1;
	const char *v = strstr(p, "version");
	if (!v) return -1;
	while (*v && (*v < '0' || *v > '9') && *v != '\n') v++;
	return *v >= '0' && *v <= '9' ? strtol(v, NULL, 10) : -1;
}

static void test_bitcoin_families(void **st)
{
	(void)st;
	char *dir = tu_tmpdir("schema_btc");
	struct tl_store *s = NULL;
	struct tl_store_opts o = { .create = true, .net = tl_net_params(TL_NET_REGTEST) };
	struct tl_err err;
	if (tl_store_open(dir, &o, &s, &err)) fail_msg("%s", err.msg);
	tl_store_close(s);
	struct names disk = { 0 }, docs = { 0 };
	families_on_disk(dir, &disk);
	assert_true(disk.n >= 10);
	char *text = read_doc("docs/schema.md");
	documented_families(text, "", &disk, &docs);
	/* The Ethereum families are documented in docs/ethereum.md; the
	 * Bitcoin table only points there. */
	struct names btc_docs = { 0 };
	for (size_t i = 0; i < docs.n; i++)
		if (strncmp(docs.v[i], "eth_", 4)) names_add(&btc_docs, docs.v[i], strlen(docs.v[i]));
	check_same("docs/schema.md", &disk, &btc_docs);
	assert_int_equal(doc_schema_version(text), TL_STORE_SCHEMA_VERSION);
	free(text);
	names_free(&disk);
	names_free(&docs);
	names_free(&btc_docs);
	free(dir);
}

static void test_ethereum_families(void **st)
{
	(void)st;
	char *dir = tu_tmpdir("schema_eth");
	struct tl_eth_store *s = NULL;
	struct tl_eth_store_opts o = { .create = true, .net = tl_eth_net_by_name("dev") };
	assert_non_null(o.net);
	struct tl_err err;
	if (tl_eth_store_open(dir, &o, &s, &err)) fail_msg("%s", err.msg);
	tl_eth_store_close(s);
	struct names disk = { 0 }, docs = { 0 };
	families_on_disk(dir, &disk);
	assert_true(disk.n >= 10);
	char *text = read_doc("docs/ethereum.md");
	documented_families(text, "eth_", &disk, &docs);
	char *more = read_doc("docs/policies.md"); /* eth_heist, eth_tag, eth_screen */
	documented_families(more, "eth_", &disk, &docs);
	check_same("docs/ethereum.md and docs/policies.md", &disk, &docs);
	assert_int_equal(doc_schema_version(text), TL_ETH_SCHEMA_VERSION);
	free(text);
	free(more);
	names_free(&disk);
	names_free(&docs);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitcoin_families),
		cmocka_unit_test(test_ethereum_families),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
