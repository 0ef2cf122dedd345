/* OFAC's legacy sdn.csv (with sdn_comments.csv) reader.
 *
 * sdn.csv has no header: 12 columns (ent_num, SDN_Name, SDN_Type,
 * Program, 7 vessel/title columns, Remarks), nulls written `-0- `. The
 * addresses are items "Digital Currency Address - <TICKER> <address>" of
 * Remarks (later ones of a ticker prefixed "alt. "). OFAC cuts Remarks
 * at 1000 characters and continues them in sdn_comments.csv (ent_num,
 * continuation), appended with no separator: the cut can fall inside an
 * address, so the two are joined before matching. The files end with a
 * Ctrl-Z, which is no record.
 *
 * A row whose Remarks were cut without a continuation at hand, or whose
 * address fails its chain's check (a real 2021 row carries a 41-character
 * ETH address), is reported with its line and not imported. An
 * unterminated quoted field means a cut file: file-level error. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/tags.h"

#define SDN_COLS 12
#define REMARKS_CUT 1000 /* OFAC's Remarks column width */
#define SDN_SOURCE "OFAC SDN list (sdn.csv)"

static const char item_prefix[] = "Digital Currency Address - ";

struct cont {
	char *ent;
	char *text; /* continuations of ent, in file order, joined */
	int used;
};

struct conts {
	struct cont *v;
	size_t n, cap;
};

static void conts_free(struct conts *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].ent);
		free(c->v[i].text);
	}
	free(c->v);
}

static struct cont *cont_find(struct conts *c, const char *ent)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].ent, ent)) return &c->v[i];
	return NULL;
}

static int is_null_field(const char *f) { return !strcmp(f, "-0- ") || !strcmp(f, "-0-") || !*f; }

static int all_digits(const char *s)
{
	if (!*s || strlen(s) > 12) return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s)) return 0;
	return 1;
}

/* A lone Ctrl-Z (DOS end of file) or a blank line. */
static int is_eof_row(const struct tl__csv_row *r)
{
	return r->nf == 1 && (!*tl__csv_field(r, 0) || !strcmp(tl__csv_field(r, 0), "\x1a"));
}

/* Reads sdn_comments.csv. Returns 0 or -1 (file-level error). */
static int load_comments(const char *b, size_t len, struct conts *c, struct tl_tag_report *rep, struct tl_err *err)
{
	struct tl__csv_row r = { .max = 4 };
	size_t pos = 0;
	unsigned long line = 1;
	int ret = 0;
	for (;;) {
		unsigned long start = line;
		int rc = tl__csv_read(b, len, &pos, &line, &r);
		if (rc == 0) break;
		if (rc == -2) {
			ret = tl_err_set(err, "sdn_comments: out of memory");
			break;
		}
		if (rc == -1) {
			ret = tl_err_set(err, "sdn_comments: line %lu: unterminated quoted field (is the file cut short?)",
					 start);
			break;
		}
		if (rc == -3 || (!is_eof_row(&r) && (r.nf != 2 || !all_digits(tl__csv_field(&r, 0))))) {
			if (rc != -3 && is_eof_row(&r)) continue;
			ret = tl_err_set(err, "sdn_comments: line %lu: expected ent_num,\"continuation\"", start);
			break;
		}
		if (is_eof_row(&r)) continue;
		const char *ent = tl__csv_field(&r, 0), *txt = tl__csv_field(&r, 1);
		struct cont *k = cont_find(c, ent);
		if (!k) {
			if (c->n == c->cap) {
				size_t nc = c->cap ? c->cap * 2 : 64;
				struct cont *nv = realloc(c->v, nc * sizeof *nv);
				if (!nv) {
					ret = tl_err_set(err, "sdn_comments: out of memory");
					break;
				}
				c->v = nv;
				c->cap = nc;
			}
			k = &c->v[c->n];
			*k = (struct cont){ strdup(ent), strdup(""), 0 };
			if (!k->ent || !k->text) {
				free(k->ent);
				free(k->text);
				ret = tl_err_set(err, "sdn_comments: out of memory");
				break;
			}
			c->n++;
		}
		size_t ol = strlen(k->text), tl = strlen(txt);
		char *nt = realloc(k->text, ol + tl + 1);
		if (!nt) {
			ret = tl_err_set(err, "sdn_comments: out of memory");
			break;
		}
		memcpy(nt + ol, txt, tl + 1);
		k->text = nt;
	}
	(void)rep;
	free(r.buf);
	return ret;
}

/* Delivers every address item of one row's Remarks. Returns 0, or -1
 * when the callback stopped the parse. */
