// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L7 tier: config generations shared with the workers, start, reload, stop, live weights, log reopening. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "health/health.h"
#include "l7/l7.h"
#include "l7/worker.h"
#include "lib/log.h"
#include "tls/tls.h"

/*
 * listener_set() - slot @ls serves listener config @l from now on, with the
 * hooks that config asks for (a reload may add or drop a cache). The hooks are
 * stored first: a worker that sees the new config sees them too.
 */
static void listener_set(struct l7_listener *ls, const struct cfg_listener *l)
{
	atomic_store(&ls->hooks, proxy_hooks_attach(l));
	atomic_store(&ls->cfg, l);
}

/*
 * hooks_tier_sync() - each hook's tier_sync() for @cfg (the cache: create or
 * resize the configured caches). 0, or the first -errno (logged).
 */
static int hooks_tier_sync(struct l7 *l7, const struct cfg *cfg)
{
	int err = 0;

	for (unsigned int h = 0; h < proxy_n_hooks; h++) {
		int rc = proxy_hooks[h]->tier_sync ? proxy_hooks[h]->tier_sync(l7, cfg) : 0;

		if (rc) {
			log_warn("l7: %s: %s", proxy_hooks[h]->name, strerror(-rc));
			if (!err)
				err = rc;
		}
	}
	return err;
}

/* hooks_tier_free() - each hook's tier_free(), in reverse order of registration. */
static void hooks_tier_free(struct l7 *l7)
{
	for (unsigned int h = proxy_n_hooks; h-- > 0;)
		if (proxy_hooks[h]->tier_free)
			proxy_hooks[h]->tier_free(l7);
}

static void gen_free(struct l7_gen *g)
{
	const struct cfg_l7 *c7 = &g->cfg->l7;

	for (size_t i = 0; g->srv && i < c7->n_upstreams; i++) {
		for (size_t s = 0; g->srv[i] && s < c7->upstreams[i].n_servers; s++)
			if (g->srv[i][s].health_id >= 0 && g->l7->health)
				health_remove(g->l7->health, g->srv[i][s].health_id);
		free(g->srv[i]);
	}
	free(g->srv);
	for (unsigned int h = 0; h < proxy_n_hooks; h++)
		if (proxy_hooks[h]->gen_free)
			proxy_hooks[h]->gen_free(g->hook_gen[h]);
	for (size_t i = 0; g->routes && i < g->n_routes; i++)
		route_table_free(&g->routes[i]);
	for (size_t i = 0; g->tls && i < g->n_routes; i++)
		tls_server_put(g->tls[i]);
	for (size_t i = 0; g->up_tls && i < c7->n_upstreams; i++)
		tls_client_free(g->up_tls[i]);
	free(g->tls);
	free(g->up_tls);
	free(g->routes);
	free(g);
}

void l7_gen_put(struct l7_gen *g)
{
	if (atomic_fetch_sub(&g->refs, 1) == 1)
		gen_free(g);
}

static void on_health(void *arg, bool up)
{
	struct gen_server *gs = arg;

	atomic_store(&gs->health_up, up);
	atomic_fetch_add(&gs->l7->weight_seq, 1);
}

/* prev_server() - the previous generation's state of the same upstream and server address, or NULL. */
static const struct gen_server *prev_server(const struct l7_gen *old, const char *upstream, const char *server,
					    uint32_t *config_weight)
{
	if (!old)
		return NULL;
	for (size_t i = 0; i < old->cfg->l7.n_upstreams; i++) {
		const struct cfg_upstream *up = &old->cfg->l7.upstreams[i];

		if (strcmp(up->name, upstream))
			continue;
		for (size_t s = 0; s < up->n_servers; s++)
			if (!strcmp(up->servers[s].addr.text, server)) {
				*config_weight = up->servers[s].weight;
				return &old->srv[i][s];
			}
	}
	return NULL;
}

/*
 * old_routes() - the routes of removed listener @l (its own, older config) on
 * @c7's upstreams, matched by name: the keep-alive connections it still has
 * are served their next request (with Connection: close), not a 404. A
 * split to an upstream that is gone too leaves its route without splits (a
 * 404). 0 or -ENOMEM.
 */
