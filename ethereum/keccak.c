/* Keccak-f[1600] (FIPS 202, section 3) and the sponge with rate 136 bytes
 * for a 256-bit output. Lanes are little-endian 64-bit words, A[x + 5y]. */
#include "ethereum/keccak.h"

#include <string.h>

static uint64_t rol(uint64_t v, unsigned n) { return n ? (v << n) | (v >> (64 - n)) : v; }

/* Round constants of the iota step (FIPS 202, Algorithm 5, precomputed). */
static const uint64_t RC[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
	0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
	0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
	0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
	0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/* Rotation offsets of the rho step, indexed by lane x + 5y. */
static const unsigned RHO[25] = {
	0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static void keccak_f(uint64_t A[25])
{
	for (int round = 0; round < 24; round++) {
		/* theta */
		uint64_t C[5], D[5];
		for (int x = 0; x < 5; x++) C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20];
		for (int x = 0; x < 5; x++) D[x] = C[(x + 4) % 5] ^ rol(C[(x + 1) % 5], 1);
		for (int i = 0; i < 25; i++) A[i] ^= D[i % 5];
		/* rho and pi: B[y, 2x + 3y] = rot(A[x, y]) */
		uint64_t B[25];
		for (int x = 0; x < 5; x++)
			for (int y = 0; y < 5; y++) B[y + 5 * ((2 * x + 3 * y) % 5)] = rol(A[x + 5 * y], RHO[x + 5 * y]);
		/* chi */
		for (int y = 0; y < 5; y++)
			for (int x = 0; x < 5; x++)
				A[x + 5 * y] = B[x + 5 * y] ^ (~B[(x + 1) % 5 + 5 * y] & B[(x + 2) % 5 + 5 * y]);
		/* iota */
		A[0] ^= RC[round];
	}
}

static void absorb_block(uint64_t A[25], const uint8_t *b, size_t rate)
{
	for (size_t i = 0; i < rate / 8; i++) {
		uint64_t v = 0;
		for (int j = 7; j >= 0; j--) v = (v << 8) | b[i * 8 + (size_t)j];
		A[i] ^= v;
	}
	keccak_f(A);
}

void tl_keccak256_pad(const void *p, size_t n, uint8_t pad, uint8_t out[32])
{
	enum { RATE = 136 };
	uint64_t A[25] = { 0 };
	const uint8_t *s = p;
	while (n >= RATE) {
		absorb_block(A, s, RATE);
		s += RATE;
		n -= RATE;
	}
	uint8_t last[RATE] = { 0 };
	memcpy(last, s, n);
	last[n] ^= pad;         /* pad10*1 after the domain bits */
	last[RATE - 1] ^= 0x80;
	absorb_block(A, last, RATE);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++) out[i * 8 + j] = (uint8_t)(A[i] >> (8 * j));
}

void tl_keccak256(const void *p, size_t n, uint8_t out[32]) { tl_keccak256_pad(p, n, 0x01, out); }
