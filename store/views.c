/* A secondary store as two RocksDB secondary instances that take turns:
 * requests read the active one, catch-ups replay the writer's progress
 * into the other (the standby) once nothing reads it, and the standby
 * becomes active only when what it replayed is consistent (no update
 * marker, store/update_marker.c). A thread that opens a view is pinned to
 * the instance that was active then until it closes the view, so every
 * read of a request sees one state of the database.
 *
 * Why two instances and not RocksDB snapshots: a secondary instance
 * accepts no snapshot (its iterators refuse one), and catching it up
 * changes what its gets see at once; and a catch-up may land between the
 * batches of a reorg, a state no reader should see. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "store/store_int.h"

/* How long a catch-up waits for the standby's last readers (requests
 * pinned before the previous switch) before it gives up until the next
 * one: readers are requests, which end within their handler budget. */
#define DRAIN_WAIT_MS 5000

struct tl_views {
	struct tl_store *inst[2];
	int active;                /* the instance new views pin (lock) */
	uint64_t epoch[2];         /* state number of each instance's last switch-in */
	uint64_t next_epoch;
	int readers[2];            /* views open on each instance (lock) */
	bool catching;             /* a catch-up is replaying into the standby (lock) */
	bool consistent;           /* the active instance carries no update marker (lock) */
	bool held_back;            /* the last catch-up found an update in progress (lock) */
	uint64_t switches;         /* (lock) */
	double last_marked;        /* when a fresh open last found a marker (catch-up only) */
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* readers drained, catch-up done */
	char *dirs[2];             /* the instances' own directories (their info logs) */
	char *path;
	struct tl_store_opts opts; /* for a reopen after a failed catch-up */
};

/* The view this thread has open: one store at a time. */
static _Thread_local struct {
	const struct tl_store *s;
	int inst, depth;
} pin;

struct tl_store *tl_views_reader(struct tl_store *s)
{
	struct tl_views *v = s->views;
	if (pin.s == s) return v->inst[pin.inst];
	return v->inst[__atomic_load_n(&v->active, __ATOMIC_ACQUIRE)];
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_inst(struct tl_views *v, int i, struct tl_store *outer, struct tl_err *err)
{
	struct tl_store_opts o = v->opts;
	o.secondary_path = v->dirs[i];
	return tl_store_open_one(v->path, &o, outer->cache, &v->inst[i], err);
}

/* 1 when instance s carries no update marker, 0 when it does, -1. */
static int is_consistent(struct tl_store *s, struct tl_err *err)
{
	char stage[32];
	int r = tl_store_updating(s, stage, sizeof stage, err);
	return r < 0 ? -1 : r == 0;
}

static void rm_dir(const char *dir)
{
	DIR *dh = opendir(dir);
	if (dh) {
		struct dirent *e;
		char p[4200];
		while ((e = readdir(dh))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(dh);
	}
	rmdir(dir);
}

int tl_views_open(const char *path, const struct tl_store_opts *opts, struct tl_store *outer, struct tl_err *err)
{
	struct tl_views *v = calloc(1, sizeof *v);
	if (!v) return tl_err_set(err, "out of memory");
	outer->views = v;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->opts = *opts;
	v->path = strdup(path);
	if (!v->path) abort();
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(opts->secondary_path) + 4;
		v->dirs[i] = malloc(n);
		if (!v->dirs[i]) abort();
		snprintf(v->dirs[i], n, "%s/%d", opts->secondary_path, i);
		if (mkdir(opts->secondary_path, 0700) && errno != EEXIST)
			return tl_err_set(err, "%s: %s", opts->secondary_path, strerror(errno));
		if (mkdir(v->dirs[i], 0700) && errno != EEXIST)
			return tl_err_set(err, "%s: %s", v->dirs[i], strerror(errno));
		if (open_inst(v, i, outer, err) < 0) return -1;
	}
	/* Both start at the state of their open; the first serves. If it is
	 * mid-update there is no older state to serve: it is served, and
	 * tl_store_view_state says so. */
	v->epoch[0] = v->next_epoch = 1;
	int c = is_consistent(v->inst[0], err);
	if (c < 0) return -1;
	v->consistent = c == 1;
	v->held_back = !v->consistent;
	outer->net = v->inst[0]->net;
	outer->cf = v->inst[0]->cf;
	return 0;
}

void tl_views_close(struct tl_store *outer)
{
	struct tl_views *v = outer->views;
	if (!v) return;
	for (int i = 0; i < 2; i++) {
		tl_store_close(v->inst[i]);
		if (v->dirs[i]) rm_dir(v->dirs[i]);
		free(v->dirs[i]);
	}
	outer->cf = NULL;
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v->path);
	free(v);
	outer->views = NULL;
}