static int old_routes(struct route_table *t, const struct cfg_listener *l, const struct cfg_l7 *c7)
{
	if (route_table_build(t, l))
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		for (size_t s = 0; s < l->routes[i].n_splits; s++) {
			size_t u;

			for (u = 0; u < c7->n_upstreams && strcmp(c7->upstreams[u].name, l->routes[i].splits[s].upstream); u++)
				;
			if (u == c7->n_upstreams) {
				t->r[i].n_splits = 0;
				break;
			}
			t->r[i].splits[s].upstream = u;
		}
	}
	return 0;
}

/*
 * gen_tls() - the TLS of @g's listeners and upstreams, loaded from their
 * files now: a reload is what reads new certificates and keys, for new
 * handshakes only (a connection keeps the context it was accepted with).
 * 0, or -1 with errno (the files' problems logged).
 */
static int gen_tls(struct l7 *l7, struct l7_gen *g, const struct cfg *cfg)
{
	const struct cfg_l7 *c7 = &cfg->l7;

	for (size_t i = 0; i < g->n_routes; i++) {
		for (size_t j = 0; j < c7->n_listeners; j++) {
			const struct cfg_listener *l = &c7->listeners[j];
			char *text = NULL;
			size_t len = 0;
			FILE *errs;

			if (strcmp(l->name, l7->ls[i].cfg->name) || !l->tls.present)
				continue;
			errs = open_memstream(&text, &len);
			g->tls[i] = tls_server_new(cfg->path ? cfg->path : "config", l->name, &l->tls, errs);
			if (errs)
				fclose(errs);
			if (!g->tls[i])
				log_err("listener %s: tls: %s", l->name, text && len ? text : strerror(errno));
			free(text);
			if (!g->tls[i]) {
				errno = EINVAL;
				return -1;
			}
			break;
		}
	}
	for (size_t i = 0; i < c7->n_upstreams; i++) {
		if (!c7->upstreams[i].tls.enabled)
			continue;
		g->up_tls[i] = tls_client_new(&c7->upstreams[i]);
		if (!g->up_tls[i])
			return -1;
	}
	return 0;
}

/*
 * gen_new() - a generation for @cfg. For servers that stay, health verdicts
 * carry over from @old (a reload does not send traffic to a server known down
 * while its new checks warm up), and so does a weight set through the admin
 * API, drain included, unless the config's weight for that server changed (as
 * for L4 backends): a reload for another reason never undrains a server.
 */
