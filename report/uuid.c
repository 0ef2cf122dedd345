/* UUIDv5; see uuid.h. */
#include "report/uuid.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "bitcoin/hash.h"

static int parse_uuid(const char *s, uint8_t out[16])
{
	char hex[33];
	size_t n = 0;
	if (strlen(s) != 36) return -1;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-') return -1;
			continue;
		}
		hex[n++] = s[i];
	}
	hex[32] = 0;
	return tl_hex_decode(hex, 32, out, 16);
}

int tl_uuid5(const char *ns, const void *name, size_t len, char out[37])
{
	uint8_t nsb[16], h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	if (parse_uuid(ns, nsb)) return -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) && EVP_DigestUpdate(md, nsb, 16) &&
	         EVP_DigestUpdate(md, name, len) && EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	if (!ok || hl < 16) return -1;
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50); /* version 5 */
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80); /* RFC variant */
	char hex[33];
	tl_hex_encode(h, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return 0;
}
