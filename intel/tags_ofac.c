/* OFAC SDN advanced XML (sdn_advanced.xml) reader, streaming with
 * libxml2's xmlTextReader: the ReferenceValueSets and each DistinctParty
 * are expanded one at a time, so memory stays bounded by one party even
 * for the full 120 MB list.
 *
 * FeatureType IDs are resolved by their text ("Digital Currency Address -
 * XBT"), never by number. Elements are matched by local name, so both
 * the current namespace and the old http://www.un.org/sanctions/1.0 one
 * work. A Feature whose FeatureTypeID is not defined at all in
 * ReferenceValueSets is reported (its kind cannot be known) and skipped. */
#include "intel/tags.h"

#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRYPTO_PREFIX "Digital Currency Address - "

struct ftype {
	char *id;
	char *ticker; /* NULL if not a digital-currency type */
};

struct ofac {
	const char *name;
	struct tl_tag_report *rep;
	struct ftype *types;
	size_t ntypes, cap;
	int have_refs;
	char source[64];
	char first_err[300];
	int err_line;
};

/* Longest address, name or comment taken from the file: real ones are a
 * few hundred bytes at most. */
#define OFAC_MAX_TEXT 4096

static int lname_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (lname_is(c, name)) return c;
	return NULL;
}

static char *attr(xmlNodePtr n, const char *name) { return (char *)xmlGetProp(n, (const xmlChar *)name); }

static int attr_is(xmlNodePtr n, const char *name, const char *val)
{
	char *a = attr(n, name);
	int r = a && strcmp(a, val) == 0;
	xmlFree(a);
	return r;
}

static char *text(xmlNodePtr n) { return n ? (char *)xmlNodeGetContent(n) : NULL; }

#if LIBXML_VERSION >= 21200
static void on_error(void *arg, const xmlError *e)
#else
static void on_error(void *arg, xmlErrorPtr e)
#endif
{
	struct ofac *o = arg;
	if (!e || o->first_err[0]) return;
	snprintf(o->first_err, sizeof o->first_err, "%s", e->message ? e->message : "XML error");
	size_t l = strlen(o->first_err);
	while (l && (o->first_err[l - 1] == '\n' || o->first_err[l - 1] == '\r')) o->first_err[--l] = 0;
	o->err_line = e->line;
}

static int add_type(struct ofac *o, const char *id, const char *txt)
{
	if (o->ntypes == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 64;
		struct ftype *nt = realloc(o->types, nc * sizeof *nt);
		if (!nt) return -1;
		o->types = nt;
		o->cap = nc;
	}
	struct ftype *t = &o->types[o->ntypes];
	t->id = strdup(id);
	t->ticker = NULL;
	if (!t->id) return -1;
	size_t pl = strlen(CRYPTO_PREFIX);
	if (txt && strncmp(txt, CRYPTO_PREFIX, pl) == 0 && txt[pl]) {
		t->ticker = strdup(txt + pl);
		if (!t->ticker) {
			free(t->id);
			return -1;
		}
		/* trim trailing white space */
		size_t n = strlen(t->ticker);
		while (n && (t->ticker[n - 1] == ' ' || t->ticker[n - 1] == '\r' || t->ticker[n - 1] == '\n')) t->ticker[--n] = 0;
	}
	o->ntypes++;
	return 0;
}

static const struct ftype *find_type(const struct ofac *o, const char *id)
{
	for (size_t i = 0; i < o->ntypes; i++)
		if (strcmp(o->types[i].id, id) == 0) return &o->types[i];
	return NULL;
}

static int do_refs(struct ofac *o, xmlNodePtr rvs, struct tl_err *err)
{
	xmlNodePtr ftv = child(rvs, "FeatureTypeValues");
	if (!ftv)
		return tl_err_set(err, "%s: line %ld: ReferenceValueSets has no FeatureTypeValues", o->name, xmlGetLineNo(rvs));
	int have_xbt = 0;
	for (xmlNodePtr c = ftv->children; c; c = c->next) {
		if (!lname_is(c, "FeatureType")) continue;
		char *id = attr(c, "ID");
		char *t = text(c);
		int rc = id ? add_type(o, id, t) : 0;
		if (id && t && strcmp(t, CRYPTO_PREFIX "XBT") == 0) have_xbt = 1;
		xmlFree(id);
		xmlFree(t);
		if (rc < 0) return tl_err_set(err, "%s: out of memory", o->name);
	}
	if (!have_xbt)
		tl__tag_report_msg(o->rep,
				   "line %ld: ReferenceValueSets defines no FeatureType 'Digital Currency Address - "
				   "XBT': bitcoin addresses cannot be identified in this file",
				   xmlGetLineNo(ftv));
	o->have_refs = 1;
	return 0;
}

