#include "api/metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const double tl_metrics_buckets[TL_METRICS_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

#define NSTATUS 500 /* statuses 100..599 */

/* One route's counters on one thread. */
struct route_slot {
	_Atomic uint64_t status[NSTATUS];
	_Atomic uint64_t bucket[TL_METRICS_NBUCKETS + 1]; /* last = +Inf only */
	_Atomic uint64_t sum_us;
};

struct tl_metrics {
	int nthreads, nroutes; /* nroutes includes the unmatched slot */
	char **names;
	struct route_slot *slots; /* [thread][route] */
};

struct tl_metrics *tl_metrics_new(int nthreads, int nroutes, const char *const *route_names)
{
	struct tl_metrics *m = calloc(1, sizeof *m);
	if (!m) return NULL;
	m->nthreads = nthreads < 1 ? 1 : nthreads;
	m->nroutes = nroutes + 1;
	m->names = calloc((size_t)m->nroutes, sizeof(char *));
	m->slots = calloc((size_t)m->nthreads * (size_t)m->nroutes, sizeof(struct route_slot));
	if (!m->names || !m->slots) goto fail;
	for (int i = 0; i < nroutes; i++)
		if (!(m->names[i] = strdup(route_names[i]))) goto fail;
	if (!(m->names[nroutes] = strdup("unmatched"))) goto fail;
	return m;
fail:
	tl_metrics_free(m);
	return NULL;
}

void tl_metrics_free(struct tl_metrics *m)
{
	if (!m) return;
	if (m->names)
		for (int i = 0; i < m->nroutes; i++) free(m->names[i]);
	free(m->names);
	free(m->slots);
	free(m);
}

/* Single writer per slot: a relaxed load and store is enough and avoids a
 * locked instruction; readers may see a slightly stale value. */
static inline void bump(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v, memory_order_relaxed);
}

void tl_metrics_observe(struct tl_metrics *m, int thread, int route, int status, uint64_t latency_us)
{
	if (thread < 0 || thread >= m->nthreads) return;
	if (route < 0 || route >= m->nroutes) route = m->nroutes - 1;
	if (status < 100 || status > 599) status = 599;
	struct route_slot *s = &m->slots[(size_t)thread * (size_t)m->nroutes + (size_t)route];
	bump(&s->status[status - 100], 1);
	double secs = (double)latency_us * 1e-6;
	int b = 0;
	while (b < TL_METRICS_NBUCKETS && secs > tl_metrics_buckets[b]) b++;
	bump(&s->bucket[b], 1);
	bump(&s->sum_us, latency_us);
}

static uint64_t ld(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

uint64_t tl_metrics_count(const struct tl_metrics *m, int route, int status)
{
	if (route < 0 || route >= m->nroutes) route = m->nroutes - 1;
	if (status < 100 || status > 599) return 0;
	uint64_t n = 0;
	for (int t = 0; t < m->nthreads; t++)
		n += ld(&m->slots[(size_t)t * (size_t)m->nroutes + (size_t)route].status[status - 100]);
	return n;
}

/* Prometheus label values escape backslash, double quote and newline. */
static void put_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

int tl_metrics_render(const struct tl_metrics *m, FILE *out)
{
	fputs("# HELP tl_http_requests_total HTTP requests answered, by route pattern and status.\n"
	      "# TYPE tl_http_requests_total counter\n",
	      out);
	for (int r = 0; r < m->nroutes; r++) {
		for (int st = 0; st < NSTATUS; st++) {
			uint64_t n = 0;
			for (int t = 0; t < m->nthreads; t++)
				n += ld(&m->slots[(size_t)t * (size_t)m->nroutes + (size_t)r].status[st]);
			if (!n) continue;
			fputs("tl_http_requests_total{route=\"", out);
			put_label(out, m->names[r]);
			fprintf(out, "\",status=\"%d\"} %" PRIu64 "\n", st + 100, n);
		}
	}
	fputs("# HELP tl_http_request_duration_seconds Time from dispatch to reply, by route pattern.\n"
	      "# TYPE tl_http_request_duration_seconds histogram\n",
	      out);
	for (int r = 0; r < m->nroutes; r++) {
		uint64_t b[TL_METRICS_NBUCKETS + 1] = { 0 }, sum = 0, count = 0;
		for (int t = 0; t < m->nthreads; t++) {
			const struct route_slot *s = &m->slots[(size_t)t * (size_t)m->nroutes + (size_t)r];
			for (int i = 0; i <= TL_METRICS_NBUCKETS; i++) b[i] += ld(&s->bucket[i]);
			sum += ld(&s->sum_us);
		}
		for (int i = 0; i <= TL_METRICS_NBUCKETS; i++) count += b[i];
		if (!count) continue;
		uint64_t cum = 0;
		for (int i = 0; i <= TL_METRICS_NBUCKETS; i++) {
			cum += b[i];
			fputs("tl_http_request_duration_seconds_bucket{route=\"", out);
			put_label(out, m->names[r]);
			if (i < TL_METRICS_NBUCKETS)
				fprintf(out, "\",le=\"%g\"} %" PRIu64 "\n", tl_metrics_buckets[i], cum);
			else
				fprintf(out, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
		}
		fputs("tl_http_request_duration_seconds_sum{route=\"", out);
		put_label(out, m->names[r]);
		fprintf(out, "\"} %.6f\n", (double)sum * 1e-6);
		fputs("tl_http_request_duration_seconds_count{route=\"", out);
		put_label(out, m->names[r]);
		fprintf(out, "\"} %" PRIu64 "\n", count);
	}
	return ferror(out) ? -1 : 0;
}

int tl_metrics_gauge(FILE *out, const char *name, const char *help, double value)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, value);
	return ferror(out) ? -1 : 0;
}
