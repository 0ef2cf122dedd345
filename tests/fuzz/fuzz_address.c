/* libFuzzer target: the input is tried as an address on every network and
 * as a scriptPubKey. Beyond "never crash", it checks round trips:
 * whatever decodes must classify as a script with an address and encode
 * back to the same string (lower-cased for bech32), and every address
 * made from a script must decode back to that script. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/pubkey.h"
#include "bitcoin/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096) return 0;
	char *s = malloc(size + 1);
	if (!s) return 0;
	memcpy(s, data, size);
	s[size] = 0;

	for (int n = 0; n < TL_NET_COUNT; n++) {
		const struct tl_netparams *np = tl_net_params((enum tl_net)n);
		uint8_t script[42];
		size_t sl = 0;
		struct tl_err err;
		if (tl_address_to_script(s, np, script, &sl, &err) == 0) {
			struct tl_script_info si;
			tl_script_classify(script, sl, &si);
			if (!tl_script_type_has_address(si.type)) abort();
			char back[TL_ADDRESS_MAX], lo[TL_ADDRESS_MAX];
			if (tl_address_from_script(script, sl, np, back) != 0) abort();
			size_t l = strlen(s);
			if (l >= sizeof lo) abort();
			int segwit = si.witness_version >= 0;
			for (size_t i = 0; i <= l; i++) lo[i] = segwit ? (char)tolower((unsigned char)s[i]) : s[i];
			if (strcmp(back, lo) != 0) abort();
		} else if (err.msg[0] == 0) {
			abort(); /* a failure must say why */
		}
	}

	char hrp[TL_BECH32_MAX_LEN];
	uint8_t d5[TL_BECH32_MAX_LEN];
	size_t dl;
	int var;
	if (tl_bech32_decode(s, hrp, d5, &dl, &var, NULL) == 0 && (dl > TL_BECH32_MAX_LEN || strlen(hrp) == 0)) abort();
	uint8_t payload[200];
	size_t pl;
	if (tl_base58check_decode(s, payload, sizeof payload, &pl, NULL) == 0 && pl > sizeof payload) abort();

	/* the raw bytes as a scriptPubKey */
	struct tl_script_info si;
	tl_script_classify(data, size, &si);
	if ((unsigned)si.type >= TL_SCRIPT_TYPE_COUNT) abort();
	if (si.data && (si.data < data || si.data + si.data_len > data + size)) abort();
	uint8_t key[TL_SCRIPT_KEY_MAX];
	size_t kl = tl_script_key(data, size, key);
	if (kl < 3 || kl > TL_SCRIPT_KEY_MAX || key[0] != (uint8_t)si.type) abort();
	for (int n = 0; n < TL_NET_COUNT; n++) {
		const struct tl_netparams *np = tl_net_params((enum tl_net)n);
		char a[TL_ADDRESS_MAX];
		int r = tl_address_from_script(data, size, np, a);
		if (r != 0 && tl_script_type_has_address(si.type)) abort();
		if (r == 0) {
			uint8_t back[42];
			size_t bl;
			if (!tl_script_type_has_address(si.type)) abort();
			if (tl_address_to_script(a, np, back, &bl, NULL) != 0) abort();
			if (bl != size || memcmp(back, data, size) != 0) abort();
		}
	}
	const uint8_t *k;
	size_t klen = tl_pubkey_from_scriptsig(data, size, &k);
	if (klen && (k < data || k + klen > data + size || !tl_pubkey_valid(k, klen))) abort();

	free(s);
	return 0;
}
