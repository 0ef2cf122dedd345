/* Tags and heists in the Ethereum database (families eth_tag and
 * eth_heist), in the same file formats as the Bitcoin database's
 * (docs/heists-and-tags.md) but kept apart: an Ethereum database holds
 * what concerns its own chain ("ethereum" on mainnet, "ethereum-<network>"
 * otherwise).
 *
 *   eth_tag    address20, source, 0, category, 0, label -> JSON {label,
 *              category, source, confidence[, entity, notes]}
 *   eth_heist  id -> the heist's JSON definition as given
 *
 * Addresses are checked (EIP-55 when written in mixed case) and stored as
 * 20 bytes, printed lower case. Tags on addresses the index has not seen
 * are kept: the index may reach them later. */
#ifndef TL_STORE_ETH_INTEL_H
#define TL_STORE_ETH_INTEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "intel/tags.h"
#include "store/eth_store.h"
#include "store/tlp.h"

/* Adds tag t (one row of a tag file: intel/tags.h) to batch b if it is
 * on the database's chain and not stored yet. Returns 1 added, 0 already
 * stored, 2 another chain (skipped), 3 a bad address (err says why), -1
 * a read error. *seen (may be NULL) is set to 1 when the
 * index knows the account. The tag files are parsed by the caller
 * (tracer/ sits above store/). */
int tl_eth_tag_add(struct tl_eth_store *s, struct tl_eth_batch *b, const struct tl_tag *t, int *seen,
		   struct tl_err *err);

struct tl_eth_tag_rec {
	uint8_t addr[20];
	const char *label, *category, *source, *entity, *notes; /* valid during the callback; entity, notes may be NULL */
	int confidence;                                          /* -1 when the source gives none */
};
typedef int (*tl_eth_tag_cb)(void *ctx, const struct tl_eth_tag_rec *t);
/* Calls cb for every stored tag (addr NULL) or those of addr, in key
 * order; a nonzero return from cb stops the walk and is returned.
 * Returns 0, cb's value, or -1. */
int tl_eth_tags_each(struct tl_eth_store *s, const uint8_t *addr, tl_eth_tag_cb cb, void *ctx, struct tl_err *err);

struct tl_eth_heist_import_report {
	unsigned long added, updated;   /* heists stored: new ids, known ids */
	unsigned long traceable, other; /* on this database's chain with seeds; the rest */
};
/* Reads a heist registry (JSON: {"heists": [...]}), checks every heist
 * (an id of [a-z0-9._-], at most 64 characters, a chain) and, for those
 * on this database's chain, every seed: {"txid": 0x + 64 hex[, "to":
 * address]} or {"address", "from", "until", "asset"} with from/until a
 * block number (JSON integer) or "YYYY-MM-DD" and asset "ETH" or a token
 * address. Stores all of them in one write, or nothing on the first error
 * (err names the heist and the field). mark (NULL: none) marks every
 * heist of the file with that TLP level in the same write. Returns 0 or
 * -1. */
int tl_eth_heists_import(struct tl_eth_store *s, const char *path, const struct tl_tlp_mark *mark,
			 struct tl_eth_heist_import_report *rep, struct tl_err *err) __attribute__((warn_unused_result));
/* The stored definition of heist id: 1 and *out (caller json_decrefs),
 * 0 unknown, -1 error. */
int tl_eth_heist_get(struct tl_eth_store *s, const char *id, json_t **out, struct tl_err *err);
/* Every stored heist's definition in id order (caller json_decrefs the
 * array). Returns 0 or -1. */
int tl_eth_heists_list(struct tl_eth_store *s, json_t **out, struct tl_err *err) __attribute__((warn_unused_result));
/* 1 when chain (a registry's "chain") names the database's chain. */
int tl_eth_chain_is(struct tl_eth_store *s, const char *chain);

/* TLP marks of tag sources and heists, kept and read as the Bitcoin
 * store's (store/tlp.h: "tlp/s/SOURCE", "tlp/h/ID" in the meta family;
 * a tag's level is also raised by its notes, a heist's by its
 * definition's "tlp"). mark_get returns 1 with *m, 0 unmarked (*m CLEAR),
 * -1 with err; tag_mark and heist_mark return 0 with the effective *m
 * or -1. */
void tl_eth_tlp_mark_put(struct tl_eth_batch *b, enum tl_tlp_kind kind, const char *name, const struct tl_tlp_mark *m);
int tl_eth_tlp_mark_get(struct tl_eth_store *s, enum tl_tlp_kind kind, const char *name, struct tl_tlp_mark *m,
			struct tl_err *err) __attribute__((warn_unused_result));
int tl_eth_tlp_tag_mark(struct tl_eth_store *s, const char *source, const char *notes, struct tl_tlp_mark *m,
			struct tl_err *err) __attribute__((warn_unused_result));
int tl_eth_tlp_heist_mark(struct tl_eth_store *s, const char *id, const json_t *definition, struct tl_tlp_mark *m,
			  struct tl_err *err) __attribute__((warn_unused_result));
/* Whether clearance c (NULL or c->all: everything) may see heist id
 * (its stored definition) or tag t. Return 1, 0, or -1 with err. */
int tl_eth_heist_visible(struct tl_eth_store *s, const struct tl_clearance *c, const char *id, const json_t *definition,
			 struct tl_err *err) __attribute__((warn_unused_result));
int tl_eth_tag_visible(struct tl_eth_store *s, const struct tl_clearance *c, const struct tl_eth_tag_rec *t,
		       struct tl_err *err) __attribute__((warn_unused_result));

#endif
