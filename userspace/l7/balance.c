// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* L7 balancers: round robin, smooth weighted round robin, weighted least-conn, weighted rendezvous hashing, p2c. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l7/balance.h"
#include "lib/maglev.h"

/*
 * Weights are kept in thousandths ("milli-weights") so slow start can ramp a
 * weight-1 server smoothly from 1/10 instead of jumping between 0 and 1.
 */
#define BAL_SCALE 1000ULL

struct bal_server {
	uint32_t weight;         /* configured or set by the admin API; 0 = drained */
	bool up;
	uint64_t up_since_ms;    /* slow start origin; 0 with no ramp */
	bool ramping;
	int64_t current;         /* smooth WRR running score */
	uint32_t inflight;
	uint64_t id_hash;        /* hash of the server's address: its identity for rendezvous hashing */
	uint64_t draw_w;         /* p2c scratch: this pick's weight (0 = not a candidate) */
};

struct balancer {
	enum cfg_balance alg;
	uint32_t slow_start_ms;
	size_t n;
	size_t rr_next;          /* least_conn tie-break cursor */
	uint64_t rng;            /* p2c: xorshift64* state, seeded from the upstream's name */
	bool any;                /* this pick counts down servers as up (balancer_pick_any()) */
	struct bal_server s[];
};

struct balancer *balancer_new(const struct cfg_upstream *up)
{
	struct balancer *b;

	if (up->balance > CFG_BAL_P2C) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b) + up->n_servers * sizeof(b->s[0]));
	if (!b)
		return NULL;
	b->alg = up->balance;
	b->slow_start_ms = up->slow_start_ms;
	b->n = up->n_servers;
	b->rng = maglev_hash64(up->name, up->name ? strlen(up->name) : 0, 0x70326321) | 1;
	for (size_t i = 0; i < b->n; i++) {
		const struct cfg_server *sv = &up->servers[i];

		b->s[i].weight = sv->weight;
		b->s[i].up = true;
		b->s[i].id_hash = maglev_hash64(sv->addr.text, strlen(sv->addr.text), 0x68617368);
	}
	return b;
}

void balancer_free(struct balancer *b)
{
	free(b);
}

void balancer_set_weight(struct balancer *b, size_t server, uint32_t weight)
{
	if (server < b->n)
		b->s[server].weight = weight;
}

void balancer_set_up(struct balancer *b, size_t server, bool up, uint64_t now_ms)
{
	struct bal_server *s;

	if (server >= b->n)
		return;
	s = &b->s[server];
	if (up && !s->up) {
		s->up_since_ms = now_ms;
		s->ramping = b->slow_start_ms > 0;
		s->current = 0;
	}
	s->up = up;
}

void balancer_begin(struct balancer *b, size_t server)
{
	if (server < b->n)
		b->s[server].inflight++;
}

void balancer_end(struct balancer *b, size_t server)
{
	if (server < b->n && b->s[server].inflight)
		b->s[server].inflight--;
}

uint32_t balancer_inflight(const struct balancer *b, size_t server)
{
	return server < b->n ? b->s[server].inflight : 0;
}

/* Milli-weight a server has now: 0 when down or drained; ramps from 1/10 to full over slow start. */
static uint64_t bal_eweight(struct balancer *b, size_t i, uint64_t now_ms, bool use_weight)
{
	struct bal_server *s = &b->s[i];
	uint64_t w, elapsed;

	if ((!s->up && !b->any) || !s->weight)
		return 0;
	w = (use_weight ? s->weight : 1) * BAL_SCALE;
	if (!s->ramping)
		return w;
	elapsed = now_ms > s->up_since_ms ? now_ms - s->up_since_ms : 0;
	if (elapsed >= b->slow_start_ms) {
		s->ramping = false;
		return w;
	}
	w = w * (b->slow_start_ms + 9 * elapsed) / (10ULL * b->slow_start_ms);
	return w ? w : 1;
}

/*
 * nginx's smooth weighted round robin: every candidate's score grows by its
 * weight, the highest wins and pays back the total. Interleaves (a a b a c a a
 * for 5/1/1) instead of bursting, and with equal weights is plain round robin.
 */
static int bal_swrr(struct balancer *b, uint64_t now_ms, int exclude, bool use_weight)
{
	int64_t total = 0;
	int best = -1;

	for (size_t i = 0; i < b->n; i++) {
		int64_t w = (int64_t)bal_eweight(b, i, now_ms, use_weight);

		if (!w || (int)i == exclude)
			continue;
		b->s[i].current += w;
		total += w;
		if (best < 0 || b->s[i].current > b->s[best].current)
			best = (int)i;
	}
	if (best >= 0)
		b->s[best].current -= total;
	return best;
}

