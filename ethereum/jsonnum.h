/* JSON with numbers above 2^63: ethereum-etl writes amounts and
 * difficulties as bare JSON numbers of any size, and jansson refuses
 * integers that do not fit its json_int_t. Quoting every bare number
 * before parsing keeps each one exact as text. */
#ifndef TL_ETHEREUM_JSONNUM_H
#define TL_ETHEREUM_JSONNUM_H

#include <stddef.h>

#include <jansson.h>

#include "ethereum/u256.h"

/* A copy of the JSON text s[0..n) with every bare number written as a
 * string. Returns a malloc'd NUL-terminated string (aborts on OOM). */
char *tl_json_quote_numbers(const char *s, size_t n);
/* Parses s[0..n) with numbers as strings. Returns the value (caller
 * json_decref's) or NULL with jansson's message in *je. */
json_t *tl_json_loads_exact(const char *s, size_t n, json_error_t *je);
/* An amount or quantity: "0x..." hex (JSON-RPC) or decimal digits
 * (ethereum-etl). Returns 0, or -1 when v is not such a string. */
int tl_json_u256(const json_t *v, tl_uint256 *out) __attribute__((warn_unused_result));

#endif
