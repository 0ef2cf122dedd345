/* Private structures shared by the simulator's files:
 *   rng        xoshiro256** seeded through splitmix64 (inline, below)
 *   txbuild.c  keys from the seed, scripts, sighashes, signing, tx bytes
 *   blkwriter.c  blk files with Core's records, xor and 128 MiB roll-over
 *   economy.c  the actors, their wallets, block assembly and the main loop
 *   heist.c    the laundering script of each heist
 *   truth.c    truth.json, tags.csv, heists.json, sim-state.json
 * Nothing here is part of the public API (see sim/sim.h). */
#ifndef TL_SIM_INTERNAL_H
#define TL_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/bytes.h"
#include "base/err.h"
#include "bitcoin/network.h"
#include "sim/sim.h"

/* ---- PRNG --------------------------------------------------------- */

struct sim_rng { uint64_t s[4]; };

static inline uint64_t sim_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	for (int i = 0; i < 4; i++) r->s[i] = sim_splitmix64(&x);
}

static inline uint64_t sim_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = sim_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) (n > 0; the tiny modulo bias is irrelevant here). */
static inline uint64_t sim_rng_below(struct sim_rng *r, uint64_t n) { return sim_rng_next(r) % n; }
/* Uniform in [lo, hi]. */
static inline uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + sim_rng_below(r, hi - lo + 1);
}
/* True with probability pct/100. */
static inline bool sim_rng_pct(struct sim_rng *r, unsigned pct) { return sim_rng_below(r, 100) < pct; }
static inline void sim_rng_bytes(struct sim_rng *r, uint8_t *out, size_t n)
{
	while (n) {
		uint64_t v = sim_rng_next(r);
		for (int i = 0; i < 8 && n; i++, n--) { *out++ = (uint8_t)v; v >>= 8; }
	}
}

/* ---- keys and transactions (txbuild.c) ----------------------------- */

enum sim_otype {
	OT_P2WPKH = 0,
	OT_P2TR,
	OT_P2PKH,
	OT_P2SH_P2WPKH,
	OT_P2WSH_MS,     /* 2-of-3 multisig; uses keys key, key+1, key+2 */
	OT_COUNT
};

#define SIM_SPK_MAX 84   /* OP_RETURN outputs carry up to 80 bytes of data */

struct sim_keys {
	uint64_t seed;
	bool fast;
	void *ctx;           /* secp256k1_context * */
	struct sim_rng rng;  /* random signature bytes in fast mode */
};

/* Everything needed to pay to and spend from one key (or 3 for multisig). */
struct sim_keyinfo {
	uint8_t type;
	uint8_t priv[3][32];
	uint8_t pub[3][33];
	uint8_t spk[SIM_SPK_MAX];
	uint8_t spk_len;
	uint8_t ws[105];     /* multisig witness script */
	uint8_t ws_len;
};

int sim_keys_init(struct sim_keys *k, uint64_t seed, bool fast, struct tl_err *err);
void sim_keys_free(struct sim_keys *k);
/* Derives key number `key` (3 keys for OT_P2WSH_MS) and its scriptPubKey. */
void sim_key_derive(struct sim_keys *k, uint64_t key, uint8_t type, struct sim_keyinfo *ki);
/* Only the scriptPubKey (same cost in signed mode: needs the public key). */
void sim_key_spk(struct sim_keys *k, uint64_t key, uint8_t type, uint8_t spk[SIM_SPK_MAX], uint8_t *len);

struct sim_txin {
	uint8_t txid[32];
	uint32_t vout;
	uint64_t value;
	uint64_t key;
	uint8_t type;
	uint16_t heist;      /* the spent coin's heist mark and role (not serialized): */
	uint8_t role;        /* what the reorg's double spend may take */
	uint16_t taint;      /* the spent coin's taint (sim_coin.taint) */
};