static struct l7_gen *gen_new(struct l7 *l7, const struct cfg *cfg, const struct l7_gen *old)
{
	const struct cfg_l7 *c7 = &cfg->l7;
	struct l7_gen *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->l7 = l7;
	g->cfg = cfg;
	atomic_init(&g->refs, 1);
	g->n_routes = l7->n_ls;
	g->routes = calloc(g->n_routes ? g->n_routes : 1, sizeof(*g->routes));
	g->srv = calloc(c7->n_upstreams ? c7->n_upstreams : 1, sizeof(*g->srv));
	g->tls = calloc(g->n_routes ? g->n_routes : 1, sizeof(*g->tls));
	g->up_tls = calloc(c7->n_upstreams ? c7->n_upstreams : 1, sizeof(*g->up_tls));
	if (!g->routes || !g->srv || !g->tls || !g->up_tls)
		goto err_free;
	if (gen_tls(l7, g, cfg))
		goto err_free;
	for (unsigned int h = 0; h < proxy_n_hooks; h++) {
		int rc = proxy_hooks[h]->gen_new ? proxy_hooks[h]->gen_new(cfg, &g->hook_gen[h]) : 0;

		if (rc) {
			errno = -rc;
			goto err_free;
		}
	}
	for (size_t i = 0; i < g->n_routes; i++) {
		bool named = false;

		for (size_t j = 0; j < c7->n_listeners; j++) {
			if (strcmp(c7->listeners[j].name, l7->ls[i].cfg->name))
				continue;
			named = true;
			if (route_table_build(&g->routes[i], &c7->listeners[j]))
				goto err_free;
		}
		if (!named && atomic_load(&l7->ls[i].removed) && old_routes(&g->routes[i], l7->ls[i].cfg, c7))
			goto err_free;
	}
	for (size_t i = 0; i < c7->n_upstreams; i++) {
		const struct cfg_upstream *up = &c7->upstreams[i];

		g->srv[i] = calloc(up->n_servers ? up->n_servers : 1, sizeof(**g->srv));
		if (!g->srv[i])
			goto err_free;
		for (size_t s = 0; s < up->n_servers; s++) {
			struct gen_server *gs = &g->srv[i][s];
			uint32_t was = 0;
			const struct gen_server *p = prev_server(old, up->name, up->servers[s].addr.text, &was);

			atomic_init(&gs->weight, p && was == up->servers[s].weight ? atomic_load(&p->weight) :
				    up->servers[s].weight);
			atomic_init(&gs->health_up, up->health.type == CFG_HEALTH_NONE || !p || atomic_load(&p->health_up));
			gs->health_id = -1;
			gs->l7 = l7;
		}
	}
	/* Health checks last: their callbacks may run as soon as they are added. */
	for (size_t i = 0; l7->health && i < c7->n_upstreams; i++) {
		const struct cfg_upstream *up = &c7->upstreams[i];

		if (up->health.type == CFG_HEALTH_NONE)
			continue;
		for (size_t s = 0; s < up->n_servers; s++) {
			char name[256];
			int id;

			snprintf(name, sizeof(name), "%s/%s", up->name, up->servers[s].addr.text);
			id = health_add(l7->health, (const struct sockaddr *)&up->servers[s].addr.ss,
					up->servers[s].addr.len, &up->health, name, on_health, &g->srv[i][s]);
			if (id < 0)
				log_warn("upstream %s: health check: %s", name, strerror(-id));
			g->srv[i][s].health_id = id;
		}
	}
	return g;

err_free: {
		int err = errno ? errno : ENOMEM;   /* a hook's gen_new() says why (forward: a bad auth_file) */

		gen_free(g);
		errno = err;
		return NULL;
	}
}

/* l7_start_workers() - cfg->workers threads (0: one per CPU). 0 or -errno (the started ones keep running). */
static int l7_start_workers(struct l7 *l7, const struct cfg *cfg)
{
	unsigned int n = cfg->workers ? cfg->workers : (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	if (!n)
		n = 1;
	l7->w = calloc(n, sizeof(*l7->w));
	if (!l7->w)
		return -ENOMEM;
	/* every wake fd exists before any worker runs: a running one may wake the others */
	for (unsigned int i = 0; i < n; i++) {
		l7->w[i].l7 = l7;
		l7->w[i].id = i;
		l7->w[i].wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);   /* -1: its claims are polled */
	}
	l7->n_wake = n;
	for (unsigned int i = 0; i < n; i++) {
		err = worker_main_start(&l7->w[i]);
		if (err) {
			for (unsigned int k = i + 1; k < n; k++) {
				close(l7->w[k].wake_fd);
				l7->w[k].wake_fd = -1;
			}
			return err;
		}
		l7->n_workers++;
	}
	return 0;
}

/*
 * l7_new() - the tier for @cfg without its workers: listener slots, caches,
 * the first generation and its health checks. l7_start() starts the workers;
 * tests/fuzz/fuzz_proxy.c runs a worker of its own on it, with no thread.
 * Returns the tier, or NULL with errno set.
 */
struct l7 *l7_new(const struct cfg *cfg)
{
	const struct cfg_l7 *c7 = &cfg->l7;
	struct l7 *l7 = calloc(1, sizeof(*l7));
	struct l7_gen *g;
	int err = 0;

