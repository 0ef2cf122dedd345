/* Import of a partner's STIX bundle or MISP event; see import.h. */
#include "report/import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/bytes.h"
#include "report/export.h"
#include "tracer/entities.h"

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* One CSV field, quoted (RFC 4180) when it needs to be; line breaks
 * become spaces (a tag is one line). */
static void csv_field(struct tl_buf *b, const char *s, int last)
{
	s = s ? s : "";
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote) tl_buf_u8(b, '"');
	for (const char *p = s; *p; p++) {
		char c = *p == '\n' || *p == '\r' ? ' ' : *p;
		if (c == '"') tl_buf_u8(b, '"');
		tl_buf_u8(b, (uint8_t)c);
	}
	if (quote) tl_buf_u8(b, '"');
	tl_buf_u8(b, last ? '\n' : ',');
}

static void csv_tag(struct tl_buf *b, const char *chain, const char *address, const char *label, const char *category,
                    const char *source, int confidence, enum tl_tlp tlp, const char *what)
{
	char conf[8] = "", notes[400];
	if (confidence >= 0 && confidence <= 100) snprintf(conf, sizeof conf, "%d", confidence);
	snprintf(notes, sizeof notes, "TLP:%s; %s", tl_tlp_name(tlp), what ? what : "");
	for (char *p = notes + 4; *p && *p != ';'; p++) *p = (char)toupper((unsigned char)*p);
	csv_field(b, chain, 0);
	csv_field(b, address, 0);
	csv_field(b, label && *label ? label : "shared wallet", 0);
	csv_field(b, category, 0);
	csv_field(b, source, 0);
	csv_field(b, conf, 0);
	csv_field(b, notes, 1);
}

/* "<source>-<first 8 hex of uuid>", lower case, [a-z0-9._-] only. */
static void heist_id(const char *source, const char *uuid, char out[80])
{
	char u[9] = "";
	size_t n = 0;
	for (const char *p = uuid ? uuid : ""; *p && n < 8; p++)
		if (isxdigit((unsigned char)*p)) u[n++] = (char)tolower((unsigned char)*p);
	u[n] = 0;
	size_t o = 0;
	for (const char *p = source; *p && o < 48; p++) {
		char c = (char)tolower((unsigned char)*p);
		out[o++] = isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' ? c : '-';
	}
	snprintf(out + o, 80 - o, "-%s", n ? u : "share");
}

static int valid_source(const char *s)
{
	if (!s || !*s || strlen(s) > 100) return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(" ._-", *p)) return 0;
	return 1;
}

/* ---- STIX ---- */

/* The TLP level an object is marked with: the most restrictive of its
 * object_marking_refs that is a TLP marking (by the OASIS ids, or by a
 * marking definition of the bundle with the tlp_2_0 property); deflt
 * when none. */
static enum tl_tlp stix_level(const json_t *o, const json_t *marks, enum tl_tlp deflt)
{
	int best = -1;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(o, "object_marking_refs"), i, r) {
		const char *id = json_string_value(r);
		if (!id) continue;
		for (int l = 0; l < 5; l++)
			if (!strcmp(id, tl_tlp_marking_id((enum tl_tlp)l)) && l > best) best = l;
		const char *lv = sv(json_object_get(marks, id), "level");
		enum tl_tlp t;
		if (lv && !tl_tlp_parse(lv, &t, NULL) && (int)t > best) best = (int)t;
	}
	return best < 0 ? deflt : (enum tl_tlp)best;
}

