/* Transaction-shape statistics from parsed blocks (see shapestat.h). */
#include "sim/shapestat.h"

#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"

int sim_shape_bucket(uint64_t n)
{
	if (n < 10) return (int)n; /* 0 only for malformed input */
	if (n < 20) return 10;
	if (n < 50) return 11;
	return 12;
}

const char *sim_shape_bucket_label(int b)
{
	static const char *l[SIM_SHAPE_NB] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10-19", "20-49", "50+" };
	return b >= 0 && b < SIM_SHAPE_NB ? l[b] : "?";
}

static int age_bucket(uint32_t age)
{
	if (age == 0) return 0;
	if (age < 10) return 1;
	if (age < 100) return 2;
	if (age < 1000) return 3;
	if (age < 10000) return 4;
	return 5;
}

void sim_shapestat_init(struct sim_shapestat *s, bool track)
{
	memset(s, 0, sizeof *s);
	s->track = track;
}

void sim_shapestat_free(struct sim_shapestat *s)
{
	free(s->tx_k); free(s->tx_h); free(s->sp_k); free(s->sp_n);
	memset(s, 0, sizeof *s);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
	return v;
}

/* FNV-1a: the script table only needs to spread keys, not resist attack. */
static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
	return h | 1; /* 0 marks an empty slot */
}

/* Grows an open-addressing table (keys k, values v) to twice its size. */
static void grow(uint64_t **k, uint32_t **v, size_t *cap)
{
	size_t nc = *cap ? *cap * 2 : 1 << 16;
	uint64_t *nk = calloc(nc, sizeof *nk);
	uint32_t *nv = calloc(nc, sizeof *nv);
	if (!nk || !nv) abort();
	for (size_t i = 0; i < *cap; i++) {
		if (!(*k)[i]) continue;
		size_t j = (size_t)((*k)[i] * 0x9e3779b97f4a7c15ull >> 20) & (nc - 1);
		while (nk[j]) j = (j + 1) & (nc - 1);
		nk[j] = (*k)[i];
		nv[j] = (*v)[i];
	}
	free(*k); free(*v);
	*k = nk; *v = nv; *cap = nc;
}

/* Finds key's slot, inserting it (value 0) if absent; *fresh says so. */
static size_t slot(uint64_t **k, uint32_t **v, size_t *cap, size_t *n, uint64_t key, bool insert, bool *found)
{
	if (insert && (*n + 1) * 4 > *cap * 3) grow(k, v, cap);
	*found = false;
	if (!*cap) return 0;
	size_t j = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & (*cap - 1);
	while ((*k)[j]) {
		if ((*k)[j] == key) { *found = true; return j; }
		j = (j + 1) & (*cap - 1);
	}
	if (insert) { (*k)[j] = key; (*v)[j] = 0; (*n)++; }
	return j;
}

void sim_shapestat_block(struct sim_shapestat *s, const struct tl_block *b, uint32_t height)
{
	for (uint32_t t = 0; t < b->n_tx; t++) {
		const struct tl_tx *tx = &b->tx[t];
		bool cb = t == 0 && tl_tx_is_coinbase(tx);
		if (!cb) {
			s->txs++;
			s->bytes += tx->size;
			s->vbytes += tl_tx_vsize(tx);
			s->ins += tx->n_in;
			s->outs += tx->n_out;
			int bi = sim_shape_bucket(tx->n_in), bo = sim_shape_bucket(tx->n_out);
			if (bi >= SIM_SHAPE_NB) bi = SIM_SHAPE_NB - 1;
			if (bo >= SIM_SHAPE_NB) bo = SIM_SHAPE_NB - 1;
			s->in_b[bi]++;
			s->out_b[bo]++;
			s->joint[bi][bo]++;
			s->in_sum_b[bi] += tx->n_in;
			s->out_sum_b[bo] += tx->n_out;
			if (tx->n_in >= 10) s->in10++;
			if (tx->n_out >= 10) s->out10++;
			if (tx->n_in >= 5 && tx->n_out <= 2) s->consolidations++;
			if (tx->n_out >= 5) s->batches++;
			static const uint32_t lim[7] = { 200, 300, 400, 600, 1000, 2000, 10000 };
			int sb = 0;
			while (sb < 7 && tx->size >= lim[sb]) sb++;
			s->size_b[sb]++;
			if (tx->has_witness) s->witness_txs++;
			for (uint32_t o = 0; o < tx->n_out; o++) {
				struct tl_script_info si;
				tl_script_classify(tx->out[o].script, tx->out[o].script_len, &si);
				s->otype[si.type]++;
			}
		}
		if (!s->track) continue;
		bool found;
		if (!cb) {
			for (uint32_t i = 0; i < tx->n_in; i++) {
				size_t j = slot(&s->tx_k, &s->tx_h, &s->tx_cap, &s->tx_n, le64(tx->in[i].prev_txid) | 1, false,
						&found);
				if (!found) { s->age_unknown++; continue; }
				uint32_t age = height - s->tx_h[j];
				s->age_b[age_bucket(age)]++;
				s->age_sum += age;
			}
			for (uint32_t o = 0; o < tx->n_out; o++) {
				if (tx->out[o].script_len && tx->out[o].script[0] == 0x6a) continue; /* OP_RETURN */
				size_t j = slot(&s->sp_k, &s->sp_n, &s->sp_cap, &s->sp_n_used,
						fnv(tx->out[o].script, tx->out[o].script_len), true, &found);
				s->sp_n[j]++;
			}
		}
		size_t j = slot(&s->tx_k, &s->tx_h, &s->tx_cap, &s->tx_n, le64(tx->txid) | 1, true, &found);
		s->tx_h[j] = height;
	}
}

