#include "api/metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

#define NLABELS 32
#define LABEL_MAX 40

/* A labelled counter family: labels are added under the lock (rarely),
 * counted with an atomic add (any thread). */
struct lfamily {
	pthread_mutex_t lock;
	_Atomic int n;
	char names[NLABELS][LABEL_MAX];
	_Atomic uint64_t count[NLABELS];
};

static const struct {
	const char *name, *label, *help;
} lfamily_info[TL_MF_COUNT] = {
	{ "tl_screen_verdicts_total", "risk", "Screening verdicts answered, by risk level." },
	{ "tl_limits_hit_total", "limit",
	  "Requests a limit stopped (trace_time, trace_txs, trace_memory_mb, screen_batch, ...)." },
};

struct tl_metrics {
	int nthreads, nroutes; /* nroutes includes the unmatched slot */
	char **names;
	struct route_slot *slots; /* [thread][route] */
	struct lfamily fam[TL_MF_COUNT];
};

struct tl_metrics *tl_metrics_new(int nthreads, int nroutes, const char *const *route_names)
{
	struct tl_metrics *m = calloc(1, sizeof *m);
	if (!m) return NULL;
	m->nthreads = nthreads < 1 ? 1 : nthreads;
	for (int f = 0; f < TL_MF_COUNT; f++) pthread_mutex_init(&m->fam[f].lock, NULL);
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
	for (int f = 0; f < TL_MF_COUNT; f++) pthread_mutex_destroy(&m->fam[f].lock);
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

/* The slot of label in family f, added if new (-1: family full). */
static int label_slot(struct lfamily *fa, const char *label, int add)
{
	int n = atomic_load_explicit(&fa->n, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (!strncmp(fa->names[i], label, LABEL_MAX - 1) && strlen(label) < LABEL_MAX) return i;
	if (!add) return -1;
	pthread_mutex_lock(&fa->lock);
	int i, found = -1;
	n = atomic_load_explicit(&fa->n, memory_order_relaxed);
	for (i = 0; i < n && found < 0; i++)
		if (!strcmp(fa->names[i], label)) found = i;
	if (found < 0 && n < NLABELS) {
		snprintf(fa->names[n], LABEL_MAX, "%s", label);
		found = n;
		/* published after its name is written */
		atomic_store_explicit(&fa->n, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&fa->lock);
	return found;
}

void tl_metrics_inc_label(struct tl_metrics *m, enum tl_metrics_family f, const char *label)
{
	if (!m || f < 0 || f >= TL_MF_COUNT) return;
	if (!label || !*label || strlen(label) >= LABEL_MAX) label = "other";
	struct lfamily *fa = &m->fam[f];
	int i = label_slot(fa, label, 1);
	if (i < 0) i = label_slot(fa, "other", 0);
	if (i < 0) return; /* full without "other": not counted */
	atomic_fetch_add_explicit(&fa->count[i], 1, memory_order_relaxed);
}

uint64_t tl_metrics_label_count(struct tl_metrics *m, enum tl_metrics_family f, const char *label)
{
	if (!m || f < 0 || f >= TL_MF_COUNT || !label) return 0;
	int i = label_slot(&m->fam[f], label, 0);
	return i < 0 ? 0 : atomic_load_explicit(&m->fam[f].count[i], memory_order_relaxed);
}


static void render_families(const struct tl_metrics *m, FILE *out)
{
	for (int f = 0; f < TL_MF_COUNT; f++) {
		const struct lfamily *fa = &m->fam[f];
		fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", lfamily_info[f].name, lfamily_info[f].help,
			lfamily_info[f].name);
		int n = atomic_load_explicit(&((struct lfamily *)fa)->n, memory_order_acquire);
		for (int i = 0; i < n; i++) {
			fprintf(out, "%s{%s=\"", lfamily_info[f].name, lfamily_info[f].label);
			put_label(out, fa->names[i]);
			fprintf(out, "\"} %" PRIu64 "\n", ld(&fa->count[i]));
		}
	}
}

int tl_metrics_render(const struct tl_metrics *m, FILE *out)
{
	render_families(m, out);
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

int tl_metrics_counter(FILE *out, const char *name, const char *help, double value)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %.17g\n", name, help, name, name, value);
	return ferror(out) ? -1 : 0;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns its length
 * or -1. */
static long read_proc(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f) return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	return (long)n;
}

int tl_metrics_process(FILE *out)
{
	char buf[4096];
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	/* /proc/self/stat: the command may hold spaces and parentheses, so
	 * the fields are counted from the last ')'. */
	if (read_proc("/proc/self/stat", buf, sizeof buf) > 0 && hz > 0) {
		char *p = strrchr(buf, ')');
		unsigned long long v[24] = { 0 };
		int k = 0;
		/* fields 3.. : state, then numbers; v[i] is field i + 3 */
		if (p && p[1] == ' ' && p[2]) {
			p += 4; /* skip ") S " */
			while (*p && k < 22) {
				v[k++] = strtoull(p, &p, 10);
				while (*p == ' ') p++;
			}
		}
		if (k >= 22) {
			/* utime 14, stime 15, starttime 22, vsize 23, rss 24 */
			double cpu = (double)(v[14 - 4] + v[15 - 4]) / (double)hz;
			tl_metrics_counter(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
					   cpu);
			tl_metrics_gauge(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
					 (double)v[23 - 4]);
			if (page > 0)
				tl_metrics_gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
						 (double)v[24 - 4] * (double)page);
			char sb[8192];
			const char *bt = read_proc("/proc/stat", sb, sizeof sb) > 0 ? strstr(sb, "\nbtime ") : NULL;
			if (bt)
				tl_metrics_gauge(out, "process_start_time_seconds",
						 "Start time of the process since unix epoch in seconds.",
						 (double)strtoull(bt + 7, NULL, 10) + (double)v[22 - 4] / (double)hz);
		}
	}
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		long n = 0;
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') n++;
		closedir(d);
		/* less the descriptor the listing itself held */
		tl_metrics_gauge(out, "process_open_fds", "Number of open file descriptors.", (double)(n > 0 ? n - 1 : 0));
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		tl_metrics_gauge(out, "process_max_fds", "Maximum number of open file descriptors.", (double)rl.rlim_cur);
	return ferror(out) ? -1 : 0;
}

int tl_metrics_build_info(FILE *out, const char *version, const char *schema)
{
	fputs("# HELP taintline_build_info A metric with a constant '1' value labeled by the build's version, "
	      "database schema and compiler.\n# TYPE taintline_build_info gauge\ntaintline_build_info{version=\"",
	      out);
	put_label(out, version ? version : "");
	fputs("\",schema=\"", out);
	put_label(out, schema ? schema : "");
	fputs("\",compiler=\"", out);
#ifdef __VERSION__
	put_label(out, __VERSION__);
#endif
	fputs("\"} 1\n", out);
	return ferror(out) ? -1 : 0;
}
