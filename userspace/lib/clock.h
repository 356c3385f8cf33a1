/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The daemon's clocks, one definition each: monotonic for deadlines, wall for what is shown or logged. */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* clock_mono_ns() - monotonic nanoseconds (health-check round trips). */
static inline uint64_t clock_mono_ns(void) { return clock_ns_of(CLOCK_MONOTONIC); }

/* clock_mono_ms() - monotonic milliseconds (timers of the main thread). */
static inline uint64_t clock_mono_ms(void) { return clock_mono_ns() / 1000000; }

/*
 * clock_coarse_ms() - monotonic milliseconds at tick resolution (1-4 ms): a
 * worker reads it once per loop turn, and the coarse clock costs no more
 * than a memory read.
 */
static inline uint64_t clock_coarse_ms(void) { return clock_ns_of(CLOCK_MONOTONIC_COARSE) / 1000000; }

/* clock_wall_ms() - Unix time in milliseconds (an access log line's time). */
static inline int64_t clock_wall_ms(void) { return (int64_t)(clock_ns_of(CLOCK_REALTIME) / 1000000); }

/* clock_wall_s() - Unix time in seconds at tick resolution (cache ages and Date headers). */
static inline int64_t clock_wall_s(void) { return (int64_t)(clock_ns_of(CLOCK_REALTIME_COARSE) / 1000000000ULL); }

#endif