/* Fewest in-flight per unit of weight; among equals, the next one after the last pick. */
static int bal_least_conn(struct balancer *b, uint64_t now_ms, int exclude)
{
	uint64_t best_load = 0, best_w = 0;
	int best = -1;

	for (size_t k = 0; k < b->n; k++) {
		size_t i = (b->rr_next + k) % b->n;
		uint64_t w = bal_eweight(b, i, now_ms, true);
		uint64_t load = b->s[i].inflight;

		if (!w || (int)i == exclude)
			continue;
		/* load/w < best_load/best_w, cross-multiplied: no division, no float. */
		if (best < 0 || load * best_w < best_load * w) {
			best = (int)i;
			best_load = load;
			best_w = w;
		}
	}
	if (best >= 0)
		b->rr_next = (size_t)best + 1;
	return best;
}

static uint64_t bal_rand(struct balancer *b)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 0x2545f4914f6cdd1dULL;
}

/* A candidate drawn with probability proportional to its draw_w, not @other. */
static int bal_draw(struct balancer *b, uint64_t total, int other)
{
	uint64_t r;

	if (other >= 0)
		total -= b->s[other].draw_w;
	if (!total)
		return -1;
	r = bal_rand(b) % total;
	for (size_t i = 0; i < b->n; i++) {
		if ((int)i == other)
			continue;
		if (r < b->s[i].draw_w)
			return (int)i;
		r -= b->s[i].draw_w;
	}
	return -1;
}

/* Power of two choices: two weighted draws, the one with fewer in flight per weight wins. */
static int bal_p2c(struct balancer *b, uint64_t now_ms, int exclude)
{
	uint64_t total = 0;
	int x, y;

	for (size_t i = 0; i < b->n; i++) {
		b->s[i].draw_w = (int)i == exclude ? 0 : bal_eweight(b, i, now_ms, true);
		total += b->s[i].draw_w;
	}
	x = bal_draw(b, total, -1);
	y = x < 0 ? -1 : bal_draw(b, total, x);
	/* (inflight + 1) / w: the load after this request, so weight breaks ties between idle servers. */
	if (y >= 0 && (b->s[y].inflight + 1ULL) * b->s[x].draw_w < (b->s[x].inflight + 1ULL) * b->s[y].draw_w)
		x = y;
	return x;
}

/*
 * Weighted rendezvous hashing: every server scores the key, the highest live
 * score wins. Adding a server only takes the keys it now wins (~1/N); a down
 * server's keys go to their runner-up and come back when it recovers. Uses
 * configured weights, not the slow start ramp, so keys do not wander meanwhile.
 */
static int bal_hash(struct balancer *b, const void *key, size_t key_len, int exclude)
{
	uint64_t kh = maglev_hash64(key, key_len, 0x6b6579);
	double best_score = 0;
	int best = -1;

	for (size_t i = 0; i < b->n; i++) {
		struct bal_server *s = &b->s[i];
		uint64_t h;
		double u, score;

		if ((!s->up && !b->any) || !s->weight || (int)i == exclude)
			continue;
		h = maglev_hash64(&kh, sizeof(kh), s->id_hash);
		u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;   /* (0, 1) */
		score = -(double)s->weight / log(u);
		if (best < 0 || score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	return best;
}

int balancer_pick(struct balancer *b, uint64_t now_ms, const void *key, size_t key_len, int exclude)
{
	switch (b->alg) {
	case CFG_BAL_ROUND_ROBIN:
		return bal_swrr(b, now_ms, exclude, false);
	case CFG_BAL_WEIGHTED:
		return bal_swrr(b, now_ms, exclude, true);
	case CFG_BAL_LEAST_CONN:
		return bal_least_conn(b, now_ms, exclude);
	case CFG_BAL_HASH:
		if (!key || !key_len)
			return bal_swrr(b, now_ms, exclude, true);
		return bal_hash(b, key, key_len, exclude);
	case CFG_BAL_P2C:
		return bal_p2c(b, now_ms, exclude);
	}
	return -1;
}

int balancer_pick_any(struct balancer *b, uint64_t now_ms, const void *key, size_t key_len, int exclude)
{
	int s;

	b->any = true;
	s = balancer_pick(b, now_ms, key, key_len, exclude);
	b->any = false;
	return s;
}