	if (!l7)
		return NULL;
	pthread_mutex_init(&l7->lock, NULL);
	l7->ls = calloc(L7_MAX_LISTENERS, sizeof(*l7->ls));
	if (!l7->ls)
		goto err_free;
	for (size_t i = 0; i < c7->n_listeners && l7->n_ls < L7_MAX_LISTENERS; i++)
		listener_set(&l7->ls[l7->n_ls++], &c7->listeners[i]);   /* reverse and forward alike */
	for (size_t i = 0; i < c7->n_upstreams && !l7->health; i++)
		if (c7->upstreams[i].health.type != CFG_HEALTH_NONE)
			l7->health = health_new();
	l7->n_cache_shards = cfg->workers ? cfg->workers : (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	if (hooks_tier_sync(l7, cfg))
		goto err_free;
	g = gen_new(l7, cfg, NULL);
	if (!g) {
		err = errno;
		goto err_free;
	}
	atomic_store(&l7->cur, g);
	atomic_store(&l7->gen_seq, 1);
	if (l7->health && health_start(l7->health))
		log_warn("l7: health checker did not start: %s", strerror(errno));
	return l7;

err_free:
	if (l7->health)
		health_free(l7->health);
	hooks_tier_free(l7);
	free(l7->ls);
	free(l7);
	errno = err ? err : ENOMEM;
	return NULL;
}

struct l7 *l7_start(const struct cfg *cfg)
{
	struct l7 *l7 = l7_new(cfg);
	int err;

	if (!l7)
		return NULL;
	if (!l7->n_ls)
		return l7;   /* nothing to serve: an idle tier */
	err = l7_start_workers(l7, cfg);
	if (err) {
		l7_stop(l7, 0);
		errno = -err;
		return NULL;
	}
	log_info("l7: %zu listener(s), %u worker(s)", l7->n_ls, l7->n_workers);
	return l7;
}

/* same_listener() - does slot @ll serve @l: the same name on the same address? */
static bool same_listener(const struct l7_listener *ll, const struct cfg_listener *l)
{
	return !strcmp(l->name, ll->cfg->name) && !strcmp(l->listen.text, ll->cfg->listen.text);
}

/* slot_of() - the first of slots [0, @n) that serves @l, or @n for none. */
static size_t slot_of(const struct l7 *l7, size_t n, const struct cfg_listener *l)
{
	size_t i;

	for (i = 0; i < n && !same_listener(&l7->ls[i], l); i++)
		;
	return i;
}

/* slot_wanted() - does a listener of @cfg serve slot @i (it keeps or reopens it)? */
static bool slot_wanted(const struct l7 *l7, size_t i, const struct cfg *cfg)
{
	for (size_t j = 0; j < cfg->l7.n_listeners; j++)
		if (same_listener(&l7->ls[i], &cfg->l7.listeners[j]))
			return true;
	return false;
}

/*
 * slot_free() - may slot @i serve another listener: removed, closed by every
 * worker (none can accept on it any more) and no connection of it left (none
 * reads its settings, routes or counters any more)?
 */
static bool slot_free(const struct l7 *l7, size_t i)
{
	const struct l7_listener *ll = &l7->ls[i];

	return atomic_load(&ll->removed) && atomic_load(&ll->quiet) == l7->n_workers && !atomic_load(&ll->n_conns);
}

/* slot_reusable() - the first free slot of [0, n) that no listener of @cfg wants, or @n for none. */
static size_t slot_reusable(const struct l7 *l7, size_t n, const struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < n && !(slot_free(l7, i) && !slot_wanted(l7, i, cfg)); i++)
		;
	return i;
}

/*
 * l7_listeners_update() - match @cfg's listeners to slots by name and address:
 * new ones take free slots (workers open them), missing ones are marked
 * removed (workers close them), kept ones point at their new settings. A
 * listener whose address changed is both: its old socket closes (requests
 * under way on it finish) and a new slot opens the new address.
 */
