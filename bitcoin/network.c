#include "bitcoin/network.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"

static struct tl_netparams params[TL_NET_COUNT] = {
	{ TL_NET_MAIN, "main", "bitcoin", { 0xf9, 0xbe, 0xb4, 0xd9 }, 0x00, 0x05, "bc", { 0 }, 0x1d00ffff },
	{ TL_NET_TESTNET, "test", "bitcoin-testnet", { 0x0b, 0x11, 0x09, 0x07 }, 0x6f, 0xc4, "tb", { 0 }, 0x1d00ffff },
	{ TL_NET_SIGNET, "signet", "bitcoin-signet", { 0x0a, 0x03, 0xcf, 0x40 }, 0x6f, 0xc4, "tb", { 0 }, 0x1e0377ae },
	{ TL_NET_REGTEST, "regtest", "bitcoin-regtest", { 0xfa, 0xbf, 0xb5, 0xda }, 0x6f, 0xc4, "bcrt", { 0 }, 0x207fffff },
};

static const char *genesis_hex[TL_NET_COUNT] = {
	"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
	"000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
	"00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
	"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
};

static void fill_genesis(void)
{
	/* The constants above are valid hex: a failure is a build defect. */
	for (int i = 0; i < TL_NET_COUNT; i++)
		if (tl_hash_from_hex(genesis_hex[i], params[i].genesis)) abort();
}

/* Threads (API workers) may ask for parameters first at the same time. */
static void init_genesis(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fill_genesis);
}

const struct tl_netparams *tl_net_params(enum tl_net net)
{
	if ((unsigned)net >= TL_NET_COUNT) return NULL;
	init_genesis();
	return &params[net];
}

const struct tl_netparams *tl_net_by_name(const char *name)
{
	static const struct { const char *n; enum tl_net net; } names[] = {
		{ "main", TL_NET_MAIN }, { "mainnet", TL_NET_MAIN }, { "bitcoin", TL_NET_MAIN },
		{ "test", TL_NET_TESTNET }, { "testnet", TL_NET_TESTNET }, { "bitcoin-testnet", TL_NET_TESTNET },
		{ "signet", TL_NET_SIGNET }, { "bitcoin-signet", TL_NET_SIGNET },
		{ "regtest", TL_NET_REGTEST }, { "bitcoin-regtest", TL_NET_REGTEST },
	};
	if (!name) return NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i].n)) return tl_net_params(names[i].net);
	return NULL;
}

const struct tl_netparams *tl_net_by_magic(const uint8_t magic[4])
{
	for (int i = 0; i < TL_NET_COUNT; i++)
		if (!memcmp(params[i].magic, magic, 4)) return tl_net_params((enum tl_net)i);
	return NULL;
}