struct sim_txout {
	uint64_t value;
	uint8_t spk[SIM_SPK_MAX];
	uint8_t spk_len;
	/* who receives it (for the wallets); -1 for nobody (OP_RETURN) */
	int32_t owner;
	uint64_t key;
	uint8_t type;
	uint8_t role;        /* heist role / coin flags carried into the wallet */
	uint16_t heist;      /* 1 + heist index if the coin is the attacker's */
	uint32_t aux;
	uint32_t chain;      /* peel chain id */
	uint16_t hops;       /* peel hops so far */
};

struct sim_tx {
	struct sim_txin *in;
	size_t n_in, cap_in;
	struct sim_txout *out;
	size_t n_out, cap_out;
	uint32_t locktime;
};

void sim_tx_reset(struct sim_tx *tx);
void sim_tx_free(struct sim_tx *tx);
struct sim_txin *sim_tx_add_in(struct sim_tx *tx);
struct sim_txout *sim_tx_add_out(struct sim_tx *tx);
/* Estimated virtual size (for the fee) of a tx with these inputs/outputs. */
uint32_t sim_tx_vsize_est(const struct sim_tx *tx);
/* Serializes and signs the transaction (signatures random in fast mode),
 * appending its bytes to out. Sets txid, wtxid, whether it has a witness,
 * and its weight. */
void sim_tx_finish(struct sim_keys *k, const struct sim_tx *tx, struct tl_buf *out, uint8_t txid[32],
		   uint8_t wtxid[32], bool *has_witness, uint32_t *weight);

/* BIP340 tagged hash (exposed for the tests' naming only, used inside). */
void sim_tagged_hash(const char *tag, const uint8_t *msg, size_t len, uint8_t out[32]);

/* ---- block files (blkwriter.c) ------------------------------------- */

struct sim_blkw {
	char dir[4096];           /* the blocks directory */
	const struct tl_netparams *np;
	uint8_t key[8];
	uint32_t file;            /* current file number */
	uint64_t file_size;       /* bytes in it */
	uint64_t file_max;        /* roll over before a file reaches this (TL_SIM_BLOCKFILE_MAX) */
	FILE *f;
	uint64_t bytes_written;
	uint32_t files_touched;
	/* one block held back to be written after later ones (out of order) */
	struct tl_buf held;
	int held_countdown;       /* -1: nothing held */
	struct tl_buf scratch;
};

/* Opens dir for writing. append=false: dir must hold no blk file yet; the
 * key is written to xor.dat. append=true: continues after the last blk
 * file, reading the key from xor.dat. Returns 0 or -1. */
int sim_blkw_open(struct sim_blkw *w, const char *dir, const struct tl_netparams *np, const uint8_t key[8],
		  bool append, struct tl_err *err);
/* Writes one block record; delay > 0 holds it back until `delay` more
 * blocks have been written (only one block can be held). Returns 0/-1. */
int sim_blkw_write(struct sim_blkw *w, const uint8_t *blk, size_t len, int delay, struct tl_err *err);
/* Flushes the held block and closes. Returns 0 or -1. */
int sim_blkw_close(struct sim_blkw *w, struct tl_err *err);

/* The regtest genesis block's bytes (285 bytes). */
void sim_genesis_block(struct tl_buf *out);
/* Mines header (80 bytes, nonce at 76) to its bits; returns the nonce and
 * writes the hash. */
void sim_mine(uint8_t hdr[80], uint8_t hash[32]);

/* ---- the economy (economy.c) --------------------------------------- */

enum sim_kind { EK_MINER = 0, EK_USER, EK_EXCHANGE, EK_MERCHANT, EK_MIXER, EK_ATTACKER, EK_COUNT };

/* coin roles (sim_coin.role) */
enum sim_role {
	R_NONE = 0,
	R_DEPOSIT,       /* exchange: sits on a customer deposit address */
	R_CLEAN,         /* attacker: clean funds */
	R_STOLEN,        /* attacker: fresh from the theft */
	R_SPLIT,         /* attacker: split output waiting for its plan */
	R_PEEL,          /* attacker: head of peel chain aux */
	R_CONSOL,        /* attacker: to be consolidated with clean coins */
	R_MIX,           /* attacker: to go through a CoinJoin */
	R_POSTMIX,       /* attacker: came out of a CoinJoin */
	R_CASHOUT,       /* attacker: to be deposited at an exchange */
	R_DORMANT,       /* attacker: left alone */
	R_PREMIX,        /* anyone: Whirlpool premix output (queued) */
};