static int stix_convert(const json_t *doc, const char *chain, const struct tl_share_import_opts *o, struct tl_buf *csv,
                        json_t **registry, struct tl_share_import_report *rep, struct tl_err *err)
{
	const json_t *objs = json_object_get(doc, "objects");
	if (!json_is_array(objs)) return tl_err_set(err, "STIX bundle without an objects array");
	json_t *byid = json_object(), *marks = json_object(), *indicated = json_object(), *reached = json_object();
	const json_t *actor = NULL, *report = NULL;
	size_t i;
	json_t *x;
	json_array_foreach(objs, i, x) {
		const char *id = sv(x, "id"), *type = sv(x, "type");
		if (!json_is_object(x) || !id || !type) {
			json_decref(byid);
			json_decref(marks);
			json_decref(indicated);
			json_decref(reached);
			return tl_err_set(err, "objects[%zu]: not an object with a type and an id", i);
		}
		json_object_set(byid, id, x);
		if (!strcmp(type, "marking-definition")) {
			const char *lv = NULL;
			const char *k;
			json_t *e;
			json_object_foreach(json_object_get(x, "extensions"), k, e)
				if (sv(e, "tlp_2_0")) lv = sv(e, "tlp_2_0");
			if (lv) json_object_set_new(marks, id, json_pack("{s:s}", "level", lv));
		} else if ((!strcmp(type, "intrusion-set") || !strcmp(type, "threat-actor")) && !actor) {
			actor = x;
		} else if (!strcmp(type, "report") && !report) {
			report = x;
		} else if (!strcmp(type, "indicator")) {
			/* [cryptocurrency-wallet:value = 'ADDR'] (possibly OR'ed) */
			const char *p = sv(x, "pattern");
			while (p && (p = strstr(p, "cryptocurrency-wallet:value"))) {
				const char *q = strchr(p, '\'');
				const char *e = q ? strchr(q + 1, '\'') : NULL;
				if (!e) break;
				char addr[128];
				if ((size_t)(e - q - 1) < sizeof addr) {
					snprintf(addr, sizeof addr, "%.*s", (int)(e - q - 1), q + 1);
					json_object_set(indicated, addr, x);
				}
				p = e;
			}
		} else if (!strcmp(type, "relationship") && sv(x, "target_ref")) {
			json_object_set_new(reached, sv(x, "target_ref"), json_true());
		}
	}
	const char *actor_name = sv(actor, "name");
	enum tl_tlp deflt = o->tlp;
	json_array_foreach(objs, i, x) {
		if (strcmp(sv(x, "type"), "cryptocurrency-wallet")) continue;
		const char *addr = sv(x, "value");
		if (!addr || !*addr) continue;
		const json_t *ind = json_object_get(indicated, addr);
		enum tl_tlp t = o->tlp_override ? o->tlp : stix_level(x, marks, deflt);
		int conf = o->confidence;
		const json_t *c = json_object_get(ind, "confidence");
		if (json_is_integer(c) && json_integer_value(c) >= 0 && json_integer_value(c) <= 100)
			conf = (int)json_integer_value(c);
		if (ind)
			csv_tag(csv, chain, addr, actor_name ? actor_name : sv(ind, "name") ? sv(ind, "name") : "indicator", "thief",
			        o->source, conf, t, sv(ind, "name"));
		else
			csv_tag(csv, chain, addr, sv(report, "name") ? sv(report, "name") : "shared wallet", "other", o->source,
			        conf, t, "a wallet of the shared trace");
	}
	/* the theft */
	if (report) {
		json_t *seeds = json_array();
		const json_t *xt = json_object_get(report, "x_taintline_trace");
		json_array_foreach(json_object_get(xt, "seed_outputs"), i, x) {
			const char *t = sv(x, "txid"), *op = sv(x, "outpoint");
			unsigned vout;
			char tx[65];
			if (t && strlen(t) == 64) json_array_append_new(seeds, json_pack("{s:s}", "txid", t));
			else if (op && sscanf(op, "%64[0-9a-f]:%u", tx, &vout) == 2 && strlen(tx) == 64)
				json_array_append_new(seeds, json_pack("{s:s,s:I}", "txid", tx, "vout", (json_int_t)vout));
		}
		if (!json_array_size(seeds)) {
			/* the report's transactions no flow reaches */
			json_array_foreach(json_object_get(report, "object_refs"), i, x) {
				const json_t *t = json_object_get(byid, json_string_value(x) ? json_string_value(x) : "");
				if (!t || strcmp(sv(t, "type"), "cryptocurrency-transaction") || json_object_get(reached, sv(t, "id")))
					continue;
				const char *v = sv(t, "value");
				if (v && strlen(v) == 64) json_array_append_new(seeds, json_pack("{s:s}", "txid", v));
			}
		}
		if (json_array_size(seeds)) {
			json_t *h = json_object();
			heist_id(o->source, strchr(sv(report, "id"), '-') ? strchr(sv(report, "id"), '-') + 2 : "", rep->heist_id);
			const char *pub = sv(report, "published");
			char date[11] = "";
			if (pub && strlen(pub) >= 10) snprintf(date, sizeof date, "%.10s", pub);
			json_object_set_new(h, "id", json_string(rep->heist_id));
			json_object_set_new(h, "name", json_string(sv(report, "name") ? sv(report, "name") : rep->heist_id));
			json_object_set_new(h, "date", json_string(date[0] ? date : "2009"));
			json_object_set_new(h, "chain", json_string(chain));
			const json_t *er0 = json_array_get(json_object_get(actor, "external_references"), 0);
			json_t *att = json_pack("{s:s,s:s}", "authority", sv(er0, "source_name") ? sv(er0, "source_name") : o->source,
			                        "document", sv(er0, "description") ? sv(er0, "description")
			                                    : sv(report, "name")   ? sv(report, "name")
			                                                           : "shared report");
			if (sv(er0, "url")) json_object_set_new(att, "url", json_string(sv(er0, "url")));
			json_object_set_new(h, "attribution", att);
			if (actor_name) json_object_set_new(h, "actor", json_string(actor_name));
			json_t *src = json_array();
			json_array_foreach(json_object_get(actor, "external_references"), i, x)
				if (i > 0 && sv(x, "url")) json_array_append_new(src, json_string(sv(x, "url")));
			json_object_set_new(h, "sources", src);
			json_object_set_new(h, "seeds", seeds);
			seeds = NULL;
			enum tl_tlp t = o->tlp_override ? o->tlp : stix_level(report, marks, deflt);
			json_object_set_new(h, "tlp", json_string(tl_tlp_name(t)));
			json_object_set_new(h, "shared_by", json_string(o->source));
			rep->seeds = json_array_size(json_object_get(h, "seeds"));
			*registry = json_pack("{s:[o]}", "heists", h);
		}
		json_decref(seeds);
	}
	json_decref(byid);
	json_decref(marks);
	json_decref(indicated);
	json_decref(reached);
	return 0;
}

