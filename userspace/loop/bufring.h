/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A provided-buffer ring: receive buffers the kernel picks at completion time, with per-buffer references. */
#ifndef SLUICE_BUFRING_H
#define SLUICE_BUFRING_H

#include <stdint.h>
#include <liburing.h>

/*
 * Multishot recv takes a buffer from this ring only when data arrives, so an
 * idle connection holds none. A buffer stays out of the ring while anything
 * references it: the unparsed input queue of its connection and every output
 * segment that points into it (body bytes are forwarded without a copy).
 */
struct bufring {
	struct io_uring_buf_ring *br;
	char *mem;               /* count ring buffers, then priv_count private ones */
	uint16_t *refs;
	uint32_t count;          /* power of two */
	/*
	 * Private buffers: bids count.. that the kernel never fills, for bytes
	 * the loop's users make themselves (decrypted TLS records) so that the
	 * parser, input queues and SEG_BUF output treat them like received ones.
	 * Reserved, not touched, until used; a freed one is reused first.
	 */
	uint32_t priv_count;
	uint32_t priv_fresh;     /* [priv_fresh, priv_count) never handed out */
	uint16_t *priv_free;     /* a stack of freed private bids */
	uint32_t n_priv_free;
	uint32_t priv_trimmed;   /* priv_free[0, priv_trimmed) were given back to the kernel (bufring_trim) */
	uint32_t priv_low;       /* the fewest free since the last trim: priv_free[0, priv_low) stayed untouched */
	uint32_t size;           /* bytes per buffer */
	uint32_t out;            /* buffers currently handed out */
	uint16_t bgid;
	uint16_t pending_adds;   /* re-added since the last advance */
};

/*
 * bufring_init() - allocate @count buffers of @size bytes and register them as
 * group @bgid, and reserve @priv private ones (count + priv <= 65536). 0 or -errno.
 */
int bufring_init(struct bufring *b, struct io_uring *ring, uint16_t bgid, uint32_t count, uint32_t size, uint32_t priv);

/* bufring_free() - unregister and free. */
void bufring_free(struct bufring *b, struct io_uring *ring);

static inline char *bufring_ptr(const struct bufring *b, uint16_t bid)
{
	return b->mem + (size_t)bid * b->size;
}

/* bufring_took() - the kernel filled buffer @bid: it now has one reference. */
static inline void bufring_took(struct bufring *b, uint16_t bid)
{
	b->refs[bid] = 1;
	b->out++;
}

static inline void bufring_ref(struct bufring *b, uint16_t bid)
{
	b->refs[bid]++;
}

/* bufring_priv_get() - a private buffer with one reference, or -1 when all are in use. */
static inline int bufring_priv_get(struct bufring *b)
{
	uint16_t bid;

	if (b->n_priv_free) {
		bid = b->priv_free[--b->n_priv_free];
		if (b->priv_trimmed > b->n_priv_free)
			b->priv_trimmed = b->n_priv_free;   /* its pages fault back in as it is written */
		if (b->priv_low > b->n_priv_free)
			b->priv_low = b->n_priv_free;
	}
	else if (b->priv_fresh < b->priv_count)
		bid = (uint16_t)(b->count + b->priv_fresh++);
	else
		return -1;
	b->refs[bid] = 1;
	return bid;
}

/* bufring_unref() - drop one reference; the last one gives the buffer back (published by bufring_flush). */
static inline void bufring_unref(struct bufring *b, uint16_t bid)
{
	if (--b->refs[bid])
		return;
	if (bid >= b->count) {
		b->priv_free[b->n_priv_free++] = bid;
		return;
	}
	io_uring_buf_ring_add(b->br, bufring_ptr(b, bid), b->size, bid,
			      io_uring_buf_ring_mask(b->count), b->pending_adds++);
	b->out--;
}

/*
 * bufring_trim() - give the pages of private buffers that stayed free since
 * the last call back to the kernel (MADV_DONTNEED), but for the
 * BUFRING_PRIV_KEEP most recently freed of them (the free list is a stack:
 * the ones below are the coldest), at most BUFRING_TRIM_STEP a call: a burst
 * of TLS input does not pin its memory for the rest of the process's life,
 * and a steady load, which keeps popping them, never pays a page fault for
 * it. The loop calls it about once a second.
 */
#define BUFRING_PRIV_KEEP 64
#define BUFRING_TRIM_STEP 64
void bufring_trim(struct bufring *b);

/* bufring_flush() - make the buffers given back since the last call visible to the kernel (one store). */
static inline void bufring_flush(struct bufring *b)
{
	if (b->pending_adds) {
		io_uring_buf_ring_advance(b->br, b->pending_adds);
		b->pending_adds = 0;
	}
}

#endif