struct sim_coin {
	uint8_t txid[32];
	uint32_t vout;
	uint32_t height;
	uint64_t value;
	uint64_t key;
	uint8_t type;
	uint8_t role;
	uint16_t heist;      /* 1 + heist index for attacker coins */
	uint32_t aux;        /* height of the coin's next planned step */
	uint32_t chain;      /* peel chain id */
	uint16_t hops;       /* peel hops so far */
	uint16_t taint;      /* 1 + the heist whose seed it descends from (poison: any tainted input), 0 none */
};

struct sim_wallet {
	struct sim_coin *c;
	size_t n, cap;
};

struct sim_entity {
	uint8_t kind;
	uint8_t pref;        /* preferred output type */
	uint16_t index;      /* index among entities of its kind */
	char id[48];
	char name[64];
	struct sim_wallet w;       /* spendable coins */
	struct sim_wallet dep;     /* exchange: unswept deposits */
	size_t head;               /* miner: coins before head are spent (FIFO) */
	/* addresses for the truth: NUL-separated strings */
	char *addrs;
	size_t addrs_len, addrs_cap;
	uint32_t n_addrs;
	/* exchange: hot wallet key and type, deposit key per customer (0 = none) */
	uint64_t hot_key;
	uint8_t hot_type;
	uint64_t *deposit_key;
};

struct sim_cashout { uint16_t heist; int32_t exchange; char txid[65]; uint32_t vout; uint64_t value; char address[96]; uint32_t height; };

/* A string list (txids etc.) kept for the truth. */
struct sim_strlist { char *s; size_t len, cap; uint32_t n; };
void sim_strlist_add(struct sim_strlist *l, const char *s);
void sim_strlist_free(struct sim_strlist *l);

struct sim_heist {
	int victim;          /* exchange entity */
	int attacker;        /* attacker entity */
	uint32_t h_theft;
	char id[64], name[96], date[11];
	char theft_txid[65];
	char seed_address[96];
	char until[11];
	uint64_t stolen;
	struct sim_strlist attacker_txs;
	struct sim_strlist coinjoins;
	struct sim_strlist *peel;   /* one ordered txid list per peel chain */
	uint32_t n_peel;
	struct sim_cashout *cash;
	size_t n_cash, cap_cash;
	uint32_t peel_next;         /* next peel chain id */
	bool split_done, planned, consolidated;
};

/* A best-chain transaction above a reorg's fork, kept to be re-mined. */
struct sim_caprec {
	uint8_t txid[32], wtxid[32];
	size_t off, len;             /* its bytes in sim_state.cap_raw */
	uint64_t fee;
	uint32_t height;
	struct sim_txin *in;
	size_t n_in;
	bool drop;
};

/* Truth counters and lists for the whole run. */
/* Coins waiting for a mixing round, with their owners, oldest first. */
struct sim_mixq {
	struct sim_queued {
		int owner;
		struct sim_coin c;
	} *v;
	size_t n, cap;
};

struct sim_state {
	struct tl_sim_params p;
	const struct tl_netparams *np;
	struct sim_keys keys;
	struct sim_rng rng;
	uint64_t next_key;          /* key counter for best-chain addresses */
	uint64_t next_stale_key;    /* key counter for stale-branch outputs */
	uint32_t height;            /* height being built */
	uint32_t econ_start;        /* first height with transactions */

	struct sim_entity *ent;
	size_t n_ent;
	int first_user, n_users, first_exch, n_exch, first_merch, n_merch, first_miner, n_miner, mixer;
	uint64_t mixer_key;           /* Wasabi-like coordinator fee address */
	uint64_t whirlpool_fee_key;   /* Whirlpool-like tx0 fee address */

	/* Whirlpool queue: premix coins waiting for a round */
	struct sim_mixq wq;
	/* Wasabi queue: attacker coins registered for the next round */
	struct sim_mixq xq;

