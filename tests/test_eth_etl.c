/* ethereum-etl readers on ethereum-etl's own fixtures (real mainnet
 * data): the CSV and JSON-lines forms of one table decode to the same
 * rows; a partitioned folder (as export_all writes it) reads like its
 * files one by one; malformed rows fail naming file and line; the CSV
 * reader on RFC 4180's corner cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "ethereum/csv.h"
#include "ethereum/etl.h"
#include "tests/eth_fix.h"
#include "tests/testutil.h"

#define BTW ETL_FIX "test_export_blocks_job/blocks_with_transactions_and_withdrawals/"
#define RWL ETL_FIX "test_export_receipts_job/receipts_with_logs/"

static void test_csv_corners(void **state)
{
	(void)state;
	char text[] = "a,b,c\r\n\"x,1\",\"he said \"\"hi\"\"\",\"two\nlines\"\n,,\nlast,\"\",end";
	struct tl_csv c;
	struct tl_err err;
	size_t line;
	tl_csv_init(&c, text, strlen(text));
	assert_int_equal(tl_csv_next(&c, &line, &err), 1);
	assert_int_equal(c.nf, 3);
	assert_string_equal(c.fields[2], "c");
	assert_int_equal(tl_csv_next(&c, &line, &err), 1);
	assert_int_equal(line, 2);
	assert_string_equal(c.fields[0], "x,1");
	assert_string_equal(c.fields[1], "he said \"hi\"");
	assert_string_equal(c.fields[2], "two\nlines");
	assert_int_equal(tl_csv_next(&c, &line, &err), 1);
	assert_int_equal(line, 4); /* the quoted line break counted */
	assert_int_equal(c.nf, 3);
	assert_int_equal(c.lens[0] + c.lens[1] + c.lens[2], 0);
	assert_int_equal(tl_csv_next(&c, &line, &err), 1);
	assert_int_equal(c.nf, 3);
	assert_string_equal(c.fields[0], "last");
	assert_string_equal(c.fields[1], "");
	assert_string_equal(c.fields[2], "end");
	assert_int_equal(tl_csv_next(&c, &line, &err), 0);
	tl_csv_free(&c);

	char bad1[] = "a,b\n\"open,b\nc,d\n";
	tl_csv_init(&c, bad1, strlen(bad1));
	assert_int_equal(tl_csv_next(&c, &line, &err), 1);
	assert_int_equal(tl_csv_next(&c, &line, &err), -1);
	assert_non_null(strstr(err.msg, "line 2: unterminated"));
	tl_csv_free(&c);
	char bad2[] = "\"a\"x,b\n";
	tl_csv_init(&c, bad2, strlen(bad2));
	assert_int_equal(tl_csv_next(&c, &line, &err), -1);
	assert_non_null(strstr(err.msg, "after a closing quote"));
	tl_csv_free(&c);
}

/* The same table as CSV and as JSON lines: equal rows. */
static void same_two_forms(const char *csv, const char *json)
{
	struct tl_eth_data a = { 0 }, b = { 0 };
	ef_etl(&a, csv);
	ef_etl(&b, json);
	ef_finish(&a);
	ef_finish(&b);
	ef_same_tables(&a, &b);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
}

static void test_csv_and_json_agree(void **state)
{
	(void)state;
	same_two_forms(BTW "expected_blocks.csv", BTW "expected_blocks.json");
	same_two_forms(BTW "expected_transactions.csv", BTW "expected_transactions.json");
	same_two_forms(RWL "expected_receipts.csv", RWL "expected_receipts.json");
	same_two_forms(RWL "expected_logs.csv", RWL "expected_logs.json");
}

