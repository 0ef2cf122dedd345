/* The expensive-work pool: handlers of TL_ROUTE_POOL routes (traces,
 * imports, exports) run here, on threads of their own, so that the event
 * loops keep answering cheap requests (screening, lookups) however many
 * expensive ones are running. Limits: pool_threads jobs at once overall,
 * pool_per_key at once per API key, pool_per_key_pending running or
 * waiting per key, pool_queue waiting overall. A finished job goes back
 * to the loop thread of its connection, which sends (or drops) the reply. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/http_server_int.h"

/* Niceness of the pool's threads, relative to the loops (nice 0): a
 * tenth of a contended core. Not 19: on a machine busy with other work a
 * trace at nice 19 gets about 1.5% of a core and misses its time budget
 * (the suite's traces under ASan on a loaded machine did). */
#define POOL_NICE 10

struct keycount {
	const struct tl_api_key *key;
	int running, pending; /* pending = running + waiting */
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t *threads;
	int nthreads, started;
	int quit;
	struct tl_api_req *head, *tail; /* waiting, FIFO */
	long queued, running, rejected;
	struct tl_api_req **active;     /* running jobs, to cancel at stop */
	struct keycount *keys;          /* one per key seen (keys are few) */
	int nkeys, keys_cap;
};

static struct keycount *key_slot(struct pool *p, const struct tl_api_key *k)
{
	for (int i = 0; i < p->nkeys; i++)
		if (p->keys[i].key == k) return &p->keys[i];
	if (p->nkeys == p->keys_cap) {
		int nc = p->keys_cap ? p->keys_cap * 2 : 16;
		struct keycount *n = realloc(p->keys, (size_t)nc * sizeof *n);
		if (!n) abort();
		p->keys = n;
		p->keys_cap = nc;
	}
	p->keys[p->nkeys] = (struct keycount){ k, 0, 0 };
	return &p->keys[p->nkeys++];
}

/* The first waiting job whose key may run one more (jobs without a key,
 * on servers without a keys file, share no per-key limit). */
static struct tl_api_req *take(struct tl_api_server *srv, struct pool *p)
{
	struct tl_api_req *prev = NULL;
	for (struct tl_api_req *j = p->head; j; prev = j, j = j->next) {
		if (j->key && key_slot(p, j->key)->running >= srv->cfg.pool_per_key) continue;
		if (prev) prev->next = j->next;
		else p->head = j->next;
		if (p->tail == j) p->tail = prev;
		j->next = NULL;
		return j;
	}
	return NULL;
}

static void hand_back(struct tl_api_req *j)
{
	struct worker *w = j->w;
	pthread_mutex_lock(&w->done_lock);
	j->next = w->done;
	w->done = j;
	pthread_mutex_unlock(&w->done_lock);
	event_active(w->done_ev, 0, 0);
}