	struct sim_heist *heists;
	uint32_t n_heists;

	/* the block being assembled */
	struct tl_buf body;         /* serialized non-coinbase txs */
	uint8_t (*txids)[32];
	uint8_t (*wtxids)[32];
	size_t n_btx, cap_btx;
	uint64_t fees;
	uint32_t weight;
	bool any_witness;
	bool stale_mode;            /* building a stale block: wallets untouched */
	/* outputs created in the block, credited when it is final */
	struct { int owner; bool deposit; struct sim_coin c; } *pend;
	size_t n_pend, cap_pend;

	struct sim_tx tx;           /* scratch transaction */
	struct tl_buf txbuf;

	/* truth */
	struct sim_strlist coinjoin_txids; /* every CoinJoin round in the best chain */
	struct sim_strlist stale_txids;
	/* Reorg extensions, replayed in order (see reorg.c): op i forks at
	 * op_fork[i] once the best chain reaches op_tip[i], re-mines the d
	 * replaced blocks' transactions one block later, drops a few and
	 * double-spends a tainted coin, then adds op_blocks[i] blocks. */
	uint32_t *op_fork, *op_tip, *op_blocks;
	uint32_t n_ops, next_op;
	uint32_t stale_from_op;        /* ops from this index add their stale txids (older ones come from sim-state.json) */
	bool emitting;                 /* blocks are written (false while replaying branches already on disk) */
	/* the blocks above the next op's fork, captured to be re-mined */
	struct sim_caprec *cap;
	size_t n_cap, cap_cap;
	struct tl_buf cap_raw;
	struct sim_capblk { uint32_t height; uint8_t cb[32], hash[32]; } *capb;
	size_t n_capb, cap_capb;
	bool cap_on;                   /* the block being built is captured */
	uint64_t n_txs;
	uint8_t tip_hash[32];
	uint32_t tip_time;
	uint32_t tip;               /* final best-chain height */
	uint32_t write_from;        /* blocks below this height are replayed, not written */
	/* stale forks scheduled: height and length */
	uint32_t *fork_h, *fork_len;
	uint32_t n_forks;
	/* spk cache for freshly made keys */
	struct { uint64_t key; uint8_t type, len; uint8_t spk[34]; } spk_cache[256];
	/* mainnet shape: users paid recently (ring), who spend young coins */
	int32_t *recent;
	uint32_t recent_cap, recent_pos;
	struct sim_blkw *blkw;      /* NULL while replaying */
	struct tl_buf blk;          /* the block being serialized */
	uint64_t stale_written;
};

/* economy.c */
/* A fresh key owned by entity owner; its address joins the truth (not for
 * stale branches). */
uint64_t sim_new_key(struct sim_state *st, int owner, uint8_t type);
/* A batched withdrawal from exchange x that also pays `value` to owner. */
bool sim_exchange_withdraw_to(struct sim_state *st, int x, int owner, uint64_t value, uint8_t role, uint16_t heist);
/* Adds an output paying `value` to entity `owner` at key/type (recording
 * the address for the truth when the key is new to the best chain). */
struct sim_txout *sim_pay(struct sim_state *st, int owner, uint64_t key, uint8_t type, uint64_t value);
/* Takes coin i from wallet (swap-remove) and adds it as an input. */
void sim_spend_coin(struct sim_state *st, struct sim_wallet *w, size_t i);
void sim_add_input(struct sim_state *st, const struct sim_coin *c);
/* Signs the scratch tx, appends it to the block and queues its outputs.
 * Writes the txid (display hex) to txid_hex if non-NULL. */
void sim_commit_tx(struct sim_state *st, char txid_hex[65]);
/* Fee for the scratch tx at a random feerate. */
uint64_t sim_fee(struct sim_state *st);
/* An exchange's deposit key for customer (entity index), made on first use. */
uint64_t sim_deposit_key(struct sim_state *st, int exch, int customer, uint8_t *type);
int sim_entity_add(struct sim_state *st, uint8_t kind, const char *id, const char *name, uint8_t pref);
void sim_wallet_push(struct sim_wallet *w, const struct sim_coin *c);
void sim_address_of(struct sim_state *st, uint64_t key, uint8_t type, char out[96]);
uint32_t sim_block_time(uint32_t height);
void sim_date(uint32_t t, char out[11]);

