// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Request body buffering for proxy.c: the body of a request is kept in one heap block until it is complete or the block is full. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "l7/req_buffer.h"
#include "l7/worker.h"

#define RB_MIN 4096

/* rb_size() - the block's size: its length rounded up to a power of two (so struct req keeps no capacity). */
static uint32_t rb_size(uint32_t len)
{
	uint32_t n = RB_MIN;

	while (n < len)
		n *= 2;
	return n;
}

bool req_buffer_begin(struct conn *c, const struct cfg_listener *l)
{
	const struct http_msg *m = c->msg;

	if (!l->request_buffering || c->req.req_framing == HTTP_FRAME_NONE || c->req.upgrade || c->req.up_hook)
		return false;
	if (c->req.req_framing == HTTP_FRAME_LENGTH && m->p.content_length > l->request_buffering)
		return false;   /* announced larger: it streams as it arrives */
	if (http_find(m, "expect") >= 0)
		return false;
	c->req.buffering = true;
	c->req.rb_len = 0;
	return true;
}

int req_buffer_add(struct conn *c, const char *p, size_t len)
{
	uint32_t have = c->req.rb_len;

	if (!len)
		return 0;
	if (len > UINT32_MAX / 2 - have)
		return -ENOMEM;
	if (!c->req.rb || rb_size(have + (uint32_t)len) > rb_size(have)) {
		char *n = realloc(c->req.rb, rb_size(have + (uint32_t)len));

		if (!n)
			return -ENOMEM;
		c->req.rb = n;
	}
	memcpy(c->req.rb + have, p, len);
	c->req.rb_len = have + (uint32_t)len;
	return 0;
}

bool req_buffer_ready(const struct conn *c, const struct cfg_listener *l)
{
	return c->req.buffering && (c->req.req_done || c->req.rb_len >= l->request_buffering);
}

int req_buffer_flush(struct conn *c)
{
	char *rb = c->req.rb;
	uint32_t len = c->req.rb_len;

	c->req.buffering = false;
	c->req.rb = NULL;
	c->req.rb_len = 0;
	if (!rb)
		return 0;
	/* the queue frees the block once it is sent */
	if (!c->peer || outq_push(&c->peer->out, SEG_HEAP, rb, len, 0)) {
		free(rb);
		return c->peer ? -ENOMEM : 0;
	}
	return 0;
}

void req_buffer_free(struct conn *c)
{
	free(c->req.rb);
	c->req.rb = NULL;
	c->req.rb_len = 0;
	c->req.buffering = false;
}