/* ---- MISP ---- */

static const char *misp_attr(const json_t *ob, const char *rel)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(ob, "Attribute"), i, a)
		if (sv(a, "object_relation") && !strcmp(sv(a, "object_relation"), rel)) return sv(a, "value");
	return NULL;
}

static int misp_convert(const json_t *doc, const char *chain, const struct tl_share_import_opts *o, struct tl_buf *csv,
                        json_t **registry, struct tl_share_import_report *rep, struct tl_err *err)
{
	const json_t *ev = json_object_get(doc, "Event");
	if (!json_is_object(ev)) return tl_err_set(err, "MISP document without an Event object");
	enum tl_tlp t = o->tlp;
	size_t i;
	json_t *x;
	if (!o->tlp_override)
		json_array_foreach(json_object_get(ev, "Tag"), i, x) {
			const char *n = sv(x, "name");
			enum tl_tlp l;
			if (n && !strncasecmp(n, "tlp:", 4) && !tl_tlp_parse(n, &l, NULL)) t = l;
		}
	const char *actor = NULL;
	const json_t *cluster = NULL;
	json_array_foreach(json_object_get(ev, "Galaxy"), i, x) {
		const json_t *c = json_array_get(json_object_get(x, "GalaxyCluster"), 0);
		if (sv(c, "value") && !actor) {
			actor = sv(c, "value");
			cluster = c;
		}
	}
	const char *info = sv(ev, "info");
	json_t *seeds = json_array();
	json_array_foreach(json_object_get(ev, "Object"), i, x) {
		const char *name = sv(x, "name");
		if (!name) continue;
		if (!strcmp(name, "btc-wallet")) {
			const char *a = misp_attr(x, "wallet-address");
			if (a) csv_tag(csv, chain, a, actor ? actor : info ? info : "shared wallet", "thief", o->source,
			               o->confidence, t, sv(x, "comment"));
		} else if (!strcmp(name, "coin-address")) {
			const char *a = misp_attr(x, "address");
			const char *sym = misp_attr(x, "symbol");
			if (a && (!sym || !strcmp(sym, "BTC")))
				csv_tag(csv, chain, a, misp_attr(x, "text") ? misp_attr(x, "text") : info ? info : "shared address",
				        "other", o->source, o->confidence, t, sv(x, "comment"));
		} else if (!strcmp(name, "btc-transaction")) {
			const char *c = sv(x, "comment"), *tx = misp_attr(x, "transaction-number");
			if (!c || !tx || strlen(tx) != 64 || strncmp(c, TL_MISP_SEED_MARK, strlen(TL_MISP_SEED_MARK))) continue;
			const char *p = c + strlen(TL_MISP_SEED_MARK);
			int whole = strstr(p, "; every output") != NULL;
			if (whole) {
				json_array_append_new(seeds, json_pack("{s:s}", "txid", tx));
				continue;
			}
			while ((p = strstr(p, "; output "))) {
				p += 9;
				char *end;
				unsigned long v = strtoul(p, &end, 10);
				if (end != p && v < 0xffffffffUL)
					json_array_append_new(seeds, json_pack("{s:s,s:I}", "txid", tx, "vout", (json_int_t)v));
			}
		}
	}
	if (json_array_size(seeds)) {
		heist_id(o->source, sv(ev, "uuid"), rep->heist_id);
		const char *date = sv(ev, "date");
		json_t *refs = json_object_get(json_object_get(cluster, "meta"), "refs");
		json_t *att = json_pack("{s:s,s:s}", "authority", o->source, "document",
		                        sv(cluster, "description") ? sv(cluster, "description") : info ? info : "shared event");
		if (json_string_value(json_array_get(refs, 0)))
			json_object_set_new(att, "url", json_string(json_string_value(json_array_get(refs, 0))));
		json_t *src = json_array();
		json_array_foreach(refs, i, x)
			if (json_string_value(x)) json_array_append_new(src, json_string(json_string_value(x)));
		json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s}", "id", rep->heist_id, "name",
		                      info ? info : rep->heist_id, "date", date && strlen(date) == 10 ? date : "2009", "chain",
		                      chain, "attribution", att, "sources", src, "seeds", seeds, "tlp", tl_tlp_name(t),
		                      "shared_by", o->source);
		seeds = NULL;
		if (actor) json_object_set_new(h, "actor", json_string(actor));
		rep->seeds = json_array_size(json_object_get(h, "seeds"));
		*registry = json_pack("{s:[o]}", "heists", h);
	}
	json_decref(seeds);
	return 0;
}

