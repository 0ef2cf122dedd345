/* Private structures of the Ethereum simulator:
 *   eth_state.c    accounts, balances, the transaction builder (fees,
 *                  call tree, logs) and the per-heist accounting hook
 *   eth_economy.c  the ordinary economy and the main loop
 *   eth_heist.c    the Bybit-shaped laundering script
 *   eth_out.c      ethereum-etl CSV rows and JSON-RPC responses
 *   eth_truth.c    truth.json, tags.csv, heists.json
 * Nothing here is public (see sim/eth.h). */
#ifndef TL_SIM_ETH_INTERNAL_H
#define TL_SIM_ETH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ethereum/keccak.h"
#include "sim/eth.h"
#include "sim/internal.h"

typedef unsigned __int128 u128;

/* Every balance and total stays below this (checked on every credit). */
#define ESIM_LIMIT ((u128)1 << 127)
#define ETHER ((u128)1000000000000000000ull)
#define GWEI 1000000000ull

enum { A_ETH, A_WETH, A_TKN, A_STK, A_N };

enum ekind {
	K_ZERO,      /* 0x00..00: the mint source of tokens */
	K_USER,
	K_VALIDATOR, /* block fee recipient and withdrawal account */
	K_HOT,       /* exchange hot wallet */
	K_DEPOSIT,   /* exchange deposit account of one customer */
	K_COLD,      /* exchange cold wallet (a multisig contract) */
	K_CONTRACT,  /* WETH, tokens, pool, mixer, router, multisend */
	K_VAULT,     /* the cross-chain router's vault */
	K_RELAYER,   /* mixer relayer */
	K_ISSUER,    /* token issuer */
	K_ATTACKER,
};

#define ESIM_EXCHANGES 4

struct eacct {
	uint8_t addr[20];
	uint8_t kind;        /* enum ekind */
	uint8_t heist;       /* 1 + heist index for the heist's own accounts, else 0 */
	int8_t ex;           /* exchange of hot/deposit/cold accounts, else -1 */
	uint8_t attacker_dep;/* deposit account opened by an attacker (1 + heist) */
	uint8_t pending;     /* deposit account queued for a sweep */
	uint32_t nonce;
	u128 bal[A_N];
};

/* ---- one block under construction ----------------------------------- */

struct etrace {
	uint32_t tx;
	int32_t from, to;
	u128 value;
	const char *call_type;   /* "call" or "staticcall" ... */
	uint32_t in_off, in_len, out_off, out_len;
	uint64_t gas, gas_used;
	uint32_t subtraces;
	int32_t parent;          /* index in the block's traces, -1 for the top */
	uint8_t depth;
	uint8_t path[4];         /* trace_address */
	const char *error;       /* NULL on success */
	uint8_t status;          /* 0 when it or an ancestor failed */
};

struct elog {
	uint32_t tx;
	int32_t address;
	uint8_t n_topics;
	uint8_t topics[4][32];
	uint32_t data_off, data_len;
};

struct etx {
	uint8_t hash[32];
	uint8_t r[32], s[32];
	uint8_t yparity;
	int32_t from, to;
	uint32_t nonce;
	u128 value;
	uint64_t gas, gas_used, cumulative;
	uint8_t type;            /* 0 legacy, 2 EIP-1559 */
	uint64_t max_fee, prio, price; /* price: effective gas price */
	uint32_t in_off, in_len;
	uint8_t status;
	uint32_t log0, n_logs, tr0, n_tr;
	uint8_t bloom[256];
};

struct ewd { uint64_t index, validator; int32_t acct; uint64_t gwei; };

struct eblock {
	uint64_t number, time;
	uint8_t hash[32], parent[32], tx_root[32], rc_root[32], state_root[32], wd_root[32];
	uint8_t bloom[256];
	int32_t miner;
	uint64_t base_fee, gas_limit, gas_used, size;
	uint64_t legacy_prio;     /* priority part of this block's legacy gas price */
	struct etx *tx; size_t n_tx, cap_tx;
	struct etrace *tr; size_t n_tr, cap_tr;
	struct elog *lg; size_t n_lg, cap_lg;
	struct ewd *wd; size_t n_wd, cap_wd;
	uint8_t *bytes; size_t n_bytes, cap_bytes; /* inputs, outputs, log data */
};

/* ---- the heists ---------------------------------------------------- */

