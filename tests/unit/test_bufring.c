// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The buffer ring's private buffers: handed out, referenced, freed to a stack, and trimmed back to the kernel when cold. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "loop/loop.h"
#include "../tap.h"

static struct loop lp;

/* resident() - is every page of private buffer @bid in memory? */
static bool resident(uint16_t bid)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t n = lp.br.size / (size_t)page;
	unsigned char vec[n];

	if (mincore(bufring_ptr(&lp.br, bid), lp.br.size, vec))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(vec[i] & 1))
			return false;
	return true;
}

int main(void)
{
	enum { N = 300 };
	uint16_t bid[N];
	int b, n;

	lp.conn_size = sizeof(struct loop_conn);
	lp.wake_fd = -1;
	if (loop_ring_init(&lp))
		skip_all("io_uring unavailable");

	for (n = 0; n < N; n++) {
		b = bufring_priv_get(&lp.br);
		if (b < 0)
			break;
		bid[n] = (uint16_t)b;
		memset(bufring_ptr(&lp.br, bid[n]), 'x', lp.br.size);
	}
	ok(n == N, "%d private buffers handed out", N);
	ok(bid[0] >= lp.br.count, "their ids come after the kernel's ring (%u >= %u)", bid[0], lp.br.count);
	bufring_ref(&lp.br, bid[0]);
	bufring_unref(&lp.br, bid[0]);
	ok(lp.br.n_priv_free == 0, "a buffer with a reference left is not free");
	for (n = 0; n < N; n++)
		bufring_unref(&lp.br, bid[n]);
	ok(lp.br.n_priv_free == N, "all freed: on the free stack");
	ok(resident(bid[0]) && resident(bid[N - 1]), "freed buffers keep their pages until a trim");

	for (int i = 0; i < 10; i++)
		bufring_trim(&lp.br);
	ok(lp.br.priv_trimmed == N - BUFRING_PRIV_KEEP, "trims give back all but the %d most recently freed (%u trimmed)",
	   BUFRING_PRIV_KEEP, lp.br.priv_trimmed);
	ok(!resident(bid[0]) && !resident(bid[N - BUFRING_PRIV_KEEP - 1]), "the coldest ones lost their pages");
	ok(resident(bid[N - 1]) && resident(bid[N - BUFRING_PRIV_KEEP]), "the %d hot ones kept theirs", BUFRING_PRIV_KEEP);

	/* the hot ones are handed out first; going below the trimmed ones keeps the count right */
	for (n = 0; n < BUFRING_PRIV_KEEP + 10; n++)
		bid[n] = (uint16_t)bufring_priv_get(&lp.br);
	ok(bid[0] == (uint16_t)(lp.br.count + N - 1), "the most recently freed is handed out first");
	ok(lp.br.priv_trimmed == lp.br.n_priv_free, "handing out trimmed ones lowers the trimmed count (%u = %u free)",
	   lp.br.priv_trimmed, lp.br.n_priv_free);
	memset(bufring_ptr(&lp.br, bid[n - 1]), 'y', lp.br.size);
	ok(resident(bid[n - 1]), "a trimmed buffer handed out again is usable (its pages fault back in)");
	for (int i = 0; i < n; i++)
		bufring_unref(&lp.br, bid[i]);
	ok(lp.br.n_priv_free == N, "all free again");

	loop_destroy(&lp);
	return done_testing();
}
