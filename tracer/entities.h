/* Entities: tags and heists stored in the database, and what they say
 * about an address or a cluster.
 *
 * Tags are imported from tag files (intel/tags.h parsers) into the tag
 * family. A tag on an address of the database's own network is keyed by
 * the address's owner script key (bitcoin/script.h tl_script_key), not by
 * its addr_id, so a tag on an address the index has not seen yet is kept
 * and applies as soon as the address appears (the indexer's clustering
 * folds it into the cluster summary then). Tags on other chains (ethereum,
 * tron, ...) or other bitcoin networks are kept, listed, never traced.
 * Each tag is keyed by (owner, hash of label, category, source): importing
 * a file twice stores nothing new.
 *
 * Every cluster with tags has a summary (store/tags.h struct
 * tl_cluster_summary: union of the members' categories, the label of the
 * most confident tag), so tl_entity_get is two point reads.
 *
 * Heists are imported from a registry file (intel/registry.h): id ->
 * the heist's JSON definition, a dense number (the u32 of taint keys,
 * stable across re-imports) and whether it is traceable (bitcoin chain of
 * this database, with seeds). Heists on other chains are stored and listed,
 * marked not traceable.
 *
 * Writes go into one batch per import: an import that fails writes
 * nothing. Functions return 0 on success and -1 with err filled. */
#ifndef TL_TRACER_ENTITIES_H
#define TL_TRACER_ENTITIES_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/heist_rows.h"
#include "store/store.h"
#include "store/tags.h"
#include "taint/graph.h"
#include "intel/registry.h"
#include "intel/tags.h"

/* What an import did. A tag is one (address, label, category, source):
 * the rows of a file name tags; each distinct tag is stored (new or with
 * a changed value), or already present unchanged. */
struct tl_tag_import_report {
	struct tl_tag_report parse; /* records, skipped, duplicates (rows
	                               repeating one field for field), ignored,
	                               with line messages */
	unsigned long stored;       /* distinct tags written: new or changed */
	unsigned long updated;      /* of which replaced a stored value */
	unsigned long existing;     /* distinct tags already stored with the
	                               same value (not written) */
	unsigned long duplicates;   /* rows naming a tag an earlier row of the
	                               file named, with other values (the later
	                               row wins; each reported with its line) */
	unsigned long seen;         /* distinct tags on addresses the index has seen */
	unsigned long unseen;       /* ... on this network's addresses not seen yet */
	unsigned long other_chain;  /* ... on other chains / networks */
	unsigned long bad_address;  /* rows whose address does not decode (also in parse.msgs) */
};

/* The TL_TAGCAT_* bit of a category name (tl_tag_categories), 0 if
 * unknown. */
uint32_t tl_tagcat_bit(const char *category);
/* Writes a comma-separated list of category names for bits into buf
 * ("exchange,sanctioned"; "" for 0). Returns buf. */
const char *tl_tagcat_names(uint32_t bits, char *buf, size_t cap);

/* Imports a tag file (fmt may be TL_TAGFMT_AUTO) into the database,
 * atomically. Bad rows are skipped and reported in rep->parse with their
 * line numbers; a file-level error returns -1 and writes nothing.
 * Returns 0 or -1. */
int tl_tags_import(struct tl_store *s, const char *path, enum tl_tag_format fmt, struct tl_tag_import_report *rep,
		   struct tl_err *err);
/* The same with the options some formats need (plain lists: label,
 * category, source; sdn.csv: its comments file); opts may be NULL.
 * seen + unseen + other_chain == stored + existing on success; on
 * failure stored, updated and existing are 0. Returns 0 or -1. */
int tl_tags_import_opts(struct tl_store *s, const char *path, enum tl_tag_format fmt, const struct tl_tag_opts *opts,
			struct tl_tag_import_report *rep, struct tl_err *err);

/* Tags of an address given as a string: this network's addresses by
 * owner script key (seen or not), anything else looked up among the
 * other-chain tags with chain (NULL: the database's network). Calls cb
 * for each tag (the record is valid during the call only); cb returns
 * nonzero to stop. Returns the number of tags visited, or -1. */
typedef int (*tl_tag_rec_cb)(void *ctx, const struct tl_tag_rec *t);
int tl_tags_of_address(struct tl_store *s, const char *chain, const char *address, tl_tag_rec_cb cb, void *ctx,
		       struct tl_err *err);
/* Tags of an indexed address. Returns the count visited or -1. */
int tl_tags_of_addr_id(struct tl_store *s, uint64_t addr_id, tl_tag_rec_cb cb, void *ctx, struct tl_err *err);

/* The cluster an address belongs to: its cluster id (addr_id itself for
 * a singleton or when clustering is off). Returns 0 or -1. */
int tl_cluster_of(struct tl_store *s, uint64_t addr_id, uint64_t *cluster_id, struct tl_err *err);
/* The summary of a cluster. Returns 1 stored, 0 none stored (then *sum is
 * a singleton with no tags: size 1, cats 0), -1 on error. */
int tl_cluster_summary(struct tl_store *s, uint64_t cluster_id, struct tl_cluster_summary *sum,
		       struct tl_err *err);
/* Tags of every member of a cluster (the union; a big cluster is read
 * member by member, so stop through cb when you have enough). Returns
 * the number of tags visited or -1. */
int tl_tags_of_cluster(struct tl_store *s, uint64_t cluster_id, tl_tag_rec_cb cb, void *ctx, struct tl_err *err);

/* The graph adapter's get_entity (taint/graph.h): category flags (masked
 * to TL_CAT_ALL), label and cluster id of addr_id through its cluster's
 * summary; cluster_id is 0 for a singleton. Two point reads. 0 or -1. */
int tl_entity_get(struct tl_store *s, uint64_t addr_id, struct tl_entity *out, struct tl_err *err);

/* Members of a cluster in addr_id order (a singleton: the id itself), in
 * one walk of the list: returns the count with *ids malloc'd (caller
 * frees), or -1 (*ids NULL). */
int tl_cluster_members_all(struct tl_store *s, uint64_t cluster_id, uint64_t **ids, struct tl_err *err);

/* One union that built a cluster: transaction, the two addresses it
 * linked and why (indexer/cluster.h enum tl_link_kind). */
struct tl_cluster_link {
	uint64_t tx_num, a, b;
	int kind;
};
/* The links of a cluster (read member by member, in member order). Writes
 * up to cap and returns the number written, or -1. */
int tl_cluster_links(struct tl_store *s, uint64_t cluster_id, struct tl_cluster_link *out, int cap,
		     struct tl_err *err);
/* The CoinJoin shape the indexer recorded for tx_num (indexer/cluster.h
 * enum tl_coinjoin_kind; 0 = none or clustering off), or -1 on error. */
int tl_tx_coinjoin(struct tl_store *s, uint64_t tx_num, struct tl_err *err);

/* ---- heists ---- */

struct tl_heist_import_report {
	unsigned long added, updated, traceable, not_traceable;
};

/* Imports every heist of a registry file (validated by
 * tl_registry_load) atomically: new ids get the next dense number, known
 * ids keep theirs and get the new definition. Returns 0 or -1. */
int tl_heists_import(struct tl_store *s, const char *path, struct tl_heist_import_report *rep, struct tl_err *err);

/* Stored heists are read with store/heist_rows.h (tl_heist_get, ...). */
/* Parses a stored heist's definition into a one-heist registry (free
 * with tl_registry_free). Returns 0 or -1. */
int tl_heist_parse(const struct tl_heist_info *info, struct tl_registry **out, struct tl_err *err);

#endif
