/* Typed reads of the cluster family (cluster_rows.h). */
#include "store/cluster_rows.h"

#include <stdlib.h>

int tl_cluster_addr_get(struct tl_store *s, uint64_t addr_id, uint64_t *cluster_id, uint64_t *next, uint64_t *size,
                        struct tl_err *err)
{
	uint8_t k[9], *v = NULL;
	size_t vl;
	tl_cluster_addr_key(addr_id, k);
	int rc = tl_store_get_kv(s, TL_CF_CLUSTER, k, 9, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_cluster_addr_decode_size(addr_id, v, vl, cluster_id, next, size);
	free(v);
	if (rc < 0) {
		tl_err_set(err, "corrupt cluster record of address %llu", (unsigned long long)addr_id);
		return -2;
	}
	return 1;
}

int tl_cluster_summary_get(struct tl_store *s, uint64_t cluster_id, struct tl_cluster_summary *sum,
                           struct tl_err *err)
{
	uint8_t k[9], *v = NULL;
	size_t vl;
	tl_cluster_summary_key(cluster_id, k);
	int rc = tl_store_get_kv(s, TL_CF_CLUSTER, k, 9, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_cluster_summary_decode(v, vl, sum);
	free(v);
	if (rc < 0) {
		tl_err_set(err, "corrupt summary of cluster %llu", (unsigned long long)cluster_id);
		return -2;
	}
	return 1;
}

int tl_cluster_link_get(struct tl_store *s, uint64_t absorbed_id, int *kind, uint64_t *tx_num, uint64_t *a,
                        uint64_t *b, struct tl_err *err)
{
	uint8_t k[9], *v = NULL;
	size_t vl;
	tl_cluster_link_key(absorbed_id, k);
	int rc = tl_store_get_kv(s, TL_CF_CLUSTER, k, 9, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_cluster_link_decode(absorbed_id, v, vl, kind, tx_num, a, b);
	free(v);
	if (rc < 0) {
		tl_err_set(err, "corrupt link record of cluster %llu", (unsigned long long)absorbed_id);
		return -2;
	}
	return 1;
}

int tl_cluster_coinjoin_get(struct tl_store *s, uint64_t tx_num, struct tl_err *err)
{
	uint8_t k[9], *v = NULL;
	size_t vl;
	tl_cluster_coinjoin_key(tx_num, k);
	int rc = tl_store_get_kv(s, TL_CF_CLUSTER, k, 9, &v, &vl, err);
	if (rc == 1) rc = vl ? v[0] : 0;
	free(v);
	return rc;
}
