/* Attribution tags: streaming parsers for tag files.
 *
 * A tag says "this address belongs to / is controlled by X" with a
 * category (exchange, mixer, sanctioned, ...), a source and a confidence.
 * This module only parses; it never touches the database. A caller (the
 * store importer, the CLI) gets one callback per good record and decides
 * what to keep.
 *
 * Formats (auto-detected from the content, or forced):
 *   - CSV: header `chain,address,label,category,source,confidence`
 *     (optionally followed by `,entity` and `,notes`), RFC 4180 quoting;
 *   - OFAC SDN advanced XML (sdn_advanced.xml), read with libxml2's
 *     streaming reader: one record per "Digital Currency Address - <T>"
 *     Feature, labelled with its DistinctParty's primary name;
 *   - GraphSense TagPack YAML (libyaml): header fields inherited by tags;
 *     tags whose source is an OFAC publication are "sanctioned";
 *   - OFAC's legacy sdn.csv (tags_sdn.c), with its sdn_comments.csv: one
 *     record per "Digital Currency Address - <T> <address>" of a row's
 *     Remarks (continued in the comments file past 1000 characters);
 *   - a plain list, one address per line (or a JSON array of strings),
 *     whose label, category and source are given (struct tl_tag_opts).
 * Every string field of a record must be valid UTF-8: a record with an
 * invalid one is skipped and reported with its line.
 * docs/heists-and-tags.md describes each format and the category mapping.
 *
 * Error model: a bad row/tag/feature is skipped and reported (with its
 * line number) in struct tl_tag_report; the rest of the file continues.
 * A file-level failure (unreadable, not well-formed XML, truncated,
 * YAML syntax error, bad CSV header) returns -1 with a message in err.
 * Records may already have been delivered when -1 is returned: a caller
 * that writes them must treat the whole import as failed (no partial
 * commit), e.g. by buffering them in one write batch. */
#ifndef TL_INTEL_TAGS_H
#define TL_INTEL_TAGS_H

#include <stddef.h>

#include "base/err.h"

enum tl_tag_format {
	TL_TAGFMT_AUTO = 0, /* detect from the content */
	TL_TAGFMT_CSV,
	TL_TAGFMT_OFAC_XML,
	TL_TAGFMT_TAGPACK,
	TL_TAGFMT_SDN_CSV, /* OFAC legacy sdn.csv */
	TL_TAGFMT_LIST,    /* one address per line; never detected */
};

/* What some formats need beside the file. */
struct tl_tag_opts {
	/* TL_TAGFMT_LIST: every address gets these (label, category and
	 * source required; category one of tl_tag_categories); chain NULL =
	 * "bitcoin"; confidence -1 = none. */
	const char *label, *category, *source, *chain;
	int confidence;
	/* TL_TAGFMT_SDN_CSV: the sdn_comments.csv published with the file
	 * (NULL: none; rows whose Remarks were cut are then reported). */
	const char *comments_path;
};

/* One tag. Every string is NUL-terminated and owned by the parser: it is
 * valid only during the callback (copy what you keep). Optional fields are
 * NULL when absent. */
struct tl_tag {
	const char *chain;    /* "bitcoin", "bitcoin-testnet", "bitcoin-signet",
	                         "bitcoin-regtest", "ethereum", "tron", ...;
	                         lower case, never NULL */
	const char *address;  /* as written in the source (EVM case kept) */
	const char *label;    /* who: "Lazarus Group", "Binance", ... */
	const char *category; /* one of tl_tag_categories[] */
	const char *source;   /* URL or document the tag comes from */
	int confidence;       /* 0..100, or -1 when the source gives none */
	const char *entity;   /* optional: actor / party id (OFAC FixedRef,
	                         TagPack actor) */
	const char *notes;    /* optional free text (OFAC Feature comment,
	                         TagPack context) */
	const char *ticker;   /* optional: currency code as the source wrote
	                         it (OFAC "XBT", TagPack "BTC") */
	const char *ref;      /* optional: source's id of this item (OFAC
	                         Feature ID) */
	const char *type_ref; /* optional: source's type id (OFAC
	                         FeatureTypeID) */
	unsigned long line;   /* 1-based line where the record starts */
};

