/* Standard Webhooks signatures (live/webhook.h): the specification's
 * published example, and random messages against a second computation
 * with OpenSSL's one-shot HMAC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "live/webhook.h"
#include "tests/testutil.h"

static void test_published_example(void **state)
{
	(void)state;
	/* The example of the Standard Webhooks reference libraries. */
	char sig[TL_WEBHOOK_SIG_LEN];
	struct tl_err err;
	const char *body = "{\"test\": 2432232314}";
	assert_int_equal(tl_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
					 1614265330, (const uint8_t *)body, strlen(body), sig, &err),
			 0);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void test_random_against_one_shot(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;
	struct tl_err err;
	for (int round = 0; round < 200; round++) {
		char secret[TL_WEBHOOK_SECRET_MAX];
		assert_int_equal(tl_webhook_secret_new(secret, &err), 0);
		assert_int_equal(strncmp(secret, "whsec_", 6), 0);
		assert_int_equal(strlen(secret), 6 + 32);
		uint8_t key[24];
		assert_int_equal(EVP_DecodeBlock(key, (const unsigned char *)secret + 6, 32), 24);
		uint8_t body[300];
		size_t len = (size_t)(round * 7 % 300);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			body[i] = (uint8_t)x;
		}
		char id[40];
		snprintf(id, sizeof id, "msg_%d", round);
		char sig[TL_WEBHOOK_SIG_LEN];
		assert_int_equal(tl_webhook_sign(secret, id, 1700000000 + round, body, len, sig, &err), 0);
		/* The naive way: the whole signed content in one buffer. */
		char msg[400];
		int hl = snprintf(msg, sizeof msg, "%s.%d.", id, 1700000000 + round);
		memcpy(msg + hl, body, len);
		uint8_t mac[32];
		unsigned int ml;
		HMAC(EVP_sha256(), key, 24, (const uint8_t *)msg, (size_t)hl + len, mac, &ml);
		char want[60] = "v1,";
		EVP_EncodeBlock((unsigned char *)want + 3, mac, 32);
		assert_string_equal(sig, want);
	}
	char sig[TL_WEBHOOK_SIG_LEN];
	assert_int_equal(tl_webhook_sign("whsec_not*base64", "id", 1, (const uint8_t *)"", 0, sig, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_example),
		cmocka_unit_test(test_random_against_one_shot),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
