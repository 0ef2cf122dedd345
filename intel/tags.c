/* Tags: shared helpers (categories, tickers, detection, reports) and the
 * CSV tag format. The OFAC XML reader is in tags_ofac.c, the TagPack
 * reader in tags_tagpack.c. */
#include "intel/tags.h"

#include "bitcoin/address.h"
#include "bitcoin/network.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tl_tag_categories and tl_tag_category_valid: tracer/category.c. */

/* GraphSense concept id -> our category. Concepts not listed map to
 * "other"; see docs/heists-and-tags.md for the table. */
static const struct {
	const char *concept, *cat;
} concept_map[] = {
	{"exchange", "exchange"},
	{"defi_dex", "exchange"},
	{"otc", "exchange"},
	{"atm", "exchange"},
	{"payment_processor", "service"},
	{"mixing_service", "mixer"},
	{"coinjoin", "mixer"},
	{"privacy", "mixer"},
	{"bridge", "bridge"},
	{"defi_bridge", "bridge"},
	{"sanction", "sanctioned"},
	{"sanctioned", "sanctioned"},
	{"perpetrator", "thief"},
	{"hacker", "thief"},
	{"hack", "thief"},
	{"thief", "thief"},
	{"theft", "thief"},
	{"ransomware", "ransomware"},
	{"scam", "scam"},
	{"phishing", "scam"},
	{"extortion", "thief"},
	{"ponzi_scheme", "scam"},
	{"wallet_service", "service"},
	{"market", "service"},
	{"marketplace", "service"},
	{"gambling", "service"},
	{"mining_service", "service"},
	{"miner", "service"},
	{"defi", "service"},
	{"defi_lending", "service"},
	{"service", "service"},
	{"custodial_wallet", "service"},
	{"faucet", "service"},
	{"donation", "other"},
	{"user", "other"},
	{"organization", "other"},
};

const char *tl_tag_category_from_concept(const char *concept)
{
	if (!concept) return "other";
	for (size_t i = 0; i < sizeof concept_map / sizeof concept_map[0]; i++)
		if (strcmp(concept, concept_map[i].concept) == 0) return concept_map[i].cat;
	return "other";
}

static const struct {
	const char *ticker, *chain;
} ticker_map[] = {
	{"XBT", "bitcoin"},       {"BTC", "bitcoin"},          {"ETH", "ethereum"}, {"TRX", "tron"},
	{"LTC", "litecoin"},      {"BCH", "bitcoin-cash"},     {"BSV", "bitcoin-sv"}, {"BTG", "bitcoin-gold"},
	{"ETC", "ethereum-classic"}, {"XMR", "monero"},        {"ZEC", "zcash"},    {"DASH", "dash"},
	{"XRP", "ripple"},        {"XVG", "verge"},            {"SOL", "solana"},   {"BNB", "bnb"},
	{"BSC", "bsc"},           {"ARB", "arbitrum"},         {"DOGE", "dogecoin"}, {"POLYGON", "polygon"},
	{"MATIC", "polygon"},     {"AVAX", "avalanche"},       {"FTM", "fantom"},   {"OP", "optimism"},
	{"ARBITRUM", "arbitrum"},
};

const char *tl_tag_chain_from_ticker(const char *ticker, char *buf, size_t cap)
{
	if (!ticker || !*ticker) return "unknown";
	for (size_t i = 0; i < sizeof ticker_map / sizeof ticker_map[0]; i++)
		if (strcasecmp(ticker, ticker_map[i].ticker) == 0) return ticker_map[i].chain;
	if (!buf || cap == 0) return "unknown";
	size_t i = 0;
	for (; ticker[i] && i + 1 < cap; i++) buf[i] = (char)tolower((unsigned char)ticker[i]);
	buf[i] = 0;
	return buf;
}

const char *tl_tag_format_name(enum tl_tag_format fmt)
{
	switch (fmt) {
	case TL_TAGFMT_CSV: return "csv";
	case TL_TAGFMT_OFAC_XML: return "ofac-xml";
	case TL_TAGFMT_TAGPACK: return "tagpack";
	case TL_TAGFMT_SDN_CSV: return "sdn-csv";
	case TL_TAGFMT_LIST: return "list";
	default: return "auto";
	}
}

