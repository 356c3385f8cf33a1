// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Provided-buffer ring setup for liburing 2.3 (register_buf_ring by hand, no setup_buf_ring helper). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "loop/bufring.h"

int bufring_init(struct bufring *b, struct io_uring *ring, uint16_t bgid, uint32_t count, uint32_t size, uint32_t priv)
{
	struct io_uring_buf_reg reg;
	size_t ring_bytes = (size_t)count * sizeof(struct io_uring_buf);
	void *p;
	int err;

	memset(b, 0, sizeof(*b));
	if (!count || (count & (count - 1)) || count > 32768 || count + priv > 65536)
		return -EINVAL;
	/* The ring itself must be page aligned: the kernel maps it by address. */
	p = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	b->br = p;
	b->mem = mmap(NULL, (size_t)(count + priv) * size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->mem == MAP_FAILED) {
		err = -errno;
		goto err_unmap_ring;
	}
	b->refs = calloc(count + priv, sizeof(*b->refs));
	b->priv_free = priv ? calloc(priv, sizeof(*b->priv_free)) : NULL;
	if (!b->refs || (priv && !b->priv_free)) {
		err = -ENOMEM;
		goto err_free_refs;
	}
	b->priv_count = priv;
	b->count = count;
	b->size = size;
	b->bgid = bgid;
	io_uring_buf_ring_init(b->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)b->br;
	reg.ring_entries = count;
	reg.bgid = bgid;
	err = io_uring_register_buf_ring(ring, &reg, 0);
	if (err)
		goto err_free_refs;
	for (uint32_t i = 0; i < count; i++)
		io_uring_buf_ring_add(b->br, bufring_ptr(b, i), size, i,
				      io_uring_buf_ring_mask(count), i);
	io_uring_buf_ring_advance(b->br, count);
	return 0;

err_free_refs:
	free(b->priv_free);
	free(b->refs);
	munmap(b->mem, (size_t)(count + priv) * size);
err_unmap_ring:
	munmap(b->br, ring_bytes);
	memset(b, 0, sizeof(*b));
	return err;
}

void bufring_trim(struct bufring *b)
{
	uint32_t n = 0, cold = b->priv_low < b->n_priv_free ? b->priv_low : b->n_priv_free;

	while (cold > b->priv_trimmed + BUFRING_PRIV_KEEP && n++ < BUFRING_TRIM_STEP)
		madvise(bufring_ptr(b, b->priv_free[b->priv_trimmed++]), b->size, MADV_DONTNEED);
	b->priv_low = b->n_priv_free;
}

void bufring_free(struct bufring *b, struct io_uring *ring)
{
	if (!b->br)
		return;
	io_uring_unregister_buf_ring(ring, b->bgid);
	free(b->refs);
	free(b->priv_free);
	munmap(b->mem, (size_t)(b->count + b->priv_count) * b->size);
	munmap(b->br, (size_t)b->count * sizeof(struct io_uring_buf));
	memset(b, 0, sizeof(*b));
}