static int cmp_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

double sim_shapestat_top_share(const struct sim_shapestat *s, size_t k)
{
	if (!s->sp_n_used) return 0;
	uint32_t *v = malloc(s->sp_n_used * sizeof *v);
	if (!v) abort();
	size_t n = 0;
	uint64_t all = 0;
	for (size_t i = 0; i < s->sp_cap; i++)
		if (s->sp_k[i]) { v[n++] = s->sp_n[i]; all += s->sp_n[i]; }
	qsort(v, n, sizeof *v, cmp_desc);
	uint64_t top = 0;
	for (size_t i = 0; i < k && i < n; i++) top += v[i];
	free(v);
	return all ? (double)top / (double)all : 0;
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0; }

void sim_shapestat_print(const struct sim_shapestat *s, FILE *f)
{
	uint64_t n = s->txs;
	fprintf(f, "transactions (coinbases excluded): %llu\n", (unsigned long long)n);
	if (!n) return;
	fprintf(f, "mean size %.1f B (vsize %.1f), inputs %.3f, outputs %.3f per tx; with witness %.1f%%\n",
		(double)s->bytes / n, (double)s->vbytes / n, (double)s->ins / n, (double)s->outs / n,
		pct(s->witness_txs, n));
	fprintf(f, "10+ inputs %.2f%%, 10+ outputs %.2f%%, consolidations (5+ in, <=2 out) %.2f%%, batches (5+ out) %.2f%%\n",
		pct(s->in10, n), pct(s->out10, n), pct(s->consolidations, n), pct(s->batches, n));
	fprintf(f, "%-8s %9s %9s %9s %9s\n", "count", "inputs%", "mean", "outputs%", "mean");
	for (int b = 1; b < SIM_SHAPE_NB; b++)
		fprintf(f, "%-8s %9.2f %9.1f %9.2f %9.1f\n", sim_shape_bucket_label(b), pct(s->in_b[b], n),
			s->in_b[b] ? (double)s->in_sum_b[b] / s->in_b[b] : 0, pct(s->out_b[b], n),
			s->out_b[b] ? (double)s->out_sum_b[b] / s->out_b[b] : 0);
	static const char *sl[8] = { "<200", "200-299", "300-399", "400-599", "600-999", "1000-1999", "2000-9999", "10000+" };
	fprintf(f, "size (bytes) %%:");
	for (int i = 0; i < 8; i++) fprintf(f, " %s %.2f", sl[i], pct(s->size_b[i], n));
	fprintf(f, "\noutput script types %% of %llu outputs:", (unsigned long long)s->outs);
	for (int t = 0; t < TL_SCRIPT_TYPE_COUNT; t++)
		if (s->otype[t]) fprintf(f, " %s %.2f", tl_script_type_name((enum tl_script_type)t), pct(s->otype[t], s->outs));
	fprintf(f, "\njoint inputs x outputs (%% of txs; rows inputs, columns outputs 1..9,10-19,20-49,50+):\n");
	for (int i = 1; i < SIM_SHAPE_NB; i++) {
		fprintf(f, "%-6s", sim_shape_bucket_label(i));
		for (int o = 1; o < SIM_SHAPE_NB; o++) fprintf(f, " %6.2f", pct(s->joint[i][o], n));
		fprintf(f, "\n");
	}
	if (s->track) {
		uint64_t known = 0;
		for (int i = 0; i < SIM_SHAPE_NAGE; i++) known += s->age_b[i];
		static const char *al[SIM_SHAPE_NAGE] = { "0", "1-9", "10-99", "100-999", "1000-9999", "10000+" };
		fprintf(f, "coin age (blocks) %% of %llu inputs with a known prevout (%llu unknown), mean %.1f:",
			(unsigned long long)known, (unsigned long long)s->age_unknown, known ? (double)s->age_sum / known : 0);
		for (int i = 0; i < SIM_SHAPE_NAGE; i++) fprintf(f, " %s %.2f", al[i], pct(s->age_b[i], known));
		fprintf(f, "\nscripts receiving outputs: %zu; top 10 take %.2f%%, top 100 %.2f%% of outputs\n", s->sp_n_used,
			100 * sim_shapestat_top_share(s, 10), 100 * sim_shapestat_top_share(s, 100));
	}
}