int tl_share_convert(const json_t *doc, const char *chain, const struct tl_share_import_opts *o, char **csv,
                     json_t **registry, struct tl_share_import_report *rep, struct tl_err *err)
{
	*csv = NULL;
	*registry = NULL;
	memset(rep, 0, sizeof *rep);
	if (!valid_source(o->source))
		return tl_err_set(err, "the partner's name must be 1-100 letters, digits, spaces, '.', '_' or '-'");
	if (!json_is_object(doc)) return tl_err_set(err, "not a JSON object");
	struct tl_buf b;
	tl_buf_init(&b);
	const char *hdr = "chain,address,label,category,source,confidence,notes\n";
	tl_buf_put(&b, hdr, strlen(hdr));
	int r;
	const char *type = sv(doc, "type");
	if (type && !strcmp(type, "bundle")) {
		rep->format = "stix";
		r = stix_convert(doc, chain, o, &b, registry, rep, err);
	} else if (json_object_get(doc, "Event")) {
		rep->format = "misp";
		r = misp_convert(doc, chain, o, &b, registry, rep, err);
	} else {
		r = tl_err_set(err, "neither a STIX bundle (\"type\": \"bundle\") nor a MISP event (\"Event\")");
	}
	if (r) {
		tl_buf_free(&b);
		json_decref(*registry);
		*registry = NULL;
		return -1;
	}
	tl_buf_u8(&b, 0);
	*csv = (char *)b.data;
	return 0;
}

int tl_share_import(struct tl_store *st, const json_t *doc, const struct tl_share_import_opts *o,
                    struct tl_share_import_report *rep, struct tl_err *err)
{
	char *csv = NULL;
	json_t *reg = NULL;
	if (tl_share_convert(doc, tl_store_net(st)->tag_chain, o, &csv, &reg, rep, err)) return -1;
	/* through files, so that the ordinary importers (validation, atomic
	 * batches, idempotence) apply */
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/taintline-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int rc = -1;
	if (!mkdtemp(dir)) {
		tl_err_set(err, "cannot make a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
		goto out;
	}
	/* the heist first: a definition the registry refuses writes nothing */
	if (reg) {
		snprintf(path, sizeof path, "%s/heists.json", dir);
		struct tl_heist_import_report hr;
		memset(&hr, 0, sizeof hr);
		if (json_dump_file(reg, path, JSON_INDENT(1))) {
			tl_err_set(err, "cannot write %s", path);
			goto clean;
		}
		int r = tl_heists_import(st, path, &hr, err);
		unlink(path);
		if (r) {
			tl_err_prefix(err, "the shared theft: ");
			goto clean;
		}
		rep->heists_added = hr.added;
		rep->heists_updated = hr.updated;
	}
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	FILE *f = fopen(path, "w");
	if (!f || fputs(csv, f) == EOF || fclose(f)) {
		if (f) fclose(f);
		tl_err_set(err, "cannot write %s", path);
		goto clean;
	}
	struct tl_tag_import_report tr;
	memset(&tr, 0, sizeof tr);
	int r = tl_tags_import(st, path, TL_TAGFMT_CSV, &tr, err);
	unlink(path);
	if (r) goto clean;
	rep->tags_stored = tr.stored;
	rep->tags_existing = tr.existing;
	rc = 0;
clean:
	rmdir(dir);
out:
	free(csv);
	json_decref(reg);
	return rc;
}
