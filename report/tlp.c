/* TLP 2.0 levels; see tlp.h. Ids, names and the created date are those
 * of the OASIS tlp-2.0 extension (docs/sharing.md). */
#include "report/tlp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TLP_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

static const struct {
	const char *name, *id, *title;
} levels[] = {
	{ "clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR" },
	{ "green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN" },
	{ "amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER" },
	{ "amber+strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT" },
	{ "red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED" },
};

int tl_tlp_parse(const char *s, enum tl_tlp *out, struct tl_err *err)
{
	if (!tl_tlp_parse_name(s, out)) return 0;
	return tl_err_set(err, "unknown TLP level '%.40s' (clear, green, amber, amber+strict, red)", s ? s : "");
}

const char *tl_tlp_name(enum tl_tlp t) { return levels[(unsigned)t < 5 ? t : TL_TLP_RED].name; }

const char *tl_tlp_marking_id(enum tl_tlp t) { return levels[(unsigned)t < 5 ? t : TL_TLP_RED].id; }

json_t *tl_tlp_marking(enum tl_tlp t)
{
	unsigned i = (unsigned)t < 5 ? t : TL_TLP_RED;
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s,s:s}}}", "type", "marking-definition", "spec_version", "2.1",
	                 "id", levels[i].id, "created", "2022-10-01T00:00:00.000Z", "name", levels[i].title,
	                 "extensions", TLP_EXT, "extension_type", "property-extension", "tlp_2_0", levels[i].name);
}

int tl_tlp_allows(const char *definition_json, enum tl_tlp want, char *reason, size_t cap)
{
	json_t *d = definition_json ? json_loads(definition_json, 0, NULL) : NULL;
	const char *lv = json_string_value(json_object_get(d, "tlp"));
	enum tl_tlp have = TL_TLP_CLEAR;
	int ok = 1;
	if (lv && tl_tlp_parse(lv, &have, NULL)) {
		/* a level we cannot read: the narrowest, not the widest */
		have = TL_TLP_RED;
	}
	if (lv && want < have) {
		const char *id = json_string_value(json_object_get(d, "id"));
		const char *by = json_string_value(json_object_get(d, "shared_by"));
		char from[140] = "";
		if (by) snprintf(from, sizeof from, " (shared by %.100s)", by);
		snprintf(reason, cap, "heist '%.80s' is TLP:%s%s; it cannot go out as TLP:%s", id ? id : "?",
		         tl_tlp_name(have), from, tl_tlp_name(want));
		ok = 0;
	}
	json_decref(d);
	return ok;
}
