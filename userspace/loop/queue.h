/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A connection's queues: output segments waiting for a send, received buffers waiting for the parser. */
#ifndef SLUICE_LOOP_QUEUE_H
#define SLUICE_LOOP_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUT_HIGH           (256 * 1024)    /* stop reading the source side above this */
#define OUT_LOW            (64 * 1024)     /* resume below this */

struct loop;

/* One piece of output: bytes inside a receive buffer, on the heap, static, or inline. */
/* SEG_KEEP: the request head a retry may resend; the request owns it, sending never frees it. */
/*
 * SEG_REF: no bytes; holds a reference on an object of the pusher's (ptr)
 * whose bytes the segments before it point into; release(ptr) drops it once
 * they are sent (outq_push_ref()). A cached response is sent this way.
 */
enum seg_kind { SEG_BUF = 0, SEG_HEAP, SEG_STATIC, SEG_INLINE, SEG_KEEP, SEG_REF };
struct seg {
	const char *ptr;
	uint32_t len;
	uint16_t bid;
	uint8_t kind;
	uint8_t inl_len;
	union {
		char inl[20];                    /* SEG_INLINE: chunk-size lines and CRLFs */
		void (*release)(void *ref);      /* SEG_REF: drops the reference ptr holds */
	};
};
_Static_assert(sizeof(struct seg) == 40, "a segment per queued piece of output: keep it small");

struct outq {
	struct seg *s;
	uint32_t head, tail, cap;
	uint32_t off;            /* bytes of s[head] already sent */
	uint64_t bytes;          /* queued, not yet sent */
	bool inflight;
	struct seg *old;         /* the array a send in flight saw, when it had to grow */
};

struct inbuf {
	uint16_t bid;
	uint32_t off, len;
};

struct inq {
	struct inbuf *v;
	uint32_t head, tail, cap;
};

/*
 * outq_push() - append a segment of @kind (not SEG_INLINE or SEG_REF). Segments
 * are never moved while a send holds iovecs to them: those point at data, not
 * at segments. 0 or -ENOMEM (nothing was queued; a SEG_HEAP @ptr stays the caller's).
 */
int outq_push(struct outq *q, uint8_t kind, const char *ptr, uint32_t len, uint16_t bid);

/* outq_inline() - a few bytes of framing (at most 20), copied into the segment itself. 0 or -ENOMEM. */
int outq_inline(struct outq *q, const char *text, uint32_t len);

/*
 * outq_push_ref() - queue a reference on @ref, dropped with @release(@ref) once
 * every segment queued before it is sent (or the queue is cleared).
 * 0 or -ENOMEM (the reference stays the caller's).
 */
int outq_push_ref(struct outq *q, void *ref, void (*release)(void *ref));

/*
 * loop_outq_cut() - drop what was queued after the first @keep pending segments.
 * The caller knows no send has seen them (they were queued since it counted
 * @keep, with no send in between): a reply not yet started can still be
 * replaced by an error.
 */
void loop_outq_cut(struct loop *lp, struct outq *q, uint32_t keep);

/* For the loop's own files. */

/* inq_push() - buffer @bid holds @len received bytes for the parser. 0 or -ENOMEM. */
int inq_push(struct inq *q, uint16_t bid, uint32_t len);
/* inq_clear() - give back every buffer @q holds. */
void inq_clear(struct loop *lp, struct inq *q);
/* outq_clear() - drop every segment of @q and what it references. */
void outq_clear(struct loop *lp, struct outq *q);
/* outq_consume() - @n bytes went out: drop whole segments (and their buffer references). */
void outq_consume(struct loop *lp, struct outq *q, uint32_t n);
/* queues_trim() - give @in's and @out's arrays back to the thread's pools when they are empty and idle. */
void queues_trim(struct inq *in, struct outq *out);
/* qpool_drain() - free this thread's pooled queue arrays (at the end of its loop). */
void qpool_drain(void);
/* grow() - double *@v's capacity (8 at first). 0 or -ENOMEM (*@v unchanged). */
int grow(void **v, uint32_t *cap, size_t elem);

#endif