int tl_views_catch_up(struct tl_store *outer, bool now_please, struct tl_err *err)
{
	struct tl_views *v = outer->views;
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += DRAIN_WAIT_MS / 1000;
	dl.tv_nsec += (long)(DRAIN_WAIT_MS % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&v->lock);
	for (;;) {
		int sb = 1 - v->active;
		/* A caller pinned to the standby (a request that wrote) is one
		 * of its readers: it sees the new state from now on. */
		int own = pin.s == outer && pin.inst == sb;
		if (!v->catching && v->readers[sb] <= own) break;
		if (pthread_cond_timedwait(&v->cond, &v->lock, &dl) == ETIMEDOUT) {
			pthread_mutex_unlock(&v->lock);
			return 0; /* still read: the next catch-up switches */
		}
	}
	int sb = 1 - v->active;
	v->catching = true;
	struct tl_store *a = v->inst[v->active], *s = v->inst[sb];
	pthread_mutex_unlock(&v->lock);

	int rc = 0;
	if (s) {
		char *rerr = NULL;
		rocksdb_try_catch_up_with_primary(s->db, &rerr);
		if (rerr) {
			/* An instance whose replay failed (a file the writer
			 * deleted meanwhile) is opened afresh: nothing reads it. */
			free(rerr);
			tl_store_close(s);
			v->inst[sb] = s = NULL;
		}
	}
	bool fresh = false;
	if (!s) { /* also after a failed reopen: tried again each time */
		rc = open_inst(v, sb, outer, err);
		s = v->inst[sb];
		fresh = true;
	}
	/* A caught-up secondary can read stale values: what it replayed
	 * from a write-ahead log stays in its memtable and hides what a
	 * later writer wrote without the log (the indexer's batches) and
	 * flushed (seen: an index run's marker read as absent, the previous
	 * screening update's deletion of it winning). So catching up only
	 * tells whether the writer moved on; the state to serve, marker
	 * included, is read by a fresh open. While the writer is mid-update,
	 * at most one such open a second. */
	bool same = rc == 0 && rocksdb_get_latest_sequence_number(s->db) == rocksdb_get_latest_sequence_number(a->db);
	int c = -1;
	double now = now_s();
	if (rc == 0 && !same && !fresh && !now_please && v->last_marked > 0 && now - v->last_marked < 1.0) {
		rc = 1; /* mid-update a moment ago: look again at a later call */
	} else if (rc == 0 && !same && !fresh) {
		tl_store_close(s);
		v->inst[sb] = NULL;
		rc = open_inst(v, sb, outer, err);
		s = v->inst[sb];
		same = rc == 0 && rocksdb_get_latest_sequence_number(s->db) == rocksdb_get_latest_sequence_number(a->db);
	}
	if (rc == 0 && !same) {
		c = is_consistent(s, err);
		v->last_marked = c == 0 ? now : 0;
	}
	if (rc == 1) rc = 0;

	pthread_mutex_lock(&v->lock);
	/* From a consistent state only to another; a server that started
	 * on a state mid-update follows the newest one until then. */
	if (c == 1 || (c == 0 && !v->consistent)) {
		v->epoch[sb] = ++v->next_epoch;
		__atomic_store_n(&v->active, sb, __ATOMIC_RELEASE);
		v->consistent = c == 1;
		v->switches++;
	}
	if (c >= 0) v->held_back = c == 0;
	else if (same) v->held_back = false;
	v->catching = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return rc < 0 ? -1 : 0;
}

void tl_store_view_begin(struct tl_store *s)
{
	struct tl_views *v = s->views;
	if (!v) return;
	if (pin.s == s) {
		pin.depth++;
		return;
	}
	if (pin.s) return; /* one store per thread: reads of s stay unpinned */
	pthread_mutex_lock(&v->lock);
	int i = v->active;
	v->readers[i]++;
	pthread_mutex_unlock(&v->lock);
	pin.s = s;
	pin.inst = i;
	pin.depth = 1;
}

void tl_store_view_end(struct tl_store *s)
{
	struct tl_views *v = s->views;
	if (!v || pin.s != s) return;
	if (--pin.depth > 0) return;
	pthread_mutex_lock(&v->lock);
	if (--v->readers[pin.inst] == 0) pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	pin.s = NULL;
}

uint64_t tl_store_view_epoch(struct tl_store *s)
{
	struct tl_views *v = s->views;
	if (!v) return 0;
	pthread_mutex_lock(&v->lock);
	uint64_t e = v->epoch[pin.s == s ? pin.inst : v->active];
	pthread_mutex_unlock(&v->lock);
	return e;
}

void tl_store_view_state(struct tl_store *s, struct tl_view_state *out)
{
	struct tl_views *v = s->views;
	memset(out, 0, sizeof *out);
	out->consistent = true;
	if (!v) return;
	pthread_mutex_lock(&v->lock);
	out->consistent = v->consistent;
	out->held_back = v->held_back;
	out->switches = v->switches;
	out->epoch = v->epoch[v->active];
	pthread_mutex_unlock(&v->lock);
}