/* Called once per good record. Return 0 to go on; any other value stops
 * the parse, which then returns -1 with "stopped by callback". */
typedef int (*tl_tag_cb)(void *ctx, const struct tl_tag *tag);

#define TL_TAG_REPORT_MSGS 16

/* What a parse did. Zero it before use or let the parser do it (every
 * tl_tags_parse_* call clears it first). */
struct tl_tag_report {
	enum tl_tag_format format; /* format actually parsed */
	unsigned long records;     /* good records passed to the callback */
	unsigned long skipped;     /* bad records skipped (each has a message
	                              while there is room) */
	unsigned long duplicates;  /* rows repeating an earlier row of the file
	                              field for field (and TagPack duplicates):
	                              passed on once, each reported with the
	                              line it repeats; not errors */
	unsigned long ignored;     /* records of no interest (TagPack tx_hash
	                              tags), neither good nor bad */
	int nmsgs;                 /* messages stored, <= TL_TAG_REPORT_MSGS */
	char msgs[TL_TAG_REPORT_MSGS][256]; /* "line 12: confidence 140 not in 0..100" */
};

/* The accepted categories, NULL-terminated: the names of
 * tracer/category.h's table. */
extern const char *const tl_tag_categories[];

/* 1 if cat is one of tl_tag_categories, else 0. */
int tl_tag_category_valid(const char *cat);

/* Maps a GraphSense concept id (category/abuse field of a TagPack) to
 * one of our categories: exchange -> exchange, mixing_service/
 * coinjoin -> mixer, defi_bridge/bridge -> bridge, sanction ->
 * sanctioned, perpetrator/hacker/thief/... -> thief, ransomware ->
 * ransomware, scam/phishing/ponzi_scheme -> scam, other
 * known services -> service, anything else -> other. Never NULL. */
const char *tl_tag_category_from_concept(const char *concept);

/* Maps a currency ticker (OFAC "XBT", GraphSense "BTC", "ETH", "TRX",
 * ...; case-insensitive) to a chain name ("bitcoin", "ethereum",
 * "tron"...). Unknown tickers map to the ticker in lower case, written
 * to buf (cap bytes). Returns buf or a static string. */
const char *tl_tag_chain_from_ticker(const char *ticker, char *buf, size_t cap);

/* Guesses the format from the first bytes: "<" (after a BOM/blank) with
 * "Sanctions" -> OFAC XML; a first line equal to the CSV header -> CSV;
 * YAML-looking keys (title:, creator:, tags:) -> TagPack. Returns
 * TL_TAGFMT_AUTO when it cannot tell. */
enum tl_tag_format tl_tags_detect(const char *buf, size_t len);

/* Name of a format for messages: "csv", "ofac-xml", "tagpack",
 * "sdn-csv", "list", "auto". */
const char *tl_tag_format_name(enum tl_tag_format fmt);

/* Parses a whole in-memory file. name is used in messages (may be NULL).
 * fmt may be TL_TAGFMT_AUTO. rep may be NULL. Returns 0 when the file
 * as a whole was readable (some records may still have been skipped:
 * see rep->skipped), -1 on a file-level error (message in err). The
 * buffer need not be NUL-terminated and is not modified. */
int tl_tags_parse_buffer(const char *buf, size_t len, enum tl_tag_format fmt, const char *name,
			 tl_tag_cb cb, void *ctx, struct tl_tag_report *rep, struct tl_err *err);

/* Same for a file on disk. OFAC XML is streamed from the file (the real
 * list is ~120 MB; memory stays bounded by one DistinctParty); CSV and
 * TagPack files are read whole. Returns 0 or -1 as above. */
