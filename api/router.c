#include "api/router.h"

#include <stdlib.h>
#include <string.h>

struct route {
	char *pattern;                       /* owned copy, segments NUL-split */
	int nseg;
	const char *seg[TL_ROUTER_MAX_SEGMENTS]; /* into pattern; ":name" for params */
	unsigned literal_mask;               /* bit (15 - i) set when segment i is literal */
	unsigned methods;
	int route_id;
};

struct tl_router {
	struct route *routes;
	size_t n, cap;
};

struct tl_router *tl_router_new(void)
{
	return calloc(1, sizeof(struct tl_router));
}

void tl_router_free(struct tl_router *r)
{
	if (!r) return;
	for (size_t i = 0; i < r->n; i++) free(r->routes[i].pattern);
	free(r->routes);
	free(r);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

long tl_url_decode(const char *in, size_t n, char *out, int plus_is_space)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '%') {
			if (i + 2 >= n) return -1;
			int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
			if (h < 0 || l < 0) return -1;
			c = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0') return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (long)o;
}

/* Splits a pattern copy in place. Returns 0 or -1 with err. */
static int parse_pattern(struct route *rt, struct tl_err *err)
{
	char *p = rt->pattern;
	if (p[0] != '/') return tl_err_set(err, "route pattern '%s' must start with '/'", p);
	rt->nseg = 0;
	rt->literal_mask = 0;
	if (p[1] == '\0') return 0; /* "/" */
	int nparams = 0;
	char *s = p + 1;
	for (;;) {
		char *slash = strchr(s, '/');
		if (slash) *slash = '\0';
		if (*s == '\0') return tl_err_set(err, "route pattern has an empty segment");
		if (strchr(s, '%')) return tl_err_set(err, "route pattern segment '%s' contains '%%'", s);
		if (rt->nseg == TL_ROUTER_MAX_SEGMENTS)
			return tl_err_set(err, "route pattern has over %d segments", TL_ROUTER_MAX_SEGMENTS);
		if (s[0] == ':') {
			if (s[1] == '\0') return tl_err_set(err, "route pattern has a parameter without a name");
			if (++nparams > TL_ROUTER_MAX_PARAMS)
				return tl_err_set(err, "route pattern has over %d parameters", TL_ROUTER_MAX_PARAMS);
			for (int i = 0; i < rt->nseg; i++)
				if (rt->seg[i][0] == ':' && !strcmp(rt->seg[i], s))
					return tl_err_set(err, "route pattern repeats parameter '%s'", s);
		} else {
			rt->literal_mask |= 1u << (15 - rt->nseg);
		}
		rt->seg[rt->nseg++] = s;
		if (!slash) break;
		s = slash + 1;
	}
	return 0;
}

int tl_router_add(struct tl_router *r, unsigned methods, const char *pattern, int route_id,
		  struct tl_err *err)
{
	if (!methods) return tl_err_set(err, "route '%s' has no method", pattern);
	struct route rt = { 0 };
	rt.pattern = strdup(pattern);
	if (!rt.pattern) return tl_err_set(err, "out of memory");
	if (parse_pattern(&rt, err)) {
		tl_err_prefix(err, "route '%s': ", pattern);
		free(rt.pattern);
		return -1;
	}
	rt.methods = methods;
	rt.route_id = route_id;
	for (size_t i = 0; i < r->n; i++) {
		const struct route *o = &r->routes[i];
		if (o->nseg != rt.nseg || o->literal_mask != rt.literal_mask || !(o->methods & methods))
			continue;
		int same = 1;
		for (int k = 0; k < rt.nseg && same; k++)
			if (rt.seg[k][0] != ':' && strcmp(rt.seg[k], o->seg[k])) same = 0;
		if (same) {
			free(rt.pattern);
			return tl_err_set(err, "route '%s' duplicates an earlier route for the same method", pattern);
		}
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct route *nr = realloc(r->routes, nc * sizeof *nr);
		if (!nr) {
			free(rt.pattern);
			return tl_err_set(err, "out of memory");
		}
		r->routes = nr;
		r->cap = nc;
	}
	r->routes[r->n++] = rt;
	return 0;
}

enum tl_route_result tl_router_match(const struct tl_router *r, unsigned method, const char *path,
				     struct tl_route_match *m)
{
	const char *segs[TL_ROUTER_MAX_SEGMENTS];
	int nseg = 0;
	m->route_id = -1;
	m->allowed_methods = 0;
	m->nparams = 0;
	if (!path || path[0] != '/') return TL_ROUTE_NOT_FOUND;
	size_t plen = strlen(path);
	if (plen > TL_ROUTER_MAX_PATH) return TL_ROUTE_NOT_FOUND;
	/* Decode each segment into buf, one after another. */
	char *o = m->buf;
	const char *s = path + 1;
	if (plen > 1 && path[plen - 1] == '/') plen--; /* ignore one trailing slash */
	const char *end = path + plen;
	if (s < end) {
		for (;;) {
			const char *slash = memchr(s, '/', (size_t)(end - s));
			const char *se = slash ? slash : end;
			if (nseg == TL_ROUTER_MAX_SEGMENTS) return TL_ROUTE_NOT_FOUND;
			long dl = tl_url_decode(s, (size_t)(se - s), o, 0);
			if (dl < 0) return TL_ROUTE_BAD_PATH;
			segs[nseg++] = o;
			o += dl + 1;
			if (!slash) break;
			s = slash + 1;
		}
	}
	const struct route *best = NULL, *best_any = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct route *rt = &r->routes[i];
		if (rt->nseg != nseg) continue;
		int ok = 1;
		for (int k = 0; k < nseg && ok; k++) {
			if (rt->seg[k][0] == ':')
				ok = segs[k][0] != '\0';
			else
				ok = !strcmp(rt->seg[k], segs[k]);
		}
		if (!ok) continue;
		if (!best_any || rt->literal_mask > best_any->literal_mask) best_any = rt;
		if (rt->methods & method) {
			if (!best || rt->literal_mask > best->literal_mask) best = rt;
		} else {
			m->allowed_methods |= rt->methods;
		}
	}
	if (!best) return best_any ? TL_ROUTE_BAD_METHOD : TL_ROUTE_NOT_FOUND;
	m->route_id = best->route_id;
	m->allowed_methods |= best->methods;
	for (int k = 0; k < nseg; k++) {
		if (best->seg[k][0] != ':') continue;
		m->names[m->nparams] = best->seg[k] + 1;
		m->values[m->nparams] = segs[k];
		m->nparams++;
	}
	return TL_ROUTE_FOUND;
}

const char *tl_route_param(const struct tl_route_match *m, const char *name)
{
	for (int i = 0; i < m->nparams; i++)
		if (!strcmp(m->names[i], name)) return m->values[i];
	return NULL;
}
