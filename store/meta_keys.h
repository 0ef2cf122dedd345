/* Private to store/: the numbers in meta-family record keys (cases,
 * watches), written as 16 lower-case hex digits so that key order is
 * numeric order. */
#ifndef TL_STORE_META_KEYS_H
#define TL_STORE_META_KEYS_H

#include <stdint.h>

/* Parses the 16 lower-case hex digits at p into *v. Returns 0, or -1 for
 * any other byte (the key is not one of ours). */
static inline int tl_meta_hex16(const uint8_t *p, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 16; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else return -1;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return 0;
}

#endif
