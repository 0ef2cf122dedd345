/* Ethereum addresses: 20 bytes, written "0x" + 40 hex digits. Stored and
 * printed lower case; mixed-case input must carry a valid EIP-55
 * checksum (a typo in a checksummed address is caught, not indexed). */
#ifndef TL_ETHEREUM_ADDRESS_H
#define TL_ETHEREUM_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define TL_ETH_ADDR_LEN 20

/* Parses "0x" + 40 hex digits (the "0x" is required). All-lower or
 * all-upper hex is accepted as is; mixed case must match EIP-55.
 * Returns 0, or -1 with a message naming the problem. */
int tl_eth_addr_parse(const char *s, size_t len, uint8_t out[TL_ETH_ADDR_LEN], struct tl_err *err)
	__attribute__((warn_unused_result));
/* "0x" + 40 lower-case hex digits into buf (43 bytes). Returns buf. */
char *tl_eth_addr_hex(const uint8_t a[TL_ETH_ADDR_LEN], char buf[43]);
/* The EIP-55 checksummed form into buf (43 bytes). Returns buf. */
char *tl_eth_addr_checksum(const uint8_t a[TL_ETH_ADDR_LEN], char buf[43]);
/* True when s looks like an Ethereum address ("0x" + 40 hex digits), to
 * tell it from a Bitcoin one before parsing. */
bool tl_eth_addr_like(const char *s);

/* Hex of n bytes with "0x" (optional on input) into out; exactly 2n
 * digits. Returns 0 or -1. */
int tl_eth_hex_bytes(const char *s, size_t len, uint8_t *out, size_t n) __attribute__((warn_unused_result));
/* "0x" + hex of p[0..n) into buf (2n + 3 bytes). Returns buf. */
char *tl_eth_hex(const uint8_t *p, size_t n, char *buf);

#endif