enum { ROUTE_CONSOLIDATE, ROUTE_BRIDGE, ROUTE_CASHOUT, ROUTE_MIX, ROUTE_DORMANT };

/* Flows between a heist's accounts and the rest, per asset: what truth.json
 * accounts for. */
enum { F_DRAINED, F_CONVERTED_IN, F_CLEAN_IN, F_MIXER_IN, F_CASHOUT, F_MIXED, F_BRIDGED, F_CONVERTED_OUT,
       F_OTHER_OUT, F_FEES, F_N };

struct eh_event {          /* one entry of a truth list */
	uint8_t tx[32];
	uint32_t block;
	int32_t from, to;        /* accounts */
	uint8_t asset;
	u128 amount, amount2;    /* amount2: what a swap returned */
	uint8_t flag;            /* cash-outs: 1 after the mixer, 2 from the consolidation */
	char memo[128];           /* router deposits */
};

struct eh_list { struct eh_event *v; size_t n, cap; };
struct hstate;
struct esim_out;

struct eheist {
	char id[32], name[96], date[11];
	int victim_ex;
	int32_t victim, exploiter, oper, inter, consol;
	int32_t *split; uint8_t *route; uint32_t n_split;
	uint32_t *split_left;    /* per split account: mixer deposits left */
	int32_t *postmix; uint32_t n_postmix, cap_postmix;
	uint32_t h_theft;
	bool happened;
	uint8_t drain_tx[2][32]; /* ETH drain, STK drain */
	u128 stolen[A_N];
	u128 flow[A_N][F_N];
	struct eh_list cashouts, bridged, mixed, unmixed, swaps, clean;
	struct sim_strlist txs;  /* every transaction sent by the heist's accounts */
	uint32_t notes_pending;  /* mixer notes of the heist not yet withdrawn */
	int32_t pm_cur; uint32_t pm_uses;
	struct hstate *run;      /* the script's progress (eth_heist.c) */
};

/* ---- the whole simulation -------------------------------------------- */

#define ESIM_BLOOM_CACHE 65536
struct esim_bloom_slot { uint8_t key[32]; uint8_t len; uint16_t bit[3]; };

struct enote { int32_t owner; uint8_t heist; uint8_t spent; uint32_t block; uint8_t commit[32]; };

struct esim {
	struct tl_eth_sim_params p;
	struct sim_rng rng;
	struct eacct *a; size_t n_a, cap_a;
	uint64_t addr_ctr;
	/* well-known accounts */
	int32_t zero, weth, tkn, stk, pool, mixer, router, vault, multisend, relayer, issuer;
	int32_t hot[ESIM_EXCHANGES], cold[ESIM_EXCHANGES];
	int32_t validators[8];
	int32_t *users; size_t n_users, cap_users;
	int32_t *udep; /* n_users x ESIM_EXCHANGES deposit accounts, -1 until opened */
	int32_t *pending[ESIM_EXCHANGES]; size_t n_pending[ESIM_EXCHANGES], cap_pending[ESIM_EXCHANGES];
	struct enote *notes; size_t n_notes, cap_notes;
	struct eheist *h; uint32_t n_h;
	struct eblock b;
	struct etx *cur;          /* transaction being built */
	uint64_t wd_index;
	bool prefunding;          /* add_withdrawal queues into pf */
	struct ewd *pf; size_t n_pf, cap_pf, pf_next;
	uint64_t mint_block;      /* blocks 1..mint_block-1 pre-fund; the economy starts after it */
	u128 burned, minted_eth;  /* base fees burned; ETH from withdrawals */
	uint64_t n_txs, n_failed, n_traces, n_logs, n_tt;
	const char *fault;        /* set when an invariant broke (overflow, a debit below zero): the run fails */
	/* event topics and selectors */
	uint8_t t_transfer[32], t_wdeposit[32], t_wwithdrawal[32], t_mdeposit[32], t_mwithdrawal[32],
		t_rdeposit[32], t_swap[32];
	uint8_t s_transfer[4], s_deposit[4], s_withdraw[4], s_swap[4], s_mdeposit[4], s_mwithdraw[4],
		s_rdeposit[4], s_multisend[4], s_exec[4], s_mint[4];
	/* output */
	struct esim_out *out;     /* row buffers (eth_out.c) */
	struct esim_bloom_slot *bloom_cache;
	FILE *f_blocks, *f_txs, *f_rcpt, *f_logs, *f_tt, *f_traces, *f_rb, *f_rr, *f_rt;
	struct tl_err *err;
};

