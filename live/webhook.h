/* Standard Webhooks signatures (standardwebhooks.com), for the alerts of
 * watches: a secret is "whsec_" + base64 of random bytes; a delivery is
 * signed as "v1," + base64 of HMAC-SHA256 keyed with the secret's decoded
 * bytes over "<webhook-id>.<webhook-timestamp>.<body>" (deliveries:
 * live/deliver.h). */
#ifndef TL_LIVE_WEBHOOK_H
#define TL_LIVE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define TL_WEBHOOK_SECRET_MAX 128
#define TL_WEBHOOK_SIG_LEN 48 /* "v1," + 44 base64 characters + NUL */

/* A new secret of 24 random bytes: "whsec_" + 32 base64 characters.
 * Returns 0 or -1 (no randomness available). */
int tl_webhook_secret_new(char out[TL_WEBHOOK_SECRET_MAX], struct tl_err *err) __attribute__((warn_unused_result));

/* Signs one delivery with secret (the "whsec_..." form; the prefix is
 * optional). Returns 0 with out = "v1,<base64>", or -1 with err (a
 * secret that is not base64). */
int tl_webhook_sign(const char *secret, const char *id, int64_t timestamp, const uint8_t *body, size_t len,
		    char out[TL_WEBHOOK_SIG_LEN], struct tl_err *err) __attribute__((warn_unused_result));

#endif
