/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* user_data packing for the loop's io_uring: which op completed, on which object. */
#ifndef SLUICE_LOOP_UD_H
#define SLUICE_LOOP_UD_H

#include <stdint.h>

/*
 * Every SQE a loop submits carries a 64-bit user_data laid out as
 *
 *   63            32 31           8 7      0
 *  +----------------+--------------+--------+
 *  |  generation    |    index     |   op   |
 *  +----------------+--------------+--------+
 *
 * op picks the handler (enum ud_op); index is the slot in the loop's
 * connection table, or what the application's op (UD_APP and up) makes of it;
 * generation is the slot's reuse counter, so a completion that arrives after
 * its connection was closed and the slot reused is recognised as stale.
 * A connection slot is never freed while it has operations in flight, so the
 * generation check is a guard, not the primary safety mechanism.
 */
enum ud_op {
	UD_NONE = 0,     /* cancels, closes: completion ignored */
	UD_RECV,         /* multishot recv into the buffer ring */
	UD_SEND,         /* send or sendmsg of a connection's output queue */
	UD_CONNECT,      /* a connect of a connection (prepared by its owner) */
	UD_WAKE,         /* read of the loop's wake eventfd: another thread has news (LOOP_ON_WAKE) */
	UD_APP,          /* the first op of the application's: its handler is registered (loop_op_set()) */
	UD_OP_MAX = 16,
};

static inline uint64_t ud_pack(unsigned int op, uint32_t index, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint64_t)(index & 0xffffff) << 8 | (uint64_t)op;
}

static inline unsigned int ud_op(uint64_t ud) { return (unsigned int)(ud & 0xff); }
static inline uint32_t ud_index(uint64_t ud) { return (uint32_t)(ud >> 8) & 0xffffff; }
static inline uint32_t ud_gen(uint64_t ud) { return (uint32_t)(ud >> 32); }

#endif
