/* Request metrics: counts by route and status and latency histograms,
 * kept per worker thread (each thread writes only its own slots, with
 * relaxed atomics, so recording costs no lock and no shared cache line)
 * and summed when /metrics is scraped. Rendered in the Prometheus text
 * exposition format 0.0.4. */
#ifndef TL_API_METRICS_H
#define TL_API_METRICS_H

#include <stdint.h>
#include <stdio.h>

/* Upper bounds of the latency buckets, in seconds (le labels). */
#define TL_METRICS_NBUCKETS 14
extern const double tl_metrics_buckets[TL_METRICS_NBUCKETS];

struct tl_metrics;

/* New metrics for nthreads writers and nroutes routes named by
 * route_names[i] (a route label, e.g. the pattern; copied). One extra
 * route, "unmatched", counts requests that matched no route. Returns NULL
 * when out of memory. Free with tl_metrics_free. */
struct tl_metrics *tl_metrics_new(int nthreads, int nroutes, const char *const *route_names);
void tl_metrics_free(struct tl_metrics *m);

/* Records one request on thread (0..nthreads-1) for route (-1 or
 * nroutes = unmatched) with HTTP status and latency in microseconds.
 * Only thread `thread` may call this with that index. */
void tl_metrics_observe(struct tl_metrics *m, int thread, int route, int status, uint64_t latency_us);

/* Writes every metric (tl_http_requests_total{route,status},
 * tl_http_request_duration_seconds histogram{route}, the labelled
 * counters of enum tl_metrics_family) to out. Safe to call
 * from any thread while others record. Returns 0, or -1 on a write error. */
int tl_metrics_render(const struct tl_metrics *m, FILE *out);

/* Writes one gauge with HELP and TYPE lines. name must be a valid metric
 * name. Returns 0 or -1. */
int tl_metrics_gauge(FILE *out, const char *name, const char *help, double value);

/* Writes one counter (TYPE counter; name must end in _total). Returns 0
 * or -1. */
int tl_metrics_counter(FILE *out, const char *name, const char *help, double value);

/* Counters with one label, counted from any thread. */
enum tl_metrics_family {
	TL_MF_VERDICT, /* tl_screen_verdicts_total{risk}: screening answers */
	TL_MF_LIMIT,   /* tl_limits_hit_total{limit}: requests a limit stopped */
	TL_MF_COUNT
};
/* Adds one to family's counter for label (at most 32 distinct labels of
 * up to 39 bytes per family; others count under "other"). */
void tl_metrics_inc_label(struct tl_metrics *m, enum tl_metrics_family f, const char *label);
/* The count of family's label (0 if never counted); for tests. */
uint64_t tl_metrics_label_count(struct tl_metrics *m, enum tl_metrics_family f, const char *label);

/* Writes the standard process metrics of the calling process, read from
 * /proc: process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds. Metrics /proc cannot give are left out.
 * Returns 0 or -1 on a write error. */
int tl_metrics_process(FILE *out);

/* Writes taintline_build_info{version,schema,compiler} 1 (a gauge whose
 * labels carry the build). Returns 0 or -1. */
int tl_metrics_build_info(FILE *out, const char *version, const char *schema);

/* Sum of requests recorded with this route and status (all threads); for
 * tests. */
uint64_t tl_metrics_count(const struct tl_metrics *m, int route, int status);

#endif