void tl__tag_report_msg(struct tl_tag_report *rep, const char *fmt, ...)
{
	if (!rep || rep->nmsgs >= TL_TAG_REPORT_MSGS) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->msgs[rep->nmsgs], sizeof rep->msgs[0], fmt, ap);
	va_end(ap);
	rep->nmsgs++;
}

static const char csv_header[] = "chain,address,label,category,source,confidence";

static int memmem_ci(const char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	if (n > len) return 0;
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(buf + i, needle, n) == 0) return 1;
	return 0;
}

enum tl_tag_format tl_tags_detect(const char *buf, size_t len)
{
	size_t i = 0;
	if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
		i = 3;
	while (i < len && isspace((unsigned char)buf[i])) i++;
	if (i == len) return TL_TAGFMT_AUTO;
	size_t head = len - i < 4096 ? len - i : 4096;
	if (buf[i] == '<') return memmem_ci(buf + i, head, "<Sanctions") ? TL_TAGFMT_OFAC_XML : TL_TAGFMT_AUTO;
	size_t hl = strlen(csv_header);
	if (len - i >= hl && memcmp(buf + i, csv_header, hl) == 0) return TL_TAGFMT_CSV;
	/* sdn.csv: no header; a row starts with its ent_num and the quoted
	 * name. */
	size_t d = i;
	while (d < len && d < i + 12 && isdigit((unsigned char)buf[d])) d++;
	if (d > i && len - d >= 2 && buf[d] == ',' && buf[d + 1] == '"') return TL_TAGFMT_SDN_CSV;
	/* YAML: a line starting with one of the TagPack keys. */
	static const char *const keys[] = {"title:", "creator:", "tags:", "header:", NULL};
	size_t p = i;
	while (p < len && p < i + 65536) {
		for (int k = 0; keys[k]; k++) {
			size_t kl = strlen(keys[k]);
			if (len - p >= kl && memcmp(buf + p, keys[k], kl) == 0) return TL_TAGFMT_TAGPACK;
		}
		const char *nl = memchr(buf + p, '\n', len - p);
		if (!nl) break;
		p = (size_t)(nl - buf) + 1;
	}
	return TL_TAGFMT_AUTO;
}

/* Rows that say exactly the same thing twice (every field equal) are
 * passed on once and counted as duplicates with the line of the first:
 * an import of 10,000 identical rows stores one tag, and says so. */
struct dedup {
	tl_tag_cb cb;
	void *ctx;
	struct tl_tag_report *rep;
	struct dslot {
		uint64_t h;
		unsigned long line;
		char *key;
	} *t;
	size_t cap, n;
	unsigned long dups; /* the parser counted them as records: taken off after */
	unsigned long bad;  /* records refused here (not UTF-8): likewise */
};

static size_t tag_key(const struct tl_tag *t, char *out, size_t cap)
{
	const char *f[] = { t->chain, t->address, t->label, t->category, t->source,
			    t->entity, t->notes, t->ticker, t->ref, t->type_ref };
	size_t n = 0;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		const char *v = f[i] ? f[i] : "";
		size_t l = strlen(v);
		if (out && n + l + 1 <= cap) {
			memcpy(out + n, v, l);
			out[n + l] = '\x1f';
		}
		n += l + 1;
	}
	char c[16];
	int cl = snprintf(c, sizeof c, "%d", t->confidence);
	if (out && n + (size_t)cl + 1 <= cap) memcpy(out + n, c, (size_t)cl + 1);
	return n + (size_t)cl + 1;
}

int tl_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		int n;
		unsigned cp;
		if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
		else return 0;
		if (len - i <= (size_t)n) return 0;
		for (int k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80) return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* overlong, surrogate, beyond Unicode */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return 0;
		i += (size_t)n + 1;
	}
	return 1;
}

/* The first string field of t that is not valid UTF-8 (its name), or
 * NULL: such text would make invalid JSON in every answer showing it. */
