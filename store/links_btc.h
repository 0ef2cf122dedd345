/* THORChain links in the Bitcoin database (family "xlink", layouts in
 * docs/schema.md): the memo of every transaction that carries a THORChain
 * memo, the outbounds (OUT:/REFUND:) keyed by the inbound hash they name
 * so that an inbound finds its outbound with one seek, the vaults learned
 * from the inputs of those outbounds, and the malformed memos (counted).
 * Everything is keyed by tx_num, so a block rolled back takes its links
 * with it. */
#ifndef TL_STORE_LINKS_BTC_H
#define TL_STORE_LINKS_BTC_H

#include <stdint.h>

#include "bridge/memo.h"
#include "base/err.h"
#include "bitcoin/tx.h"
#include "store/store.h"

/* Queues the links of one transaction being indexed (nothing when it has
 * no THORChain memo). Called by the indexer right after tl_batch_put_tx.
 * Args: r as put (its inputs' addr_ids name the vaults), tx the parsed
 * transaction (its OP_RETURN scripts hold the memo). Never fails: a
 * malformed memo is recorded as such. */
void tl_links_btc_put_tx(struct tl_batch *b, const struct tl_tx_rec *r, const struct tl_tx *tx);

/* Queues the removal of what tl_links_btc_put_tx queued for transaction
 * r (read back from the store), when its block is rolled back. Returns 0
 * or -1 with err. */
int tl_links_btc_del_tx(struct tl_store *s, struct tl_batch *b, const struct tl_tx_rec *r, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The parsed memo of transaction tx_num. Returns 1 with *m, 0 when it
 * has no (well-formed) THORChain memo, -1 with err. */
int tl_links_btc_memo(struct tl_store *s, uint64_t tx_num, struct tl_memo *m, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The outbounds naming inbound hash in_hash (display order, as the memo
 * writes it: an Ethereum hash as is, a Bitcoin txid reversed from hash
 * order), in chain order: up to cap tx_nums and their kinds
 * (TL_MEMO_OUT or TL_MEMO_REFUND). Returns how many there are (may
 * exceed cap), or -1 with err. */
int tl_links_btc_outbounds(struct tl_store *s, const uint8_t in_hash[32], uint64_t *tx_nums, uint8_t *kinds, int cap,
			   struct tl_err *err) __attribute__((warn_unused_result));

/* Whether addr_id has signed a THORChain outbound (a learned vault).
 * Returns 1, 0, or -1 with err. */
int tl_links_btc_is_vault(struct tl_store *s, uint64_t addr_id, struct tl_err *err) __attribute__((warn_unused_result));

/* Calls cb once for each learned vault, in addr_id order; a nonzero
 * return from cb stops the walk and is returned. Returns 0, what cb
 * returned, or -1 with err. */
int tl_links_btc_each_vault(struct tl_store *s, int (*cb)(void *ctx, uint64_t addr_id), void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Counts the indexed memos: well-formed, outbounds, learned vault rows
 * and malformed. Any pointer may be NULL. Returns 0 or -1 with err. */
int tl_links_btc_counts(struct tl_store *s, uint64_t *memos, uint64_t *outbounds, uint64_t *vault_rows,
			uint64_t *malformed, struct tl_err *err) __attribute__((warn_unused_result));

/* An outbound paying an inbound: the transaction, its memo kind and the
 * output that carries the inbound's value on. */
struct tl_links_btc_payout {
	uint64_t tx_num;
	uint8_t kind;   /* TL_MEMO_OUT or TL_MEMO_REFUND */
	uint32_t vout;
	uint64_t value; /* satoshis */
};

/* The first outbound (in chain order) naming in_hash, and its payout:
 * the output to dest_addr_id when that is nonzero (the memo's
 * destination), else the one output paying an owner that none of its
 * inputs is (THORChain's outbound pays the payee, returns change to the
 * vault and carries the memo). Returns 1 with *out, 0 when no outbound
 * names in_hash yet, -1 with err (a read error, or no single payout).
 * Args: in_hash in display order as for tl_links_btc_outbounds. */
int tl_links_btc_resolve(struct tl_store *s, const uint8_t in_hash[32], uint64_t dest_addr_id,
			 struct tl_links_btc_payout *out, struct tl_err *err) __attribute__((warn_unused_result));

#endif