static void l7_listeners_update(struct l7 *l7, const struct cfg *cfg)
{
	const struct cfg_l7 *c7 = &cfg->l7;
	size_t n = l7->n_ls;

	for (size_t i = 0; i < n; i++) {
		bool keep = false;

		for (size_t j = 0; j < c7->n_listeners && !keep; j++)
			keep = same_listener(&l7->ls[i], &c7->listeners[j]);
		if (!keep && !l7->ls[i].removed)
			log_info("reload: listener %s on %s closed", l7->ls[i].cfg->name, l7->ls[i].cfg->listen.text);
		l7->ls[i].removed = !keep;
	}
	for (size_t j = 0; j < c7->n_listeners; j++) {
		const struct cfg_listener *l = &c7->listeners[j];
		size_t i = slot_of(l7, n, l);

		if (i < n) {
			listener_set(&l7->ls[i], l);   /* kept (or reopened: a removed slot of the same name and address) */
			continue;
		}
		i = slot_reusable(l7, n, cfg);
		if (i < n) {
			/* workers see the new epoch before the slot is live again: they drop the old one's state */
			listener_set(&l7->ls[i], l);
			atomic_store(&l7->ls[i].quiet, 0);
			atomic_fetch_add(&l7->ls[i].epoch, 1);
			atomic_store(&l7->ls[i].removed, false);
			log_info("reload: listener %s opened on %s (slot %zu reused)", l->name, l->listen.text, i);
			continue;
		}
		if (n == L7_MAX_LISTENERS) {
			log_warn("reload: listener %s: %d listener slots in use or draining", l->name, L7_MAX_LISTENERS);
			continue;
		}
		listener_set(&l7->ls[n], l);
		l7->ls[n].removed = false;
		l7->n_ls = ++n;   /* published last: the slot is complete when workers see it */
		log_info("reload: listener %s opened on %s", l->name, l->listen.text);
	}
}

int l7_reload_check(struct l7 *l7, const struct cfg *cfg, const char *path, FILE *errs)
{
	const struct cfg_l7 *c7 = &cfg->l7;
	size_t used, avail;
	int err = 0;

	if (!l7)
		return 0;
	pthread_mutex_lock(&l7->lock);
	used = l7->n_ls;
	/* never used, plus freed and not reopened by this config: l7_listeners_update() takes the same */
	avail = L7_MAX_LISTENERS - used;
	for (size_t i = 0; i < used; i++)
		avail += slot_free(l7, i) && !slot_wanted(l7, i, cfg);
	for (size_t j = 0; j < c7->n_listeners && !err; j++) {
		if (slot_of(l7, used, &c7->listeners[j]) < used)
			continue;
		if (avail) {
			avail--;
			continue;
		}
		fprintf(errs, "%s:%d: listener '%s' on %s: no listener slot left (%d in use, or removed with "
			"connections still open on them)\n", path, c7->listeners[j].line,
			c7->listeners[j].name, c7->listeners[j].listen.text, L7_MAX_LISTENERS);
		err = -ENOSPC;
	}
	pthread_mutex_unlock(&l7->lock);
	return err;
}

int l7_reload(struct l7 *l7, const struct cfg *cfg)
{
	struct l7_gen *g, *old;

	if (!l7)
		return -EINVAL;
	pthread_mutex_lock(&l7->lock);
	l7_listeners_update(l7, cfg);
	hooks_tier_sync(l7, cfg);
	pthread_mutex_unlock(&l7->lock);
	pthread_mutex_lock(&l7->lock);
	g = gen_new(l7, cfg, atomic_load(&l7->cur));
	if (!g) {
		int err = errno ? errno : ENOMEM;

		pthread_mutex_unlock(&l7->lock);
		return -err;
	}
	old = atomic_load(&l7->cur);
	atomic_store(&l7->cur, g);
	atomic_fetch_add(&l7->gen_seq, 1);
	pthread_mutex_unlock(&l7->lock);
	/* workers switch between requests; the old generation goes with its last user */
	l7_gen_put(old);
	if (!l7->n_workers && l7->n_ls) {
		int err = l7_start_workers(l7, cfg);

		if (err)
			log_err("reload: l7 workers: %s", strerror(-err));
		return err;
	}
	return 0;
}

