// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L7 tier's caches: created by name from the config, kept across reloads, purged and read by the admin API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_proxy.h"
#include "l7/l7.h"
#include "l7/l7_int.h"
#include "l7/worker.h"
#include "lib/log.h"

static struct cache *find(struct l7 *l7, const char *name)
{
	for (size_t i = 0; name && i < l7->n_caches; i++)
		if (!strcmp(cache_name(l7->caches[i]), name))
			return l7->caches[i];
	return NULL;
}

/*
 * wake_worker() - a claim worker @shard waits on ended: its wake eventfd makes
 * its ring complete a read, so it looks again now instead of at its next poll.
 */
static void wake_worker(void *arg, unsigned int shard)
{
	struct l7 *l7 = arg;
	uint64_t one = 1;

	if (shard < l7->n_wake && l7->w[shard].wake_fd >= 0 &&
	    write(l7->w[shard].wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_debug("cache: waking worker %u: %m", shard);
}

/*
 * cache_l7_sync() - a cache keeps its contents across reloads while its name
 * stays (a new memory budget evicts down to it); a new name makes a new cache;
 * a name gone from the config keeps its memory until stop (a listener slot of
 * an old generation may still point at it). Then every listener slot points at
 * its cache. 0 or -ENOMEM.
 */
int cache_l7_sync(struct l7 *l7, const struct cfg *cfg)
{
	const struct cfg_l7 *c7 = &cfg->l7;

	for (size_t i = 0; i < c7->n_caches; i++) {
		const struct cfg_cache *cc = &c7->caches[i];
		struct cache *c = find(l7, cc->name), **v;

		if (c) {
			cache_set_limits(c, cc->memory_bytes, cc->max_object_bytes);
			continue;
		}
		v = realloc(l7->caches, (l7->n_caches + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l7->caches = v;
		c = cache_new(cc->name, cc->memory_bytes, cc->max_object_bytes, l7->n_cache_shards);
		if (!c)
			return -ENOMEM;
		cache_set_waker(c, wake_worker, l7);
		l7->caches[l7->n_caches++] = c;
	}
	for (size_t i = 0; i < l7->n_ls; i++)
		atomic_store_explicit(&l7->ls[i].cache, find(l7, l7->ls[i].cfg->cache), memory_order_release);
	return 0;
}

void cache_l7_free(struct l7 *l7)
{
	for (size_t i = 0; i < l7->n_caches; i++)
		cache_free(l7->caches[i]);
	free(l7->caches);
	l7->caches = NULL;
	l7->n_caches = 0;
}

int l7_cache_purge(struct l7 *l7, const char *url, bool prefix)
{
	int n = 0;

	if (!l7 || !l7->n_caches)
		return -ENOENT;
	if (!url || !*url)
		return -EINVAL;
	pthread_mutex_lock(&l7->lock);
	for (size_t i = 0; i < l7->n_caches; i++) {
		int d = cache_purge(l7->caches[i], url, prefix);

		if (d < 0) {
			n = d;
			break;
		}
		n += d;
	}
	pthread_mutex_unlock(&l7->lock);
	if (n >= 0)
		log_info("cache purge %s%s: %d entr%s", prefix ? "prefix " : "", url, n, n == 1 ? "y" : "ies");
	return n;
}

bool l7_cache_stats(struct l7 *l7, size_t i, char *name, size_t name_cap, struct cache_stats *out)
{
	bool ok = false;

	if (!l7)
		return false;
	pthread_mutex_lock(&l7->lock);
	if (i < l7->n_caches) {
		snprintf(name, name_cap, "%s", cache_name(l7->caches[i]));
		cache_stats_get(l7->caches[i], out);
		ok = true;
	}
	pthread_mutex_unlock(&l7->lock);
	return ok;
}