/* Puts the scratch tx's inputs back into wallet w with role (an
 * abandoned tx) and resets the tx. */
void sim_return_inputs(struct sim_state *st, struct sim_wallet *w, uint8_t role);

/* mainnet.c (--shape mainnet) */
/* Gives the services their hot addresses and sets up the spender ring;
 * called once the entities exist. */
void sim_mainnet_init(struct sim_state *st);
/* One ordinary transaction of mainnet's shape; returns false if the
 * drawn spender could not pay (nothing committed then). */
bool sim_mainnet_tx(struct sim_state *st);
/* A script type drawn from mainnet's output mix by hashing key (the same
 * key always gets the same type). */
uint8_t sim_mainnet_key_type(uint64_t key);

/* heist.c */
void sim_heists_init(struct sim_state *st);
/* Runs the heists' steps for the block being built; returns txs made. */
uint32_t sim_heists_step(struct sim_state *st);
void sim_heists_free(struct sim_state *st);

/* Mixer rounds (economy.c), used by the heist too. */
void sim_whirlpool_register(struct sim_state *st, int owner, const struct sim_coin *premix);
#define SIM_WHIRLPOOL_DENOM 5000000ull   /* 0.05 BTC */
#define SIM_WASABI_DENOM 10000000ull     /* 0.1 BTC */
#define SIM_WHIRLPOOL_FEE 175000ull      /* coordinator fee in tx0 (the 0.05 BTC pool's) */
#define SIM_PREMIX_EXTRA 2000ull         /* miner fee share in a premix output */
/* Makes a tx0 from the coins already added as inputs of the scratch tx
 * (total `in`): n premix outputs for owner, the coordinator fee, change
 * to change_key/type. Returns the number of premix outputs (0 if too
 * small: nothing is committed then, and the inputs are returned). */
int sim_tx0(struct sim_state *st, int owner, uint64_t in, int n, uint64_t change_key, uint8_t change_type,
	    uint8_t premix_role, uint16_t heist, char txid_hex[65]);
void sim_wasabi_register(struct sim_state *st, int owner, const struct sim_coin *c);

/* reorg.c */
/* Lowest fork of the reorgs still to apply (UINT32_MAX: none): blocks
 * above it are captured. */
uint32_t sim_reorg_cap_from(const struct sim_state *st);
/* Records the committed scratch tx (bytes at body[off..]) when capturing. */
void sim_reorg_capture_tx(struct sim_state *st, const uint8_t txid[32], const uint8_t wtxid[32], size_t off, uint64_t fee);
/* Replaces the captured blocks above op i's fork: writes the new branch's
 * first d+1 blocks (prev is the fork block's hash on entry, the new tip's
 * on return). Returns 0 or -1. */
int sim_reorg_apply(struct sim_state *st, uint32_t i, uint8_t prev[32], struct tl_err *err);
void sim_reorg_free(struct sim_state *st);
/* Shared with reorg.c (economy.c). */
void sim_block_begin(struct sim_state *st);
void sim_block_end(struct sim_state *st, const uint8_t prev[32], uint32_t time, int m, uint8_t hash[32]);
void sim_note_txid(struct sim_state *st, const char *hex);
void sim_push_txid(struct sim_state *st, const uint8_t txid[32], const uint8_t wtxid[32]);
void sim_credit_pending(struct sim_state *st);
/* Called after each best-chain block at st->height: writes it when
 * emitting and keeps what the next reorg needs. Returns 0 or -1. */
int sim_block_done(struct sim_state *st, const uint8_t hash[32], int delay, struct tl_err *err);

/* truth.c */
int sim_write_truth(struct sim_state *st, const char *dir, const char *history_json, struct tl_err *err);

#endif
