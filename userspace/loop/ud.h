/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* user_data packing for the L7 workers' io_uring: which op completed, on which object. */
#ifndef SLUICE_UD_H
#define SLUICE_UD_H

#include <stdint.h>

/*
 * Every SQE a worker submits carries a 64-bit user_data laid out as
 *
 *   63            32 31           8 7      0
 *  +----------------+--------------+--------+
 *  |  generation    |    index     |   op   |
 *  +----------------+--------------+--------+
 *
 * op picks the handler (enum ud_op); index is the slot in the worker's
 * connection table (or listener / log index for UD_ACCEPT / UD_LOG);
 * generation is the slot's reuse counter, so a completion that arrives after
 * its connection was closed and the slot reused is recognised as stale.
 * A connection slot is never freed while it has operations in flight, so the
 * generation check is a guard, not the primary safety mechanism.
 */
enum ud_op {
	UD_NONE = 0,     /* cancels, closes: completion ignored */
	UD_ACCEPT,       /* multishot accept; index = worker listener */
	UD_RECV,         /* multishot recv into the buffer ring */
	UD_SEND,         /* send or sendmsg of a connection's output queue */
	UD_CONNECT,      /* upstream connect */
	UD_LOG,          /* access log batch write; index = log */
	UD_RESOLV,       /* poll on a resolver socket; index = resolver socket slot */
	UD_WAKE,         /* read of the worker's wake eventfd: another worker ended a cache claim, or a crypt thread answered */
	UD_OP_MAX,
};

static inline uint64_t ud_pack(enum ud_op op, uint32_t index, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint64_t)(index & 0xffffff) << 8 | (uint64_t)op;
}

static inline enum ud_op ud_op(uint64_t ud) { return (enum ud_op)(ud & 0xff); }
static inline uint32_t ud_index(uint64_t ud) { return (uint32_t)(ud >> 8) & 0xffffff; }
static inline uint32_t ud_gen(uint64_t ud) { return (uint32_t)(ud >> 32); }

#endif
