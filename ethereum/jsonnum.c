/* Exact JSON numbers (see jsonnum.h). */
#include "ethereum/jsonnum.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *tl_json_quote_numbers(const char *s, size_t n)
{
	/* each number grows by two quotes; a number is at least one byte */
	char *o = malloc(n * 3 + 3);
	if (!o) abort();
	size_t w = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			o[w++] = c;
			if (c == '\\' && i + 1 < n) o[w++] = s[++i];
			else if (c == '"') in_str = false;
		} else if (c == '"') {
			in_str = true;
			o[w++] = c;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			o[w++] = '"';
			while (i < n && (s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
					 (s[i] >= '0' && s[i] <= '9')))
				o[w++] = s[i++];
			o[w++] = '"';
			i--;
		} else
			o[w++] = c;
	}
	o[w] = 0;
	return o;
}

json_t *tl_json_loads_exact(const char *s, size_t n, json_error_t *je)
{
	char *q = tl_json_quote_numbers(s, n);
	json_t *v = json_loads(q, JSON_REJECT_DUPLICATES, je);
	free(q);
	return v;
}

int tl_json_u256(const json_t *v, tl_uint256 *out)
{
	const char *s = json_string_value(v);
	if (!s) return -1;
	size_t n = strlen(s);
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return tl_uint256_from_hex(s, n, out);
	return tl_uint256_from_dec(s, n, out);
}