static const char *bad_utf8_field(const struct tl_tag *t)
{
	const struct {
		const char *name, *v;
	} f[] = { { "label", t->label },   { "address", t->address }, { "source", t->source },
		  { "entity", t->entity }, { "notes", t->notes },     { "chain", t->chain },
		  { "category", t->category }, { "ticker", t->ticker }, { "ref", t->ref },
		  { "type_ref", t->type_ref } };
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].v && !tl_utf8_valid(f[i].v, strlen(f[i].v))) return f[i].name;
	return NULL;
}

static int dedup_cb(void *arg, const struct tl_tag *t)
{
	struct dedup *d = arg;
	const char *bad = bad_utf8_field(t);
	if (bad) {
		d->rep->skipped++;
		d->bad++;
		tl__tag_report_msg(d->rep, "line %lu: the %s is not valid UTF-8 (row skipped)", t->line, bad);
		return 0;
	}
	size_t kl = tag_key(t, NULL, 0);
	char *key = malloc(kl);
	if (!key) return d->cb ? d->cb(d->ctx, t) : 0;
	tag_key(t, key, kl);
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < kl; i++) h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	if ((d->n + 1) * 2 > d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 1024;
		struct dslot *nt = calloc(nc, sizeof *nt);
		if (!nt) {
			free(key);
			return d->cb ? d->cb(d->ctx, t) : 0;
		}
		for (size_t i = 0; i < d->cap; i++)
			if (d->t[i].key) {
				size_t j = (size_t)d->t[i].h & (nc - 1);
				while (nt[j].key) j = (j + 1) & (nc - 1);
				nt[j] = d->t[i];
			}
		free(d->t);
		d->t = nt;
		d->cap = nc;
	}
	size_t j = (size_t)h & (d->cap - 1);
	for (; d->t[j].key; j = (j + 1) & (d->cap - 1))
		if (d->t[j].h == h && !strcmp(d->t[j].key, key)) {
			d->rep->duplicates++;
			d->dups++;
			tl__tag_report_msg(d->rep, "line %lu: the same tag as line %lu (counted once)", t->line,
					   d->t[j].line);
			free(key);
			return 0;
		}
	d->t[j] = (struct dslot){ h, t->line, key };
	d->n++;
	return d->cb ? d->cb(d->ctx, t) : 0;
}

static void dedup_free(struct dedup *d)
{
	unsigned long off = d->dups + d->bad;
	d->rep->records -= off <= d->rep->records ? off : d->rep->records;
	for (size_t i = 0; i < d->cap; i++) free(d->t[i].key);
	free(d->t);
}

static int dispatch_raw(const char *buf, size_t len, enum tl_tag_format fmt, const char *name,
			const struct tl_tag_opts *opts, const char *cbuf, size_t clen, tl_tag_cb cb, void *ctx,
			struct tl_tag_report *rep, struct tl_err *err)
{
	const char *nm = name ? name : "input";
	if (fmt == TL_TAGFMT_AUTO) fmt = tl_tags_detect(buf, len);
	rep->format = fmt;
	switch (fmt) {
	case TL_TAGFMT_CSV: return tl__tags_parse_csv(buf, len, nm, cb, ctx, rep, err);
	case TL_TAGFMT_TAGPACK: return tl__tags_parse_tagpack(buf, len, nm, cb, ctx, rep, err);
	case TL_TAGFMT_OFAC_XML: return tl__tags_parse_ofac(NULL, buf, len, nm, cb, ctx, rep, err);
	case TL_TAGFMT_SDN_CSV: return tl__tags_parse_sdn(buf, len, cbuf, clen, nm, cb, ctx, rep, err);
	case TL_TAGFMT_LIST: return tl__tags_parse_list(buf, len, nm, opts, cb, ctx, rep, err);
	default:
		return tl_err_set(err,
				  "%s: unknown tag file format (expected a CSV with header '%s', an OFAC "
				  "sdn_advanced XML file, an OFAC sdn.csv or a GraphSense TagPack; a plain "
				  "address list needs --format list)",
				  nm, csv_header);
	}
}

static int dispatch(const char *buf, size_t len, enum tl_tag_format fmt, const char *name,
		    const struct tl_tag_opts *opts, const char *cbuf, size_t clen, tl_tag_cb cb, void *ctx,
		    struct tl_tag_report *rep, struct tl_err *err)
{
	struct dedup d = { .cb = cb, .ctx = ctx, .rep = rep };
	int rc = dispatch_raw(buf, len, fmt, name, opts, cbuf, clen, dedup_cb, &d, rep, err);
	dedup_free(&d);
	return rc;
}

