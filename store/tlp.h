/* TLP 2.0 levels of stored tag sources and heists: a small record set in
 * the meta family, apart from the tag and heist records, so that marking
 * a source or a heist never rewrites them.
 *
 * meta family
 *   "tlp/s/" source  -> mark (every tag of that tag source)
 *   "tlp/h/" heist id -> mark (that heist, its trace and exports)
 *   mark = one ASCII digit (enum tl_tlp) then, for RED, " " audience
 *   (the named recipients; may be empty).
 *
 * A tag's level is the higher of its source's mark and a "TLP:LEVEL"
 * prefix of its notes (how a partner's share arrives, report/import.h);
 * a heist's is the higher of its mark and the "tlp" member of its
 * definition. Unmarked data is the organisation's own: CLEAR.
 *
 * Visibility (tl_tlp_visible): an item is visible to a clearance when its
 * level is at most the clearance's, and a RED item only to a RED
 * clearance of the same audience (or an item without one). Callers leave
 * what is not visible out as if it did not exist. */
#ifndef TL_STORE_TLP_H
#define TL_STORE_TLP_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

struct tl_store;
struct tl_batch;

/* Ordered from the widest audience to the narrowest. */
enum tl_tlp { TL_TLP_CLEAR = 0, TL_TLP_GREEN, TL_TLP_AMBER, TL_TLP_AMBER_STRICT, TL_TLP_RED };

#define TL_TLP_AUDIENCE_MAX 64

/* A level with, for RED, its audience ("" = none named). */
struct tl_tlp_mark {
	enum tl_tlp level;
	char audience[TL_TLP_AUDIENCE_MAX];
};

/* A caller's clearance: the highest level it may see and, for RED, its
 * audience. all = 1: sees everything (the operator's own access). */
struct tl_clearance {
	enum tl_tlp level;
	char audience[TL_TLP_AUDIENCE_MAX];
	int all;
};

/* Kinds of marked things. */
enum tl_tlp_kind { TL_TLP_SOURCE = 's', TL_TLP_HEIST = 'h' };

/* The meta key ("tlp/KIND/NAME") and value of a mark, for any store
 * that keeps marks this way (the Ethereum store too, store/eth_intel.h).
 * Return the length written, or 0 when it does not fit cap. */
#define TL_TLP_MARK_MAX (8 + TL_TLP_AUDIENCE_MAX)
size_t tl_tlp_mark_key(enum tl_tlp_kind kind, const char *name, char *key, size_t cap);
size_t tl_tlp_mark_encode(const struct tl_tlp_mark *m, char *val, size_t cap);

/* Queues the mark of a source or heist in b. name: the source or heist
 * id (at most 200 bytes; longer names are refused by the importers). */
void tl_tlp_mark_put(struct tl_batch *b, enum tl_tlp_kind kind, const char *name, const struct tl_tlp_mark *m);
/* Reads a mark. Returns 1 with *m, 0 when unmarked, -1 with err (also
 * for a corrupt value). */
int tl_tlp_mark_get(struct tl_store *st, enum tl_tlp_kind kind, const char *name, struct tl_tlp_mark *m,
                    struct tl_err *err) __attribute__((warn_unused_result));

/* Parses a mark value (exposed for tests). Returns 0 or -1. */
int tl_tlp_mark_decode(const char *v, size_t len, struct tl_tlp_mark *m);

/* The level a "TLP:LEVEL" prefix of notes names, or -1 without one. */
int tl_tlp_notes_level(const char *notes);

/* 1 when an item at mark m may be shown to clearance c, else 0. */
int tl_tlp_visible(const struct tl_tlp_mark *m, const struct tl_clearance *c);

/* The effective mark of a tag (its source's mark and its notes) and of a
 * heist (its mark and its definition's "tlp" member; an unreadable
 * level counts as RED), read from st. Return 0 with *m, or -1 with err. */
int tl_tlp_tag_mark(struct tl_store *st, const char *source, const char *notes, struct tl_tlp_mark *m,
                    struct tl_err *err) __attribute__((warn_unused_result));
int tl_tlp_heist_mark(struct tl_store *st, const char *id, const char *definition_json, struct tl_tlp_mark *m,
                      struct tl_err *err) __attribute__((warn_unused_result));

/* Raise m to the level a tag's notes name ("TLP:LEVEL" prefix), or to
 * the "tlp" member of a heist's definition (an unreadable level counts as
 * RED); a raised mark names no audience. The rules both stores share. */
void tl_tlp_raise_notes(struct tl_tlp_mark *m, const char *notes);
void tl_tlp_raise_definition(struct tl_tlp_mark *m, const json_t *definition);

/* "clear" ... "red", and the parser of those names (any case, optional
 * "TLP:" prefix, "white" = CLEAR). tl_tlp_parse_name returns 0 or -1. */
const char *tl_tlp_level_name(enum tl_tlp t);
int tl_tlp_parse_name(const char *s, enum tl_tlp *out);

#endif