static void do_date(struct ofac *o, xmlNodePtr d)
{
	char *y = text(child(d, "Year")), *m = text(child(d, "Month")), *dd = text(child(d, "Day"));
	if (y && m && dd)
		snprintf(o->source, sizeof o->source, "OFAC SDN %.4s-%02d-%02d", y, atoi(m) % 100, atoi(dd) % 100);
	xmlFree(y);
	xmlFree(m);
	xmlFree(dd);
}

/* Primary name: first Alias[@Primary="true"], its DocumentedName with
 * DocNameStatusID 1, NamePartValues joined by spaces. Caller frees. */
static char *primary_name(xmlNodePtr profile)
{
	for (xmlNodePtr id = profile->children; id; id = id->next) {
		if (!lname_is(id, "Identity")) continue;
		for (xmlNodePtr al = id->children; al; al = al->next) {
			if (!lname_is(al, "Alias") || !attr_is(al, "Primary", "true")) continue;
			for (xmlNodePtr dn = al->children; dn; dn = dn->next) {
				if (!lname_is(dn, "DocumentedName") || !attr_is(dn, "DocNameStatusID", "1")) continue;
				size_t cap = 64, len = 0;
				char *out = malloc(cap);
				if (!out) return NULL;
				out[0] = 0;
				for (xmlNodePtr part = dn->children; part; part = part->next) {
					if (!lname_is(part, "DocumentedNamePart")) continue;
					for (xmlNodePtr v = part->children; v; v = v->next) {
						if (!lname_is(v, "NamePartValue")) continue;
						char *t = text(v);
						if (!t) continue;
						size_t tl = strlen(t);
						if (len + tl + 2 > cap) {
							while (len + tl + 2 > cap) cap *= 2;
							char *no = realloc(out, cap);
							if (!no) {
								xmlFree(t);
								free(out);
								return NULL;
							}
							out = no;
						}
						if (len) out[len++] = ' ';
						memcpy(out + len, t, tl + 1);
						len += tl;
						xmlFree(t);
					}
				}
				return out;
			}
		}
	}
	return NULL;
}

/* Returns 0, or -1 when the callback stopped the parse / OOM. */
static int do_party(struct ofac *o, xmlNodePtr party, tl_tag_cb cb, void *ctx, struct tl_err *err)
{
	char *fixed = attr(party, "FixedRef");
	int ret = 0;
	for (xmlNodePtr prof = party->children; prof && ret == 0; prof = prof->next) {
		if (!lname_is(prof, "Profile")) continue;
		char *name = NULL;
		int name_done = 0;
		for (xmlNodePtr f = prof->children; f; f = f->next) {
			if (!lname_is(f, "Feature")) continue;
			long line = xmlGetLineNo(f);
			char *fid = attr(f, "ID"), *tid = attr(f, "FeatureTypeID");
			const struct ftype *ft = tid ? find_type(o, tid) : NULL;
			if (!ft) {
				o->rep->skipped++;
				tl__tag_report_msg(o->rep,
						   "line %ld: party %s Feature %s: FeatureTypeID %s is not defined in "
						   "ReferenceValueSets/FeatureTypeValues (unresolved reference; skipped)",
						   line, fixed ? fixed : "?", fid ? fid : "?", tid ? tid : "(none)");
			} else if (ft->ticker) {
				xmlNodePtr fv = child(f, "FeatureVersion");
				char *addr = text(child(fv, "VersionDetail"));
				char *comment = text(child(fv, "Comment"));
				if (!name_done) {
					name = primary_name(prof);
					name_done = 1;
				}
				if (!addr || !*addr) {
					o->rep->skipped++;
					tl__tag_report_msg(o->rep, "line %ld: party %s Feature %s: no address (VersionDetail)",
							   line, fixed ? fixed : "?", fid ? fid : "?");
				} else if (strlen(addr) > OFAC_MAX_TEXT || (comment && strlen(comment) > OFAC_MAX_TEXT) ||
					   (name && strlen(name) > OFAC_MAX_TEXT)) {
					o->rep->skipped++;
					tl__tag_report_msg(o->rep,
							   "line %ld: party %s Feature %s: a text over %d bytes (address, name or "
							   "comment); skipped",
							   line, fixed ? fixed : "?", fid ? fid : "?", OFAC_MAX_TEXT);
				} else {
					char chainbuf[48];
					struct tl_tag t = {
						.chain = tl_tag_chain_from_ticker(ft->ticker, chainbuf, sizeof chainbuf),
						.address = addr,
						.label = name && *name ? name : (fixed ? fixed : "?"),
						.category = "sanctioned",
						.source = o->source[0] ? o->source : "OFAC SDN",
						.confidence = -1,
						.entity = fixed,
						.notes = comment && *comment ? comment : NULL,
						.ticker = ft->ticker,
						.ref = fid,
						.type_ref = tid,
						.line = (unsigned long)line,
					};
					if (cb && cb(ctx, &t) != 0)
						ret = tl_err_set(err, "%s: line %ld: stopped by callback", o->name, line);
					else
						o->rep->records++;
				}
				xmlFree(addr);
				xmlFree(comment);
			}
			xmlFree(fid);
			xmlFree(tid);
			if (ret) break;
		}
		free(name);
	}
	xmlFree(fixed);
	return ret;
}