int tl_tags_parse_buffer_opts(const char *buf, size_t len, enum tl_tag_format fmt, const char *name,
			      const struct tl_tag_opts *opts, const char *cbuf, size_t clen, tl_tag_cb cb,
			      void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	struct tl_tag_report local;
	if (!rep) rep = &local;
	memset(rep, 0, sizeof *rep);
	if (!buf && len) return tl_err_set(err, "%s: no buffer", name ? name : "input");
	return dispatch(buf ? buf : "", len, fmt, name, opts, cbuf, clen, cb, ctx, rep, err);
}

int tl_tags_parse_buffer(const char *buf, size_t len, enum tl_tag_format fmt, const char *name, tl_tag_cb cb,
			 void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	return tl_tags_parse_buffer_opts(buf, len, fmt, name, NULL, NULL, 0, cb, ctx, rep, err);
}

/* Reads a whole file (at most 4 GiB) into *out (malloc'd). 0 or -1. */
static int read_whole(const char *path, char **out, size_t *outlen, struct tl_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) return tl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return tl_err_set(err, "%s: out of memory", path);
	}
	for (;;) {
		if (len == cap) {
			if (cap > ((size_t)1 << 32)) {
				free(buf);
				fclose(f);
				return tl_err_set(err, "%s: file too large", path);
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				fclose(f);
				return tl_err_set(err, "%s: out of memory", path);
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) break;
	}
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(buf);
		return tl_err_set(err, "%s: read error", path);
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int tl_tags_parse_file_opts(const char *path, enum tl_tag_format fmt, const struct tl_tag_opts *opts,
			    tl_tag_cb cb, void *ctx, struct tl_tag_report *rep, struct tl_err *err)
{
	struct tl_tag_report local;
	if (!rep) rep = &local;
	memset(rep, 0, sizeof *rep);
	if (fmt == TL_TAGFMT_AUTO) {
		FILE *f = fopen(path, "rb");
		if (!f) return tl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
		char head[4096];
		size_t hn = fread(head, 1, sizeof head, f);
		fclose(f);
		fmt = tl_tags_detect(head, hn);
	}
	if (fmt == TL_TAGFMT_OFAC_XML) {
		/* streamed: the real list is ~120 MB */
		rep->format = fmt;
		struct dedup d = { .cb = cb, .ctx = ctx, .rep = rep };
		int rc = tl__tags_parse_ofac(path, NULL, 0, path, dedup_cb, &d, rep, err);
		dedup_free(&d);
		return rc;
	}
	char *buf = NULL, *cbuf = NULL;
	size_t len = 0, clen = 0;
	if (read_whole(path, &buf, &len, err) < 0) return -1;
	if (fmt == TL_TAGFMT_SDN_CSV && opts && opts->comments_path &&
	    read_whole(opts->comments_path, &cbuf, &clen, err) < 0) {
		free(buf);
		return -1;
	}
	int rc = dispatch(buf, len, fmt, path, opts, cbuf, clen, cb, ctx, rep, err);
	free(buf);
	free(cbuf);
	return rc;
}

int tl_tags_parse_file(const char *path, enum tl_tag_format fmt, tl_tag_cb cb, void *ctx, struct tl_tag_report *rep,
		       struct tl_err *err)
{
	return tl_tags_parse_file_opts(path, fmt, NULL, cb, ctx, rep, err);
}

int tl__source_is_ofac(const char *src)
{
	if (!src) return 0;
	size_t n = strlen(src);
	return memmem_ci(src, n, "treasury.gov/ofac") || memmem_ci(src, n, "ofac.treas.gov") ||
	       memmem_ci(src, n, "treasury.gov/policy-issues/financial-sanctions");
}

const char *tl__tag_address_check(const char *chain, const char *addr, char *why, size_t cap)
{
	size_t al = strlen(addr);
	if (al == 0 || al > 128) {
		snprintf(why, cap, "address is %s", al ? "longer than 128 characters" : "empty");
		return why;
	}
	for (size_t i = 0; i < al; i++)
		if ((unsigned char)addr[i] <= 0x20 || (unsigned char)addr[i] >= 0x7f) {
			snprintf(why, cap, "address '%.100s' contains a space or non-ASCII character", addr);
			return why;
		}
	const char *bad = tl__bitcoin_address_loose(chain, addr);
	if (bad) {
		snprintf(why, cap, "'%.100s' is not a valid %s address: %s", addr, chain, bad);
		return why;
	}
	static const char *const evm[] = { "ethereum", "ethereum-classic", "bsc", "bnb", "arbitrum", "polygon",
					   "avalanche", "fantom", "optimism", NULL };
	for (int i = 0; evm[i]; i++)
		if (!strcmp(chain, evm[i])) {
			int ok = al == 42 && addr[0] == '0' && (addr[1] == 'x' || addr[1] == 'X');
			for (size_t k = 2; ok && k < al; k++) ok = isxdigit((unsigned char)addr[k]) != 0;
			if (!ok) {
				snprintf(why, cap, "'%.100s' is not a valid %s address: expected 0x and 40 hex digits (%zu characters)",
					 addr, chain, al);
				return why;
			}
			break;
		}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* TagPack confidence vocabulary (GraphSense confidence.csv).          */

static const struct {
	const char *id;
	int level;
} confidence_vocab[] = {
	{"override", 100},        {"ownership", 100},     {"ledger_immanent", 100}, {"manual_transaction", 90},
	{"service_api", 70},      {"forensic_investigation", 70}, {"authority_data", 60}, {"trusted_provider", 50},
	{"service_data", 50},     {"forensic", 50},       {"untrusted_transaction", 40}, {"web_crawl", 20},
	{"heuristic", 10},        {"unknown", 5},
};

int tl_tagpack_confidence_level(const char *id)
{
	if (!id) return -1;
	for (size_t i = 0; i < sizeof confidence_vocab / sizeof confidence_vocab[0]; i++)
		if (strcmp(id, confidence_vocab[i].id) == 0) return confidence_vocab[i].level;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Bitcoin address check for the bitcoin* chains, with bitcoin/address.h
 * (checksum, network prefix/HRP, witness version rules). Returns NULL if
 * fine or chain is not a bitcoin chain, else a reason in a static
 * buffer (not thread-safe; parsers call it from one thread). */
const char *tl__bitcoin_address_loose(const char *chain, const char *a)
{
	static char why[sizeof(((struct tl_err *)0)->msg)];
	enum tl_net net;
	if (strcmp(chain, "bitcoin") == 0)
		net = TL_NET_MAIN;
	else if (strcmp(chain, "bitcoin-testnet") == 0)
		net = TL_NET_TESTNET;
	else if (strcmp(chain, "bitcoin-signet") == 0)
		net = TL_NET_SIGNET;
	else if (strcmp(chain, "bitcoin-regtest") == 0)
		net = TL_NET_REGTEST;
	else
		return NULL; /* not a bitcoin chain: kept as-is */
	uint8_t script[42];
	size_t sl;
	struct tl_err e = { 0 };
	if (tl_address_to_script(a, tl_net_params(net), script, &sl, &e) == 0) return NULL;
	snprintf(why, sizeof why, "%s", e.msg[0] ? e.msg : "invalid address");
	return why;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

#define CSV_MAX_FIELDS 8

#define csv_row tl__csv_row

static int row_putc(struct csv_row *r, char c)
{
	if (r->len + 1 >= r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 256;
		char *nb = realloc(r->buf, nc);
		if (!nb) return -1;
		r->buf = nb;
		r->cap = nc;
	}
	r->buf[r->len++] = c;
	return 0;
}

static int row_end_field(struct csv_row *r)
{
	if (row_putc(r, 0) < 0) return -1;
	int max = r->max > 0 && r->max <= 16 ? r->max : CSV_MAX_FIELDS;
	if (r->nf < max)
		r->off[++r->nf] = r->len;
	else
		r->too_many = 1;
	return 0;
}

static void row_reset(struct csv_row *r)
{
	r->len = 0;
	r->nf = 0;
	r->off[0] = 0;
	r->too_many = 0;
}

static const char *field(const struct csv_row *r, int i) { return r->buf + r->off[i]; }

const char *tl__csv_field(const struct tl__csv_row *r, int i) { return field(r, i); }

/* Reads one record starting at *pos. Returns 1 with a record, 0 at end of
 * input, -1 on an unterminated quote (*pos at end), -2 out of memory,
 * -3 on a stray quote/char after a closing quote (record skipped to end
 * of line). *line is advanced over the newlines consumed. */
int tl__csv_read(const char *b, size_t len, size_t *pos, unsigned long *line, struct csv_row *r)
{
	size_t p = *pos;
	row_reset(r);
	if (p >= len) return 0;
	int bad = 0;
	for (;;) {
		/* one field */
		if (p < len && b[p] == '"') {
			p++;
			for (;;) {
				if (p >= len) {
					*pos = p;
					return -1;
				}
				char c = b[p++];
				if (c == '"') {
					if (p < len && b[p] == '"') {
						p++;
						if (row_putc(r, '"') < 0) return -2;
						continue;
					}
					break;
				}
				if (c == '\n') (*line)++;
				if (row_putc(r, c) < 0) return -2;
			}
			/* after the closing quote: , or end of line */
			if (p < len && b[p] != ',' && b[p] != '\r' && b[p] != '\n') bad = 1;
			while (p < len && b[p] != ',' && b[p] != '\n') p++;
		} else {
			while (p < len && b[p] != ',' && b[p] != '\n') {
				if (b[p] == '"') bad = 1;
				if (!(b[p] == '\r' && (p + 1 == len || b[p + 1] == '\n')))
					if (row_putc(r, b[p]) < 0) return -2;
				p++;
			}
		}
		if (row_end_field(r) < 0) return -2;
		if (p < len && b[p] == ',') {
			p++;
			continue;
		}
		if (p < len && b[p] == '\n') p++;
		(*line)++;
		break;
	}
	*pos = p;
	return bad ? -3 : 1;
}

static int valid_chain_name(const char *s)
{
	if (!*s || strlen(s) > 32) return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '_')) return 0;
	return 1;
}

static int has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') return 1;
	return 0;
}

/* Validates a row; NULL if fine, else a message in why. */
static const char *csv_check(const struct csv_row *r, int nf, int *conf, char *why, size_t cap)
{
	if (r->too_many || r->nf != nf) {
		snprintf(why, cap, "%d fields, expected %d", r->nf, nf);
		return why;
	}
	const char *chain = field(r, 0), *addr = field(r, 1), *label = field(r, 2), *cat = field(r, 3),
		   *src = field(r, 4), *cf = field(r, 5);
	if (!valid_chain_name(chain)) {
		snprintf(why, cap, "chain '%.40s' is not a lower-case chain name", chain);
		return why;
	}
	size_t al = strlen(addr);
	if (al == 0 || al > 128) {
		snprintf(why, cap, "address is %s", al ? "longer than 128 characters" : "empty");
		return why;
	}
	for (size_t i = 0; i < al; i++)
		if ((unsigned char)addr[i] <= 0x20 || (unsigned char)addr[i] >= 0x7f) {
			snprintf(why, cap, "address '%.100s' contains a space or non-ASCII character", addr);
			return why;
		}
	const char *bad = tl__bitcoin_address_loose(chain, addr);
	if (bad) {
		snprintf(why, cap, "address '%.100s' is not a valid %s address: %s", addr, chain, bad);
		return why;
	}
	if (!*label) return snprintf(why, cap, "label is empty"), why;
	if (!tl_tag_category_valid(cat)) {
		snprintf(why, cap,
			 "category '%.40s' unknown (expected exchange, mixer, bridge, sanctioned, thief, service or other)",
			 cat);
		return why;
	}
	if (!*src) return snprintf(why, cap, "source is empty (every tag must say where it comes from)"), why;
	for (int i = 0; i < nf; i++)
		if (has_ctrl(field(r, i))) return snprintf(why, cap, "field %d contains a control character", i + 1), why;
	if (!*cf) {
		*conf = -1;
	} else {
		long v = 0;
		const char *s = cf;
		if (strlen(s) > 3) goto badconf;
		for (; *s; s++) {
			if (!isdigit((unsigned char)*s)) goto badconf;
			v = v * 10 + (*s - '0');
		}
		if (v > 100) goto badconf;
		*conf = (int)v;
	}
	return NULL;
badconf:
	snprintf(why, cap, "confidence '%.20s' is not empty or an integer 0..100", cf);
	return why;
}

int tl__tags_parse_csv(const char *b, size_t len, const char *name, tl_tag_cb cb, void *ctx,
		       struct tl_tag_report *rep, struct tl_err *err)
{
	size_t pos = 0;
	unsigned long line = 1;
	if (len >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB && (unsigned char)b[2] == 0xBF) pos = 3;
	/* Header: exactly the six names, optionally ,entity and ,notes. */
	size_t eol = pos;
	while (eol < len && b[eol] != '\n') eol++;
	size_t hl = eol - pos;
	if (hl && b[pos + hl - 1] == '\r') hl--;
	static const char *const headers[] = {"chain,address,label,category,source,confidence",
					      "chain,address,label,category,source,confidence,entity",
					      "chain,address,label,category,source,confidence,notes",
					      "chain,address,label,category,source,confidence,entity,notes", NULL};
	int hi = -1;
	for (int i = 0; headers[i]; i++)
		if (strlen(headers[i]) == hl && memcmp(b + pos, headers[i], hl) == 0) hi = i;
	if (hi < 0)
		return tl_err_set(err, "%s: line 1: CSV header must be exactly '%s' (optionally followed by ,entity and/or ,notes)",
				  name, csv_header);
	int nf = 6 + (hi == 0 ? 0 : hi == 3 ? 2 : 1);
	int ent_col = (hi == 1 || hi == 3) ? 6 : -1;
	int notes_col = hi == 2 ? 6 : hi == 3 ? 7 : -1;
	pos = eol < len ? eol + 1 : eol;
	line = 2;

	struct csv_row r = { .max = CSV_MAX_FIELDS };
	int ret = 0;
	char why[200];
	for (;;) {
		unsigned long start = line;
		size_t row_pos = pos;
		int rc = tl__csv_read(b, len, &pos, &line, &r);
		if (rc == 0) break;
		if (rc == -2) {
			ret = tl_err_set(err, "%s: out of memory", name);
			break;
		}
		if (rc == -1) {
			/* Everything after the opening quote is lost: count each
			 * line of it, so the report does not read as one row. */
			unsigned long lines = 1;
			for (size_t i = row_pos; i < len; i++)
				if (b[i] == '\n' && i + 1 < len) lines++;
			rep->skipped += lines;
			tl__tag_report_msg(rep,
					   "line %lu: unterminated quoted field: the rest of the file (%lu lines) could not "
					   "be read",
					   start, lines);
			break;
		}
		if (pos > row_pos && memchr(b + row_pos, '\0', pos - row_pos)) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: contains a NUL byte (row skipped)", start);
			continue;
		}
		if (rc == -3) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: stray double quote (quote the whole field and double inner quotes)",
					   start);
			continue;
		}
		/* Blank line or a lone Ctrl-Z (DOS end of file): nothing. */
		if (r.nf == 1 && (field(&r, 0)[0] == 0 || strcmp(field(&r, 0), "\x1a") == 0)) continue;
		int conf = -1;
		if (csv_check(&r, nf, &conf, why, sizeof why)) {
			rep->skipped++;
			tl__tag_report_msg(rep, "line %lu: %s", start, why);
			continue;
		}
		struct tl_tag t = {
			.chain = field(&r, 0),
			.address = field(&r, 1),
			.label = field(&r, 2),
			.category = field(&r, 3),
			.source = field(&r, 4),
			.confidence = conf,
			.entity = ent_col >= 0 && *field(&r, ent_col) ? field(&r, ent_col) : NULL,
			.notes = notes_col >= 0 && *field(&r, notes_col) ? field(&r, notes_col) : NULL,
			.line = start,
		};
		if (cb && cb(ctx, &t) != 0) {
			ret = tl_err_set(err, "%s: line %lu: stopped by callback", name, start);
			break;
		}
		rep->records++;
	}
	free(r.buf);
	return ret;
}
