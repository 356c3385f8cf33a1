// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A connection's output and input queues, and the per-thread pools of their arrays. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loop/loop.h"
#include "loop/queue.h"

int grow(void **v, uint32_t *cap, size_t elem)
{
	uint32_t n = *cap ? *cap * 2 : 8;
	void *p = realloc(*v, n * elem);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

/*
 * Queue arrays of connections that went idle, kept on this worker's thread for
 * the next busy one: an idle keep-alive client holds no queue memory, and a
 * request does not pay a malloc for it either.
 */
#define QCAP0    8
#define QPOOL_MAX 1024
struct qpool {
	void *head;
	uint32_t n;
};
static __thread struct qpool qpool_in, qpool_out;

static int qgrow(struct qpool *p, void **v, uint32_t *cap, size_t elem)
{
	void *n;

	if (*cap)
		return grow(v, cap, elem);
	n = p->head;
	if (n) {
		p->head = *(void **)n;
		p->n--;
	} else if (!(n = malloc(QCAP0 * elem))) {
		return -ENOMEM;
	}
	free(*v);
	*v = n;
	*cap = QCAP0;
	return 0;
}

static void qpool_give(struct qpool *p, void *v, uint32_t cap)
{
	if (cap != QCAP0 || p->n >= QPOOL_MAX) {
		free(v);
		return;
	}
	*(void **)v = p->head;
	p->head = v;
	p->n++;
}

static void qpool_free(struct qpool *p)
{
	while (p->head) {
		void *v = p->head;

		p->head = *(void **)v;
		free(v);
	}
	p->n = 0;
}

void qpool_drain(void)
{
	qpool_free(&qpool_in);
	qpool_free(&qpool_out);
}

void queues_trim(struct inq *in, struct outq *out)
{
	if (in->head == in->tail && in->v) {
		qpool_give(&qpool_in, in->v, in->cap);
		in->v = NULL;
		in->cap = in->head = in->tail = 0;
	}
	if (out->head == out->tail && !out->inflight && !out->old && out->s) {
		qpool_give(&qpool_out, out->s, out->cap);
		out->s = NULL;
		out->cap = out->head = out->tail = out->off = 0;
		out->bytes = 0;
	}
}

static void seg_release(struct loop *lp, struct seg *s)
{
	if (s->kind == SEG_BUF)
		bufring_unref(&lp->br, s->bid);
	else if (s->kind == SEG_HEAP)
		free((void *)s->ptr);
	else if (s->kind == SEG_REF)
		s->release((void *)s->ptr);
}

void inq_clear(struct loop *lp, struct inq *q)
{
	for (uint32_t i = q->head; i < q->tail; i++)
		bufring_unref(&lp->br, q->v[i].bid);
	q->head = q->tail = 0;
}

void outq_clear(struct loop *lp, struct outq *q)
{
	for (uint32_t i = q->head; i < q->tail; i++)
		seg_release(lp, &q->s[i]);
	q->head = q->tail = 0;
	q->off = 0;
	q->bytes = 0;
}

void loop_outq_cut(struct loop *lp, struct outq *q, uint32_t keep)
{
	while (q->tail > q->head + keep) {
		struct seg *s = &q->s[--q->tail];

		q->bytes -= s->len;
		seg_release(lp, s);
	}
}

int outq_push(struct outq *q, uint8_t kind, const char *ptr, uint32_t len, uint16_t bid)
{
	struct seg *s;

	if (!len && kind != SEG_HEAP && kind != SEG_REF)
		return 0;
	if (q->tail == q->cap) {
		if (q->head && !q->inflight) {
			memmove(q->s, q->s + q->head, (q->tail - q->head) * sizeof(*q->s));
			q->tail -= q->head;
			q->head = 0;
		} else if (q->inflight) {
			/*
			 * The send in flight reads inline bytes out of the segments themselves:
			 * the array it saw must outlive it. Copy instead of realloc, and free the
			 * old array when the send completes.
			 */
			uint32_t cap = q->cap ? q->cap * 2 : 8;   /* a transform's send may be out with no segment queued */
			struct seg *n = malloc(cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			if (q->tail)
				memcpy(n, q->s, q->tail * sizeof(*n));
			if (q->old)
				free(q->s);   /* an intermediate copy: the kernel never saw it */
			else
				q->old = q->s;
			q->s = n;
			q->cap = cap;
		} else if (qgrow(&qpool_out, (void **)&q->s, &q->cap, sizeof(*q->s))) {
			return -ENOMEM;
		}
	}
	s = &q->s[q->tail++];
	s->ptr = ptr;
	s->len = len;
	s->bid = bid;
	s->kind = kind;
	q->bytes += len;
	return 0;
}

int outq_inline(struct outq *q, const char *text, uint32_t len)
{
	struct seg *s;

	if (outq_push(q, SEG_INLINE, NULL, len, 0))
		return -ENOMEM;
	s = &q->s[q->tail - 1];
	memcpy(s->inl, text, len);
	s->inl_len = (uint8_t)len;
	return 0;
}

int outq_push_ref(struct outq *q, void *ref, void (*release)(void *ref))
{
	if (outq_push(q, SEG_REF, ref, 0, 0))
		return -ENOMEM;
	q->s[q->tail - 1].release = release;
	return 0;
}

void outq_consume(struct loop *lp, struct outq *q, uint32_t n)
{
	q->bytes -= n;
	while (n && q->head < q->tail) {
		struct seg *s = &q->s[q->head];
		uint32_t left = s->len - q->off;

		if (n < left) {
			q->off += n;
			return;
		}
		n -= left;
		seg_release(lp, s);
		q->head++;
		q->off = 0;
	}
	/* zero-length heap and reference segments may trail */
	while (q->head < q->tail && q->s[q->head].len == 0) {
		seg_release(lp, &q->s[q->head]);
		q->head++;
	}
	if (q->head == q->tail)
		q->head = q->tail = 0;
}

int inq_push(struct inq *q, uint16_t bid, uint32_t len)
{
	if (q->tail == q->cap) {
		if (q->head) {
			memmove(q->v, q->v + q->head, (q->tail - q->head) * sizeof(*q->v));
			q->tail -= q->head;
			q->head = 0;
		} else if (qgrow(&qpool_in, (void **)&q->v, &q->cap, sizeof(*q->v))) {
			return -ENOMEM;
		}
	}
	q->v[q->tail++] = (struct inbuf){ .bid = bid, .off = 0, .len = len };
	return 0;
}