static void *pool_main(void *arg)
{
	struct tl_api_server *srv = arg;
	struct pool *p = srv->pool;
	int slot = -1;
	/* Expensive work yields the CPU to the event loops when both want
	 * it: on a busy machine screening keeps its latency. SCHED_BATCH
	 * keeps a waking pool thread from preempting a loop (the loops still
	 * preempt it), and the niceness gives it a small share of a
	 * contended core. Both best effort; Linux applies them per thread. */
	struct sched_param sp = { .sched_priority = 0 };
	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), POOL_NICE);
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		if (p->threads[i] == pthread_self()) slot = i;
	for (;;) {
		struct tl_api_req *j = NULL;
		while (!p->quit && !(j = take(srv, p))) pthread_cond_wait(&p->cond, &p->lock);
		if (!j) break;
		p->queued--;
		p->running++;
		if (j->key) key_slot(p, j->key)->running++;
		if (slot >= 0) p->active[slot] = j;
		pthread_mutex_unlock(&p->lock);
		/* A client that left while its job waited costs nothing more. */
		if (!atomic_load(&j->cancelled)) {
			tl_api_run_handler(srv, j);
		}
		pthread_mutex_lock(&p->lock);
		if (slot >= 0) p->active[slot] = NULL;
		p->running--;
		if (j->key) {
			struct keycount *kc = key_slot(p, j->key);
			kc->running--;
			kc->pending--;
		}
		pthread_cond_broadcast(&p->cond); /* a job of this key may now run */
		pthread_mutex_unlock(&p->lock);
		hand_back(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int tl_pool_start(struct tl_api_server *srv, struct tl_err *err)
{
	struct pool *p = calloc(1, sizeof *p);
	if (!p) return tl_err_set(err, "out of memory");
	srv->pool = p;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->threads = calloc((size_t)srv->cfg.pool_threads, sizeof *p->threads);
	p->active = calloc((size_t)srv->cfg.pool_threads, sizeof *p->active);
	if (!p->threads || !p->active) return tl_err_set(err, "out of memory");
	/* Threads look themselves up in p->threads: hold the lock until all
	 * are recorded. */
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < srv->cfg.pool_threads; i++) {
		if (pthread_create(&p->threads[i], NULL, pool_main, srv)) {
			p->quit = 1;
			pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
			for (int k = 0; k < i; k++) pthread_join(p->threads[k], NULL);
			p->nthreads = 0;
			return tl_err_set(err, "cannot start the pool's threads");
		}
		p->nthreads++;
	}
	p->started = 1;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int tl_pool_submit(struct tl_api_server *srv, struct tl_api_req *job)
{
	struct pool *p = srv->pool;
	int rc = 0;
	pthread_mutex_lock(&p->lock);
	struct keycount *kc = job->key ? key_slot(p, job->key) : NULL;
	/* Retry-After: about how long the work ahead takes to drain, in
	 * whole seconds of the handler budget. */
	int wait = (int)((srv->cfg.handler_time_ms + 999) / 1000);
	if (wait < 1) wait = 1;
	if (p->quit) {
		rc = wait;
	} else if (kc && kc->pending >= srv->cfg.pool_per_key_pending) {
		rc = -wait;
	} else if (p->queued >= srv->cfg.pool_queue + (p->nthreads - p->running)) {
		/* Idle threads take a job at once: only what would wait counts
		 * against the queue. */
		rc = wait;
	}
	if (rc) {
		p->rejected++;
	} else {
		if (kc) kc->pending++;
		job->next = NULL;
		if (p->tail) p->tail->next = job;
		else p->head = job;
		p->tail = job;
		p->queued++;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void tl_pool_stop(struct tl_api_server *srv)
{
	struct pool *p = srv->pool;
	if (!p || !p->started) return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	for (int i = 0; i < p->nthreads; i++)
		if (p->active[i]) atomic_store(&p->active[i]->cancelled, 1);
	struct tl_api_req *j = p->head;
	p->head = p->tail = NULL;
	p->queued = 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
	p->started = 0;
	while (j) {
		struct tl_api_req *n = j->next;
		atomic_store(&j->cancelled, 1);
		hand_back(j);
		j = n;
	}
}

void tl_pool_free(struct tl_api_server *srv)
{
	struct pool *p = srv->pool;
	if (!p) return;
	tl_pool_stop(srv);
	free(p->threads);
	free(p->active);
	free(p->keys);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
	srv->pool = NULL;
}

void tl_pool_stats(struct tl_api_server *srv, long *queued, long *running, long *rejected)
{
	struct pool *p = srv->pool;
	if (!p) return;
	pthread_mutex_lock(&p->lock);
	*queued = p->queued;
	*running = p->running;
	*rejected = p->rejected;
	pthread_mutex_unlock(&p->lock);
}

void tl_pool_cancel(struct tl_api_server *srv, struct tl_api_req *job)
{
	struct pool *p = srv->pool;
	atomic_store(&job->cancelled, 1);
	if (!p) return;
	int found = 0;
	pthread_mutex_lock(&p->lock);
	struct tl_api_req *prev = NULL;
	for (struct tl_api_req *j = p->head; j; prev = j, j = j->next) {
		if (j != job) continue;
		if (prev) prev->next = j->next;
		else p->head = j->next;
		if (p->tail == j) p->tail = prev;
		j->next = NULL;
		p->queued--;
		if (j->key) key_slot(p, j->key)->pending--;
		found = 1;
		break;
	}
	pthread_mutex_unlock(&p->lock);
	if (found) hand_back(job);
}
