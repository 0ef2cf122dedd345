/* A binary min-heap of transaction numbers. The walks visit transactions
 * in chain order by always taking the smallest tx_num queued, so that
 * every tainted input of a transaction is known before it is processed
 * (a backward walk pushes UINT64_MAX - tx_num to go newest first). */
#ifndef TL_TAINT_TXHEAP_H
#define TL_TAINT_TXHEAP_H

#include <stddef.h>
#include <stdint.h>

struct tl_txheap {
	uint64_t *v;    /* owned; free with tl_txheap_free */
	size_t n, cap;
};

/** Adds x.
 *
 *  Returns: 0 on success; -1 if memory ran out (the heap is unchanged).
 *  Args:    h: a zero-initialised or used heap.
 *  In:      x: the value.
 */
int tl_txheap_push(struct tl_txheap *h, uint64_t x) __attribute__((warn_unused_result));
/** Removes the smallest value.
 *
 *  Returns: the smallest value.
 *  Args:    h: a heap with h->n > 0.
 */
uint64_t tl_txheap_pop(struct tl_txheap *h);
/** Frees the array; h is left empty and may be reused. */
void tl_txheap_free(struct tl_txheap *h);

#endif
