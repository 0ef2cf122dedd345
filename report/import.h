/* Import of a partner's share: a STIX 2.1 bundle or a MISP event (as
 * taintline exports them, or any producer's using the same objects).
 *   - wallets become tags: source = the partner, confidence from the
 *     object (STIX indicator confidence) or the import's default, the TLP
 *     level kept in the tag's notes ("TLP:AMBER; ..."), which is how the
 *     tag's level is read (store/tlp.h);
 *     addresses an indicator (STIX) or a btc-wallet (MISP) names are
 *     category "thief" with the actor as label; other wallets "other";
 *   - the theft becomes a heist: id "<partner>-<8 hex of the report or
 *     event uuid>", the actor, attribution and sources, "tlp" in its
 *     definition, and seeds: the report's x_taintline_trace.seed_outputs,
 *     else the transactions no flow reaches (STIX), or the btc-transaction
 *     objects marked as seeds (MISP, TL_MISP_SEED_MARK). No seeds: no heist.
 * The tags and the heist go through the ordinary importers
 * (tl_tags_import, tl_heists_import), so importing twice adds nothing. */
#ifndef TL_REPORT_IMPORT_H
#define TL_REPORT_IMPORT_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "report/tlp.h"
#include "store/store.h"

struct tl_share_import_opts {
	const char *source;  /* the partner's name (required; [A-Za-z0-9 ._-]) */
	int tlp_override;    /* 1: use tlp for everything instead of the markings */
	enum tl_tlp tlp;     /* the level when override, or when nothing is marked */
	int confidence;      /* default confidence 0..100, -1 unknown */
};

struct tl_share_import_report {
	const char *format;            /* "stix" or "misp" */
	unsigned long tags_stored;     /* distinct tags written (new or changed) */
	unsigned long tags_existing;   /* distinct tags already there unchanged (a re-import) */
	unsigned long heists_added;    /* 0 or 1 */
	unsigned long heists_updated;  /* 0 or 1 */
	char heist_id[80];             /* "" when no heist */
	unsigned long seeds;
};

/* The tag CSV and registry JSON a document imports as (exposed for the
 * tests and the fuzz target; no database needed). chain: the tag chain
 * name of the importing database ("bitcoin", "bitcoin-regtest" ...).
 * Out: *csv (malloc'd, the tag file text, header included), *registry
 * (new reference; NULL when the document names no theft with seeds).
 * Returns 0, or -1 with err naming what is malformed. */
int tl_share_convert(const json_t *doc, const char *chain, const struct tl_share_import_opts *o, char **csv,
                     json_t **registry, struct tl_share_import_report *rep, struct tl_err *err)
        __attribute__((warn_unused_result));

/* Imports a document into st (see above). Returns 0 or -1 with err;
 * nothing is written when the document is malformed. */
int tl_share_import(struct tl_store *st, const json_t *doc, const struct tl_share_import_opts *o,
                    struct tl_share_import_report *rep, struct tl_err *err) __attribute__((warn_unused_result));

#endif
