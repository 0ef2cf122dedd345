/* Heist registry: the list of known thefts a trace can start from.
 *
 * A registry is a JSON file (data/heists/dprk.json ships with taintline):
 *
 *   {"heists": [{
 *      "id": "dmm-bitcoin-2024-05", "name": "DMM Bitcoin",
 *      "date": "2024-05-31",            (YYYY-MM-DD, or YYYY-MM / YYYY when
 *                                         the sources give no day)
 *      "chain": "bitcoin",              (bitcoin, bitcoin-testnet,
 *                                         bitcoin-signet, bitcoin-regtest;
 *                                         any other chain is kept but not
 *                                         traceable)
 *      "attribution": {"authority": "...", "document": "...", "url": "..."},
 *      "seeds": [{"txid": "<64 hex>"}, {"txid": "...", "vout": 1},
 *                {"address": "...", "from": "YYYY-MM-DD", "until": "YYYY-MM-DD"}],
 *      "actor": "...", "sources": ["url", {"url": "...", "title": "..."}],
 *      "amounts": [{"asset": "BTC", "amount": "4502.9", "source": "url"}],
 *      "notes": "..."}]}
 *
 * Fields not listed are allowed and ignored. Parsing validates everything
 * and fails on the first error with a message naming the heist and the
 * field: "heist 'x': seeds[2].txid: not 64 hex digits". Nothing here
 * touches the database; store/ persists what this yields. */
#ifndef TL_INTEL_REGISTRY_H
#define TL_INTEL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "bitcoin/network.h"

enum tl_seed_kind {
	TL_SEED_TX,      /* every output of a transaction */
	TL_SEED_OUTPUT,  /* one output (txid, vout) */
	TL_SEED_ADDRESS, /* every output paid to an address in [from, until] */
};

struct tl_heist_seed {
	enum tl_seed_kind kind;
	char txid_hex[67];  /* TX/OUTPUT: as written (bitcoin: lower-cased hex,
	                       display order; other chains may carry 0x) */
	uint8_t txid[32];   /* TX/OUTPUT on bitcoin chains: internal byte order
	                       (reverse of the hex), as in bitcoin/tx.h */
	uint32_t vout;      /* OUTPUT only */
	char *address;      /* ADDRESS: the address string */
	uint8_t script[42]; /* ADDRESS on bitcoin chains: its scriptPubKey */
	size_t script_len;
	char from[11];      /* ADDRESS: window start "YYYY-MM-DD" or "" (open) */
	char until[11];     /* ADDRESS: window end, inclusive, or "" (open) */
	char *source;       /* optional: URL or document the seed comes from */
	char *role;         /* optional: what the seed is ("thief address") */
};

struct tl_heist_amount {
	char *asset;  /* "BTC", "ETH", "USD" ... */
	char *amount; /* decimal text as given ("4502.9"), never rounded */
	char *source; /* optional URL/document */
};

struct tl_heist {
	char *id;      /* unique, [a-z0-9._-], at most 64 characters */
	char *name;
	char *date;    /* "YYYY-MM-DD", "YYYY-MM" or "YYYY" */
	char *chain;   /* lower case */
	int traceable; /* 1 if chain is a bitcoin network and there are seeds */
	const struct tl_netparams *net; /* bitcoin networks; NULL otherwise */
	char *actor;   /* optional */
	char *notes;   /* optional */
	struct {
		char *authority; /* required */
		char *document;  /* required */
		char *url;       /* optional (NULL) */
	} attribution;
	struct tl_heist_seed *seeds;
	size_t nseeds;
	char **sources; /* URLs or document names */
	size_t nsources;
	struct tl_heist_amount *amounts;
	size_t namounts;
};

struct tl_registry {
	struct tl_heist *heists;
	size_t n;
};

/* Parses a registry from memory (len bytes, need not be NUL-terminated).
 * name is used in messages (may be NULL). On success returns 0 and
 * *out, a registry the caller frees with tl_registry_free. On failure
 * returns -1, *out is NULL and err says which heist and field. */
int tl_registry_parse(const char *json, size_t len, const char *name, struct tl_registry **out, struct tl_err *err);

/* Same, reading the file at path. */
int tl_registry_load(const char *path, struct tl_registry **out, struct tl_err *err);

/* Frees a registry and everything in it. NULL is fine. */
void tl_registry_free(struct tl_registry *reg);

/* The heist with this id, or NULL. The pointer lives as long as reg. */
const struct tl_heist *tl_registry_find(const struct tl_registry *reg, const char *id);

/* 1 if chain names a bitcoin network (bitcoin, bitcoin-testnet,
 * bitcoin-signet, bitcoin-regtest), else 0; *np gets its parameters. */
int tl_registry_chain_net(const char *chain, const struct tl_netparams **np);

#endif
