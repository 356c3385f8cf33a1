// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The loop's timers: a hashed wheel of WHEEL_MS slots, one deadline per connection. */
#include "loop/loop.h"

void timer_unlink(struct loop_conn *c)
{
	if (!c->t_pprev)
		return;
	*c->t_pprev = c->t_next;
	if (c->t_next)
		c->t_next->t_pprev = c->t_pprev;
	c->t_next = NULL;
	c->t_pprev = NULL;
	c->t_kind = LOOP_TIMER_NONE;
}

void loop_timer(struct loop *lp, struct loop_conn *c, uint8_t kind, uint32_t ms)
{
	struct loop_conn **slot;

	timer_unlink(c);
	if (kind == LOOP_TIMER_NONE || !ms)
		return;
	c->t_kind = kind;
	c->t_deadline = lp->now_ms + ms;
	slot = &lp->wheel[(c->t_deadline / WHEEL_MS) % WHEEL_SLOTS];
	c->t_next = *slot;
	if (*slot)
		(*slot)->t_pprev = &c->t_next;
	c->t_pprev = slot;
	*slot = c;
}

void timers_run(struct loop *lp)
{
	uint64_t until = lp->now_ms / WHEEL_MS;

	if (until - lp->wheel_now > WHEEL_SLOTS)
		lp->wheel_now = until - WHEEL_SLOTS;
	for (; lp->wheel_now <= until; lp->wheel_now++) {
		struct loop_conn *c = lp->wheel[lp->wheel_now % WHEEL_SLOTS], *next;

		for (; c; c = next) {
			next = c->t_next;
			if (c->t_deadline > lp->now_ms)
				continue;   /* a later lap of the wheel */
			uint8_t kind = c->t_kind;

			timer_unlink(c);
			c->ops->on_timer(lp, c, kind);
			/* the handler may have freed or re-armed @next's neighbours: restart the slot */
			next = lp->wheel[lp->wheel_now % WHEEL_SLOTS];
		}
	}
	lp->wheel_now = until;
}
