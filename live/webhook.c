/* Standard Webhooks signing (live/webhook.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "live/webhook.h"

int tl_webhook_secret_new(char out[TL_WEBHOOK_SECRET_MAX], struct tl_err *err)
{
	uint8_t raw[24];
	if (RAND_bytes(raw, sizeof raw) != 1) return tl_err_set(err, "no randomness for a webhook secret");
	memcpy(out, "whsec_", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, sizeof raw);
	return 0;
}

int tl_webhook_sign(const char *secret, const char *id, int64_t timestamp, const uint8_t *body, size_t len,
		    char out[TL_WEBHOOK_SIG_LEN], struct tl_err *err)
{
	if (!strncmp(secret, "whsec_", 6)) secret += 6;
	size_t sl = strlen(secret);
	uint8_t key[TL_WEBHOOK_SECRET_MAX];
	if (sl == 0 || sl % 4 || sl / 4 * 3 > sizeof key) return tl_err_set(err, "webhook secret: not base64");
	int kl = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)sl);
	if (kl < 0) return tl_err_set(err, "webhook secret: not base64");
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	for (size_t i = sl; i > 0 && secret[i - 1] == '='; i--) kl--;
	char head[160];
	int hl = snprintf(head, sizeof head, "%s.%lld.", id, (long long)timestamp);
	if (hl < 0 || (size_t)hl >= sizeof head) return tl_err_set(err, "webhook id too long");
	uint8_t mac[32];
	size_t ml = 0;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = m ? EVP_MAC_CTX_new(m) : NULL;
	int ok = h && EVP_MAC_init(h, key, (size_t)kl, params) && EVP_MAC_update(h, (const uint8_t *)head, (size_t)hl) &&
		 EVP_MAC_update(h, body, len) && EVP_MAC_final(h, mac, &ml, sizeof mac) && ml == 32;
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(m);
	if (!ok) return tl_err_set(err, "HMAC-SHA256 failed");
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, 32);
	return 0;
}
