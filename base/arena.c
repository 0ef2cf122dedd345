#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>

struct tl_arena_chunk {
	struct tl_arena_chunk *next;
	size_t cap, used;
	_Alignas(16) unsigned char data[];
};

void tl_arena_init(struct tl_arena *a) { a->head = NULL; }

void *tl_arena_alloc(struct tl_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct tl_arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = c ? c->cap * 2 : 64 * 1024;
		while (cap < n) cap *= 2;
		c = malloc(sizeof *c + cap);
		if (!c) abort();
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

void tl_arena_reset(struct tl_arena *a)
{
	struct tl_arena_chunk *keep = a->head, *c;
	if (!keep) return;
	c = keep->next; /* the head is the largest: chunks double */
	while (c) {
		struct tl_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	keep->next = NULL;
	keep->used = 0;
}

void tl_arena_free(struct tl_arena *a)
{
	struct tl_arena_chunk *c = a->head;
	while (c) {
		struct tl_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
}