static int row_items(const char *name, const char *ent, const char *sdn_name, const char *program,
		     const char *remarks, unsigned long line, tl_tag_cb cb, void *ctx, struct tl_tag_report *rep,
		     struct tl_err *err)
{
	const size_t pl = sizeof item_prefix - 1;
	for (const char *p = strstr(remarks, item_prefix); p; p = strstr(p, item_prefix)) {
		p += pl;
		char ticker[16], addr[160];
		size_t tl = 0, al = 0;
		while ((isupper((unsigned char)p[tl]) || isdigit((unsigned char)p[tl])) && tl + 1 < sizeof ticker) tl++;
		if (!tl || p[tl] != ' ') {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: ent_num %s: no ticker after '%s'", line, ent, item_prefix);
			continue;
		}
		memcpy(ticker, p, tl);
		ticker[tl] = 0;
		const char *a = p + tl + 1;
		while (a[al] && a[al] != ';' && !isspace((unsigned char)a[al])) al++;
		size_t keep = al;
		while (keep && a[keep - 1] == '.') keep--; /* the remark's final full stop */
		if (!keep || keep >= sizeof addr) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: ent_num %s: %s address %s", line, ent, ticker,
					   keep ? "longer than 159 characters" : "missing");
			p = a + al;
			continue;
		}
		memcpy(addr, a, keep);
		addr[keep] = 0;
		p = a + al;
		char chainbuf[48], why[200];
		const char *chain = tl_tag_chain_from_ticker(ticker, chainbuf, sizeof chainbuf);
		if (tl__tag_address_check(chain, addr, why, sizeof why)) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: ent_num %s: %s %s (not imported)", line, ent, ticker, why);
			continue;
		}
		char notes[96];
		snprintf(notes, sizeof notes, "program %.80s", program);
		struct tl_tag t = {
			.chain = chain,
			.address = addr,
			.label = sdn_name,
			.category = "sanctioned",
			.source = SDN_SOURCE,
			.confidence = -1,
			.entity = ent,
			.notes = is_null_field(program) ? NULL : notes,
			.ticker = ticker,
			.line = line,
		};
		if (cb && cb(ctx, &t) != 0) return tl_err_set(err, "%s: line %lu: stopped by callback", name, line);
		rep->records++;
	}
	return 0;
}

int tl__tags_parse_sdn(const char *b, size_t len, const char *cbuf, size_t clen, const char *name, tl_tag_cb cb,
		       void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	struct conts c = { 0 };
	if (cbuf && load_comments(cbuf, clen, &c, rep, err) < 0) {
		conts_free(&c);
		return -1;
	}
	struct tl__csv_row r = { .max = SDN_COLS + 1 };
	size_t pos = 0;
	unsigned long line = 1;
	int ret = 0;
	char *joined = NULL;
	for (;;) {
		unsigned long start = line;
		int rc = tl__csv_read(b, len, &pos, &line, &r);
		if (rc == 0) break;
		if (rc == -2) {
			ret = tl_err_set(err, "%s: out of memory", name);
			break;
		}
		if (rc == -1) {
			/* A cut download: what follows the quote cannot be told
			 * apart from an address, so nothing of the file is kept. */
			ret = tl_err_set(err, "%s: line %lu: unterminated quoted field (is the file cut short?)", name,
					 start);
			break;
		}
		if (rc == -3) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: stray double quote (row skipped)", start);
			continue;
		}
		if (is_eof_row(&r)) continue;
		if (r.too_many || r.nf != SDN_COLS || !all_digits(tl__csv_field(&r, 0))) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: not an sdn.csv row (%d fields, expected %d starting with ent_num)",
					   start, r.nf, SDN_COLS);
			continue;
		}
		const char *ent = tl__csv_field(&r, 0), *sdn_name = tl__csv_field(&r, 1),
			   *program = tl__csv_field(&r, 3), *remarks = tl__csv_field(&r, 11);
		if (is_null_field(remarks)) remarks = "";
		struct cont *k = cont_find(&c, ent);
		size_t rl = strlen(remarks);
		size_t upto = rl; /* Remarks read up to here */
		if (!k && rl >= REMARKS_CUT) {
			/* Cut, and its continuation is not at hand: the items
			 * before the last "; " are whole, the rest may be cut
			 * anywhere (inside an address too). */
			const char *last = NULL;
			for (const char *q = remarks; (q = strstr(q, "; ")); q++) last = q;
			upto = last ? (size_t)(last - remarks) : 0;
			if (strstr(remarks + upto, "Digital Curr") || strstr(remarks + upto, "Currency Addr") ||
			    rl - upto < sizeof item_prefix) {
				rep->skipped++;
				tl__tag_report_msg(rep,
						   "line %lu: ent_num %s: Remarks cut at %d characters and no continuation in "
						   "sdn_comments.csv: the end of the row is not read (pass the comments file)",
						   start, ent, REMARKS_CUT);
			}
		}
		const char *full = remarks;
		if (!k && upto < rl) {
			char *nj = realloc(joined, upto + 1);
			if (!nj) {
				ret = tl_err_set(err, "%s: out of memory", name);
				break;
			}
			joined = nj;
			memcpy(joined, remarks, upto);
			joined[upto] = 0;
			full = joined;
		}
		if (k) {
			size_t kl = strlen(k->text);
			char *nj = realloc(joined, rl + kl + 1);
			if (!nj) {
				ret = tl_err_set(err, "%s: out of memory", name);
				break;
			}
			joined = nj;
			memcpy(joined, remarks, rl);
			memcpy(joined + rl, k->text, kl + 1);
			full = joined;
			k->used = 1;
		}
		if (!*sdn_name || is_null_field(sdn_name)) {
			if (strstr(full, item_prefix)) {
				rep->skipped++;
				tl__tag_report_msg(rep, "line %lu: ent_num %s has addresses but no name", start, ent);
			}
			continue;
		}
		if (row_items(name, ent, sdn_name, program, full, start, cb, ctx, rep, err) < 0) {
			ret = -1;
			break;
		}
	}
	if (!ret)
		for (size_t i = 0; i < c.n; i++)
			if (!c.v[i].used && strstr(c.v[i].text, "Currency Address")) {
				/* a continuation with an address and no row for it */
				rep->skipped++;
				tl__tag_report_msg(rep, "sdn_comments: ent_num %s continues no row of %s (not imported)",
						   c.v[i].ent, name);
			}
	free(joined);
	free(r.buf);
	conts_free(&c);
	return ret;
}