/* eth_state.c */
int32_t esim_account(struct esim *s, uint8_t kind, int ex, uint8_t heist);
int32_t esim_account_at(struct esim *s, const uint8_t addr[20], uint8_t kind);
void esim_credit(struct esim *s, int32_t acct, int asset, u128 v);
/* Debits without a counterparty (WETH burns); checks the balance. */
void esim_debit(struct esim *s, int32_t acct, int asset, u128 v);
/* The heist accounting hook: records a movement of v of asset. */
void esim_flow(struct esim *s, int asset, int32_t from, int32_t to, u128 v);
uint32_t esim_bytes(struct esim *s, const void *p, size_t n);
/* Upfront check of a transaction: can from pay value plus gas x max fee? */
bool esim_affords(struct esim *s, int32_t from, u128 value, uint64_t gas_used, int legacy);
/* Starts a transaction from -> to carrying value (the top-level call).
 * gas_used: what it burns; legacy: a type-0 transaction whose gas limit is
 * exactly gas_used (to empty an account); ok=false: it reverts (only the
 * fee moves). Returns the top-level trace index, or -1 if from cannot pay
 * (nothing is recorded). */
int esim_tx(struct esim *s, int32_t from, int32_t to, u128 value, uint64_t gas_used, bool legacy, bool ok,
	    const uint8_t *input, size_t in_len);
/* Fee of a transaction of gas_used under the current block's prices as
 * esim_tx would charge it for legacy transactions. */
u128 esim_legacy_fee(struct esim *s, uint64_t gas_used);
/* An internal call under parent (ok=false: it fails, moving nothing). */
int esim_call(struct esim *s, int parent, int32_t from, int32_t to, u128 value, bool ok, const uint8_t *input,
	      size_t in_len);
void esim_log(struct esim *s, int32_t address, int n_topics, const uint8_t (*topics)[32], const uint8_t *data,
	      size_t data_len);
/* ERC-20 transfer of asset (WETH/TKN/STK) from -> to inside the current
 * transaction, with its Transfer log; applies balances. */
void esim_token_move(struct esim *s, int asset, int32_t from, int32_t to, u128 v);
int32_t esim_asset_contract(struct esim *s, int asset);
void esim_word_addr(uint8_t w[32], const uint8_t addr[20]);
void esim_word_u128(uint8_t w[32], u128 v);
void esim_selector(const char *sig, uint8_t out[4]);

/* eth_heist.c */
void esim_heists_init(struct esim *s);
void esim_heists_block(struct esim *s);
void esim_heists_free(struct esim *s);
void esim_note_deposit(struct esim *s, int32_t from, uint8_t heist);
/* eth_economy.c helpers the heist script uses */
int32_t esim_deposit_account(struct esim *s, int ex, int32_t owner_user, uint8_t attacker_heist);
int esim_mixer_deposit(struct esim *s, int32_t from);
int esim_mixer_withdraw(struct esim *s, size_t note, int32_t to);
int esim_router_deposit(struct esim *s, int32_t from, u128 v, const char *memo);
int esim_swap(struct esim *s, int32_t from, int asset_in, u128 amount_in, int asset_out, u128 *out);
int esim_pay_eth(struct esim *s, int32_t from, int32_t to, u128 v);
int esim_send_all_eth(struct esim *s, int32_t from, int32_t to, u128 *sent);
int esim_token_transfer_tx(struct esim *s, int32_t from, int asset, int32_t to, u128 v);
void esim_btc_address(struct esim *s, char out[96]);

/* eth_out.c */
int esim_out_open(struct esim *s, const char *dir);
int esim_out_block(struct esim *s);
int esim_out_close(struct esim *s, uint64_t *csv_bytes, uint64_t *rpc_bytes);

/* eth_truth.c */
int esim_write_truth(struct esim *s, const char *dir);

/* Text helpers shared by the writers. */
size_t esim_u128_dec(u128 v, char out[40]);
void esim_date(uint64_t t, char out[11]);
void esim_hex(const uint8_t *p, size_t n, char *out); /* "0x" + 2n digits + NUL */

#endif