static void test_tables_content(void **state)
{
	(void)state;
	struct tl_eth_data d = { 0 };
	ef_etl(&d, BTW "expected_blocks.csv");
	ef_etl(&d, BTW "expected_transactions.csv");
	ef_finish(&d);
	/* the export's own counts: transaction_count per block, 16 withdrawals each */
	uint64_t want_txs = 0;
	for (size_t i = 0; i < d.n_blocks; i++) {
		want_txs += d.blocks[i].tx_count;
		assert_true(d.blocks[i].has_base_fee);
		assert_true(d.blocks[i].has_withdrawals);
	}
	assert_int_equal(d.n_txs, want_txs);
	assert_int_equal(d.n_wds, 16 * d.n_blocks);
	/* withdrawal 2210752: 45762059 Gwei to 0xb9d7...293f, stored in wei */
	char buf[TL_U256_DEC_MAX];
	assert_int_equal(d.wds[0].index, 2210752);
	assert_string_equal(tl_uint256_to_dec(&d.wds[0].amount_wei, buf), "45762059000000000");
	/* the chain links: each block's parent is the previous block */
	for (size_t i = 1; i < d.n_blocks; i++)
		if (d.blocks[i].number == d.blocks[i - 1].number + 1) assert_memory_equal(d.blocks[i].parent, d.blocks[i - 1].hash, 32);
	tl_eth_data_free(&d);
}

static char *slurp_shared(const char *rel, size_t *len)
{
	return (char *)tu_read_file(tu_shared_path(rel), len);
}

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

/* Replaces the n-th line (1-based) of text's value in column col with v. */
static char *corrupt_line(const char *text, int line, const char *from, const char *to)
{
	size_t n = strlen(text);
	char *o = malloc(n + strlen(to) + 1);
	const char *p = text;
	for (int l = 1; l < line; l++) p = strchr(p, '\n') + 1;
	const char *hit = strstr(p, from);
	assert_non_null(hit);
	size_t a = (size_t)(hit - text);
	memcpy(o, text, a);
	strcpy(o + a, to);
	strcat(o, hit + strlen(from));
	return o;
}

static void test_malformed_rows(void **state)
{
	(void)state;
	size_t len;
	char *tx = slurp_shared(BTW "expected_transactions.csv", &len);
	char *dir = tu_tmpdir("eth-bad");
	char path[1024];
	snprintf(path, sizeof path, "%s/transactions.csv", dir);
	struct tl_err err;
	struct tl_eth_data d = { 0 };

	/* an address that is not hex, on line 3 */
	char *bad = corrupt_line(tx, 3, ",0x64a018", ",0x64aZ18"); /* from_address */
	write_file(path, bad, strlen(bad));
	free(bad);
	assert_int_equal(tl_eth_etl_read_file(&d, path, TL_ETH_HAVE_TXS, &err), -1);
	assert_non_null(strstr(err.msg, "transactions.csv:3:"));
	tl_eth_data_free(&d);

	/* a row with a field too few, on line 5 */
	const char *p = tx;
	for (int l = 1; l < 5; l++) p = strchr(p, '\n') + 1;
	const char *comma = strchr(p, ',');
	char *cut = malloc(strlen(tx) + 1);
	memcpy(cut, tx, (size_t)(comma - tx));
	strcpy(cut + (comma - tx), comma + 1);
	char *c2 = strchr(cut + (comma - tx), ',');
	memmove(c2, c2 + 1, strlen(c2)); /* drop a separator: one field fewer */
	write_file(path, cut, strlen(cut));
	free(cut);
	assert_int_equal(tl_eth_etl_read_file(&d, path, TL_ETH_HAVE_TXS, &err), -1);
	assert_non_null(strstr(err.msg, "transactions.csv:5:"));
	tl_eth_data_free(&d);

	/* a value above 2^256 in JSON lines, on line 2 */
	char *js = slurp_shared(BTW "expected_transactions.json", &len);
	snprintf(path, sizeof path, "%s/transactions.json", dir);
	bad = corrupt_line(js, 2, "\"value\": ", "\"value\": 999999999999999999999999999999999999999999999999999999999999999999999999999999999");
	write_file(path, bad, strlen(bad));
	free(bad);
	assert_int_equal(tl_eth_etl_read_file(&d, path, TL_ETH_HAVE_TXS, &err), -1);
	assert_non_null(strstr(err.msg, "transactions.json:2: column 'value'"));
	tl_eth_data_free(&d);

	/* truncated JSON */
	write_file(path, js, 300);
	assert_int_equal(tl_eth_etl_read_file(&d, path, TL_ETH_HAVE_TXS, &err), -1);
	assert_non_null(strstr(err.msg, "transactions.json:1: not a JSON object"));
	tl_eth_data_free(&d);
	free(js);

	/* the folder reader says what is missing */
	char note[512];
	tl_eth_missing_note(TL_ETH_HAVE_BLOCKS | TL_ETH_HAVE_TXS | TL_ETH_HAVE_RECEIPTS | TL_ETH_HAVE_LOGS, note, sizeof note);
	assert_non_null(strstr(note, "no traces: internal transfers"));
	tl_eth_missing_note(0x7f, note, sizeof note);
	assert_string_equal(note, "");
	free(tx);
	tu_rmrf(dir);
	free(dir);
}