int tl__tags_parse_ofac(const char *path, const char *buf, size_t len, const char *name, tl_tag_cb cb, void *ctx,
			struct tl_tag_report *rep, struct tl_err *err)
{
	struct ofac o = {.name = name, .rep = rep};
	/* No XML_PARSE_HUGE: it also lifts libxml2's entity-amplification
	 * guard, letting a few hundred bytes of nested entities expand to
	 * gigabytes; OFAC's file needs none of what it allows. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlTextReaderPtr r;
	if (path)
		r = xmlReaderForFile(path, NULL, opts);
	else {
		if (len > 0x7fffffff) return tl_err_set(err, "%s: input too large", name);
		r = xmlReaderForMemory(buf, (int)len, name, NULL, opts);
	}
	if (!r) return tl_err_set(err, "%s: cannot open as XML", name);
	xmlTextReaderSetStructuredErrorHandler(r, on_error, &o);
	int ret = 0, seen_root = 0;
	int rc = xmlTextReaderRead(r);
	while (rc == 1) {
		if (xmlTextReaderNodeType(r) == XML_READER_TYPE_DOCUMENT_TYPE ||
		    xmlTextReaderNodeType(r) == XML_READER_TYPE_ENTITY_REFERENCE) {
			/* A document type may declare entities, and a few of them
			 * referenced many times expand to gigabytes; OFAC's files
			 * have no DOCTYPE, so none is accepted. */
			ret = tl_err_set(err, "%s: line %d: the file has a DOCTYPE (document type or entity declarations); "
					      "OFAC SDN files have none, and such files are refused",
					 name, xmlTextReaderGetParserLineNumber(r));
			break;
		}
		const char *ln = xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT
					 ? (const char *)xmlTextReaderConstLocalName(r)
					 : NULL;
		if (!ln) {
			rc = xmlTextReaderRead(r);
			continue;
		}
		if (!seen_root) {
			seen_root = 1;
			if (strcmp(ln, "Sanctions") != 0) {
				ret = tl_err_set(err, "%s: line %d: root element is <%.40s>, not <Sanctions> (not an OFAC sdn_advanced file)",
						 name, xmlTextReaderGetParserLineNumber(r), ln);
				break;
			}
			rc = xmlTextReaderRead(r);
			continue;
		}
		int is_date = strcmp(ln, "DateOfIssue") == 0, is_refs = strcmp(ln, "ReferenceValueSets") == 0,
		    is_party = strcmp(ln, "DistinctParty") == 0;
		if (!is_date && !is_refs && !is_party) {
			rc = xmlTextReaderRead(r);
			continue;
		}
		xmlNodePtr n = xmlTextReaderExpand(r);
		if (!n) {
			rc = -1;
			break;
		}
		if (is_date)
			do_date(&o, n);
		else if (is_refs) {
			if ((ret = do_refs(&o, n, err)) < 0) break;
		} else {
			if (!o.have_refs) {
				ret = tl_err_set(err, "%s: line %ld: DistinctParty before ReferenceValueSets (FeatureTypes unknown)",
						 name, xmlGetLineNo(n));
				break;
			}
			if ((ret = do_party(&o, n, cb, ctx, err)) < 0) break;
		}
		/* skip the expanded subtree; Next lands on the following node */
		rc = xmlTextReaderNext(r);
	}
	if (ret == 0 && rc < 0) {
		int line = o.err_line ? o.err_line : xmlTextReaderGetParserLineNumber(r);
		ret = tl_err_set(err, "%s: line %d: XML parse error: %s (file broken or truncated; discard its records)", name,
				 line, o.first_err[0] ? o.first_err : "malformed XML");
	}
	if (ret == 0 && !seen_root) ret = tl_err_set(err, "%s: no XML element found", name);
	if (ret == 0 && !o.have_refs)
		ret = tl_err_set(err, "%s: no ReferenceValueSets (not an OFAC sdn_advanced file?)", name);
	xmlFreeTextReader(r);
	for (size_t i = 0; i < o.ntypes; i++) {
		free(o.types[i].id);
		free(o.types[i].ticker);
	}
	free(o.types);
	return ret;
}