void l7_stop(struct l7 *l7, unsigned int drain_ms)
{
	if (!l7)
		return;
	atomic_store(&l7->drain_ms, drain_ms);
	atomic_store(&l7->stopping, true);
	for (unsigned int i = 0; i < l7->n_workers; i++)
		pthread_join(l7->w[i].thread, NULL);
	for (unsigned int i = 0; i < l7->n_workers; i++)
		worker_destroy(&l7->w[i]);
	free(l7->w);
	if (l7->health)
		health_free(l7->health);
	l7->health = NULL;   /* gen_free must not call into a freed checker */
	l7_gen_put(atomic_load(&l7->cur));
	hooks_tier_free(l7);
	free(l7->ls);
	pthread_mutex_destroy(&l7->lock);
	free(l7);
}

int l7_set_server_weight(struct l7 *l7, const char *upstream, const char *server, uint32_t weight)
{
	struct l7_gen *g;
	int err = -ENOENT;

	if (!l7)
		return -ENOENT;
	pthread_mutex_lock(&l7->lock);
	g = atomic_load(&l7->cur);
	for (size_t i = 0; i < g->cfg->l7.n_upstreams; i++) {
		const struct cfg_upstream *up = &g->cfg->l7.upstreams[i];

		if (strcmp(up->name, upstream))
			continue;
		for (size_t s = 0; s < up->n_servers; s++) {
			if (strcmp(up->servers[s].addr.text, server))
				continue;
			atomic_store(&g->srv[i][s].weight, weight);
			err = 0;
		}
	}
	pthread_mutex_unlock(&l7->lock);
	if (!err)
		atomic_fetch_add(&l7->weight_seq, 1);
	return err;
}

void l7_reopen_logs(struct l7 *l7)
{
	if (l7)
		atomic_fetch_add(&l7->log_seq, 1);
}

void l7_stats_get(struct l7 *l7, struct l7_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; l7 && i < l7->n_workers; i++) {
		struct worker *w = &l7->w[i];

		out->conns_accepted += atomic_load_explicit(&w->st_accepted, memory_order_relaxed);
		out->requests += atomic_load_explicit(&w->st_requests, memory_order_relaxed);
		for (int c = 0; c < 6; c++)
			out->responses[c] += atomic_load_explicit(&w->st_resp[c], memory_order_relaxed);
		out->bytes_in += atomic_load_explicit(&w->st_bytes_in, memory_order_relaxed);
		out->bytes_out += atomic_load_explicit(&w->st_bytes_out, memory_order_relaxed);
		out->upstream_connects += atomic_load_explicit(&w->st_up_connects, memory_order_relaxed);
		out->upstream_reuses += atomic_load_explicit(&w->st_up_reuses, memory_order_relaxed);
		out->retries += atomic_load_explicit(&w->st_retries, memory_order_relaxed);
		out->upstream_ejections += atomic_load_explicit(&w->st_up_ejections, memory_order_relaxed);
		out->upstream_eject_skipped += atomic_load_explicit(&w->st_up_eject_skipped, memory_order_relaxed);
		out->upstream_panic += atomic_load_explicit(&w->st_up_panic, memory_order_relaxed);
		out->upstream_pool_full += atomic_load_explicit(&w->st_up_pool_full, memory_order_relaxed);
		out->loop_turns += atomic_load_explicit(&w->st_turns, memory_order_relaxed);
		out->loop_batched += atomic_load_explicit(&w->st_batched, memory_order_relaxed);
		out->h1_conns += atomic_load_explicit(&w->st_h1_conns, memory_order_relaxed);
		out->h2_conns += atomic_load_explicit(&w->st_h2_conns, memory_order_relaxed);
		out->h2_streams += atomic_load_explicit(&w->st_h2_streams, memory_order_relaxed);
		for (int r = 0; r < H2_GA_MAX; r++)
			out->h2_goaway[r] += atomic_load_explicit(&w->st_h2_goaway[r], memory_order_relaxed);
		for (int by = 0; by < 2; by++)
			for (int r = 0; r < H2_RESET_CODES; r++)
				out->h2_resets[by][r] += atomic_load_explicit(&w->st_h2_resets[by][r],
									      memory_order_relaxed);
	}
	for (size_t i = 0; l7 && i < l7->n_ls; i++)
		out->conns_active += atomic_load_explicit(&l7->ls[i].n_conns, memory_order_relaxed);
}