/* export_all's layout: table/start_block=X/end_block=Y/table_X_Y.csv */
static void test_partitioned_folder(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("eth-part");
	size_t blen, tlen;
	char *blocks = slurp_shared(BTW "expected_blocks.csv", &blen);
	char *txs = slurp_shared(BTW "expected_transactions.csv", &tlen);
	/* split each file after its header + first data rows into two partitions */
	const char *names[2] = { "blocks", "transactions" };
	char *texts[2] = { blocks, txs };
	for (int f = 0; f < 2; f++) {
		char *t = texts[f];
		char *hdr_end = strchr(t, '\n') + 1;
		char *split = hdr_end;
		for (int k = 0; k < (f ? 40 : 1); k++) split = strchr(split, '\n') + 1;
		for (int part = 0; part < 2; part++) {
			char sub[1024], path[1200];
			snprintf(sub, sizeof sub, "%s/%s/start_block=%d/end_block=%d", dir, names[f], part, part);
			char cmd[1300];
			snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
			assert_int_equal(tu_run(cmd, NULL), 0);
			snprintf(path, sizeof path, "%s/%s_%08d_%08d.csv", sub, names[f], part, part);
			FILE *o = fopen(path, "wb");
			fwrite(t, 1, (size_t)(hdr_end - t), o);
			if (part == 0) fwrite(hdr_end, 1, (size_t)(split - hdr_end), o);
			else fwrite(split, 1, strlen(split), o);
			fclose(o);
		}
	}
	struct tl_eth_data a = { 0 }, b = { 0 };
	struct tl_err err;
	if (tl_eth_etl_read_dir(&a, dir, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(a.have, TL_ETH_HAVE_BLOCKS | TL_ETH_HAVE_TXS);
	ef_etl(&b, BTW "expected_blocks.csv");
	ef_etl(&b, BTW "expected_transactions.csv");
	ef_finish(&b);
	ef_same_tables(&a, &b);
	/* by part: two ranges, each with its blocks and transactions files */
	struct tl_eth_parts parts;
	if (tl_eth_etl_parts(dir, &parts, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(parts.n, 2);
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(parts.v[k].start, k);
		assert_int_equal(parts.v[k].end, k);
		assert_int_equal(parts.v[k].n, 2);
	}
	struct tl_eth_data p0 = { 0 };
	if (tl_eth_etl_read_part(&p0, &parts.v[0], &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(p0.n_blocks, 1);
	assert_int_equal(p0.n_txs, 40);
	tl_eth_data_free(&p0);
	tl_eth_parts_free(&parts);
	/* read twice (the same folder again): duplicates are dropped */
	if (tl_eth_etl_read_dir(&a, dir, &err) < 0) fail_msg("%s", err.msg);
	ef_same_tables(&a, &b);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
	free(blocks);
	free(txs);
	tu_rmrf(dir);
	free(dir);
}

static void test_table_names(void **state)
{
	(void)state;
	assert_int_equal(tl_eth_etl_table_of("x/expected_blocks.csv"), TL_ETH_HAVE_BLOCKS);
	assert_int_equal(tl_eth_etl_table_of("blocks_00000000_00099999.csv"), TL_ETH_HAVE_BLOCKS);
	assert_int_equal(tl_eth_etl_table_of("token_transfers.json"), TL_ETH_HAVE_TOKTX);
	assert_int_equal(tl_eth_etl_table_of("tokens.csv"), TL_ETH_HAVE_TOKENS);
	assert_int_equal(tl_eth_etl_table_of("geth_traces.json"), 0);
	assert_int_equal(tl_eth_etl_table_of("web3_response.trace_block_0x0.json"), 0);
	assert_int_equal(tl_eth_etl_table_of("blocks.txt"), 0);
	assert_int_equal(tl_eth_etl_table_of("contracts.csv"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_corners),       cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_csv_and_json_agree), cmocka_unit_test(test_tables_content),
		cmocka_unit_test(test_malformed_rows),     cmocka_unit_test(test_partitioned_folder),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
