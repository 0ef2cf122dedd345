/* Fuzz target: the trace option parsers (tracer/trace.h outpoints and
 * dates, taint/policy.h policy names, tracer/trace_request.h stop
 * categories, report/trace_format.h format names) on arbitrary strings.
 * A parsed date must print back as the same day; a parsed outpoint must
 * print back as the same txid; parsed categories must be the union of
 * each comma-separated name's flags. Must never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bitcoin/hash.h"
#include "report/trace_format.h"
#include "taint/policy.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"
#include "tracer/trace_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096) return 0;
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	struct tl_err err;
	switch (data[0] % 5) {
	case 0: {
		uint8_t txid[32];
		uint32_t vout;
		if (tl_trace_parse_outpoint(s, txid, &vout, &err) == 0) {
			char hex[65];
			tl_hash_to_hex(txid, hex);
			if (strncasecmp(hex, s, 64) != 0) abort();
		}
		break;
	}
	case 1: {
		int64_t t0, t1;
		int ok0 = tl_trace_parse_date(s, 0, &t0, &err) == 0;
		int ok1 = tl_trace_parse_date(s, 1, &t1, &err) == 0;
		if (ok0 != ok1) abort();
		if (ok0 && t1 - t0 != 86399) abort();
		if (ok0) {
			time_t tt = (time_t)t0;
			struct tm tm;
			char back[32];
			if (!gmtime_r(&tt, &tm)) abort();
			snprintf(back, sizeof back, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
			if (strcmp(back, s) != 0) abort();
		}
		break;
	}
	case 2: {
		enum tl_policy p;
		(void)tl_policy_parse(s, &p, &err);
		break;
	}
	case 3: { /* the naive union of the names between commas */
		uint32_t cats = 0, want = 0;
		int ok = tl_trace_parse_cats(s, &cats, &err) == 0, all_known = 1;
		for (char *p = s, *end; *p || p == s; p = end + 1) {
			end = strchr(p, ',');
			if (!end) end = p + strlen(p);
			char save = *end;
			*end = 0;
			if (*p) {
				uint32_t f = tl_storegraph_cat_flags(p);
				if (!f) all_known = 0;
				want |= f;
			}
			*end = save;
			if (!save) break;
		}
		if (ok != all_known || (ok && cats != want)) abort();
		break;
	}
	default: {
		const char *ct = tl_trace_format_ctype(s);
		int known = !strcmp(s, "json") || !strcmp(s, "csv") || !strcmp(s, "dot") || !strcmp(s, "html") ||
			    !strcmp(s, "text");
		if ((ct != NULL) != known) abort();
	}
	}
	free(s);
	return 0;
}
