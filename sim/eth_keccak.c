/* Keccak-256 as Ethereum uses it (padding byte 0x01, not SHA3's 0x06):
 * event topics, function selectors, hashes and the logs bloom of the
 * Ethereum simulator. Written from the Keccak reference (FIPS 202's
 * permutation); the tests check it against published topic values. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/eth.h"

static const uint64_t rc[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
	0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
	0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
	0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
	0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};
static const int rotc[24] = { 1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44 };
static const int piln[24] = { 10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1 };

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The permutation with its inner loops unrolled (the simulator hashes
 * every transaction, address and log topic: this is its hot spot). */
static void keccakf(uint64_t s[25])
{
	for (int r = 0; r < 24; r++) {
		uint64_t bc[5], t;
#pragma GCC unroll 5
		for (int i = 0; i < 5; i++) bc[i] = s[i] ^ s[i + 5] ^ s[i + 10] ^ s[i + 15] ^ s[i + 20];
#pragma GCC unroll 5
		for (int i = 0; i < 5; i++) {
			t = bc[(i + 4) % 5] ^ rotl(bc[(i + 1) % 5], 1);
			s[i] ^= t; s[i + 5] ^= t; s[i + 10] ^= t; s[i + 15] ^= t; s[i + 20] ^= t;
		}
		t = s[1];
#pragma GCC unroll 24
		for (int i = 0; i < 24; i++) {
			int j = piln[i];
			uint64_t b = s[j];
			s[j] = rotl(t, rotc[i]);
			t = b;
		}
#pragma GCC unroll 5
		for (int j = 0; j < 25; j += 5) {
			uint64_t a0 = s[j], a1 = s[j + 1], a2 = s[j + 2], a3 = s[j + 3], a4 = s[j + 4];
			s[j] = a0 ^ (~a1 & a2);
			s[j + 1] = a1 ^ (~a2 & a3);
			s[j + 2] = a2 ^ (~a3 & a4);
			s[j + 3] = a3 ^ (~a4 & a0);
			s[j + 4] = a4 ^ (~a0 & a1);
		}
		s[0] ^= rc[r];
	}
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
	return v;
}

void tl_eth_sim_keccak256(const void *data, size_t len, uint8_t out[32])
{
	enum { RATE = 136 };
	uint64_t s[25] = { 0 };
	const uint8_t *p = data;
	while (len >= RATE) {
		for (int i = 0; i < RATE / 8; i++) s[i] ^= load64(p + 8 * i);
		keccakf(s);
		p += RATE;
		len -= RATE;
	}
	uint8_t last[RATE] = { 0 };
	memcpy(last, p, len);
	last[len] = 0x01;
	last[RATE - 1] |= 0x80;
	for (int i = 0; i < RATE / 8; i++) s[i] ^= load64(last + 8 * i);
	keccakf(s);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++) out[8 * i + j] = (uint8_t)(s[i] >> (8 * j));
}