int tl_tags_parse_file(const char *path, enum tl_tag_format fmt, tl_tag_cb cb, void *ctx,
		       struct tl_tag_report *rep, struct tl_err *err);

/* tl_tags_parse_file with the options some formats need (opts may be
 * NULL for the others). Returns 0 or -1 as tl_tags_parse_file. */
int tl_tags_parse_file_opts(const char *path, enum tl_tag_format fmt, const struct tl_tag_opts *opts,
			    tl_tag_cb cb, void *ctx, struct tl_tag_report *rep, struct tl_err *err);

/* tl_tags_parse_buffer with options; for TL_TAGFMT_SDN_CSV the comments
 * file is given in memory (cbuf, clen; cbuf NULL = none) and
 * opts->comments_path is ignored. Returns 0 or -1. */
int tl_tags_parse_buffer_opts(const char *buf, size_t len, enum tl_tag_format fmt, const char *name,
			      const struct tl_tag_opts *opts, const char *cbuf, size_t clen, tl_tag_cb cb,
			      void *ctx, struct tl_tag_report *rep, struct tl_err *err);

/* 1 if the len bytes at s are valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF), else 0. */
int tl_utf8_valid(const char *s, size_t len);

/* TagPack confidence vocabulary: maps an id ("authority_data") to its
 * level (60). Returns -1 if the id is unknown. Built in from GraphSense's
 * confidence.csv. */
int tl_tagpack_confidence_level(const char *id);

/* ---- internals shared by the tags_*.c files (not for other modules) ---- */
void tl__tag_report_msg(struct tl_tag_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tl__tags_parse_csv(const char *buf, size_t len, const char *name, tl_tag_cb cb, void *ctx,
		       struct tl_tag_report *rep, struct tl_err *err);
int tl__tags_parse_tagpack(const char *buf, size_t len, const char *name, tl_tag_cb cb, void *ctx,
			   struct tl_tag_report *rep, struct tl_err *err);
/* Full Bitcoin address check (bitcoin/address.h) for the bitcoin* chains;
 * NULL if valid or chain is not a bitcoin chain, else a static reason. */
const char *tl__bitcoin_address_loose(const char *chain, const char *addr);
/* 1 if src names an OFAC publication (treasury.gov/ofac..., ofac.treas.gov). */
int tl__source_is_ofac(const char *src);
/* One RFC 4180 record of at most max fields, for the CSV readers. */
struct tl__csv_row {
	char *buf; /* fields, each NUL-terminated, back to back */
	size_t len, cap;
	size_t off[17];
	int nf, max;
	int too_many;
};
/* Reads one record at *pos (row->max fields kept, 1..16). Returns 1 with
 * a record, 0 at end of input, -1 on an unterminated quote, -2 out of
 * memory, -3 on a stray quote (record skipped to end of line). */
int tl__csv_read(const char *b, size_t len, size_t *pos, unsigned long *line, struct tl__csv_row *r);
const char *tl__csv_field(const struct tl__csv_row *r, int i);
int tl__tags_parse_sdn(const char *buf, size_t len, const char *cbuf, size_t clen, const char *name, tl_tag_cb cb,
		       void *ctx, struct tl_tag_report *rep, struct tl_err *err);
int tl__tags_parse_list(const char *buf, size_t len, const char *name, const struct tl_tag_opts *opts, tl_tag_cb cb,
			void *ctx, struct tl_tag_report *rep, struct tl_err *err);
/* An address's shape for chain: NULL if plausible (full check for the
 * bitcoin chains, 0x + 40 hex digits for EVM chains, printable ASCII of
 * 1..128 characters otherwise), else a reason written to why. */
const char *tl__tag_address_check(const char *chain, const char *addr, char *why, size_t cap);
/* path or buf: exactly one non-NULL. */
int tl__tags_parse_ofac(const char *path, const char *buf, size_t len, const char *name, tl_tag_cb cb,
			void *ctx, struct tl_tag_report *rep, struct tl_err *err);

#endif
