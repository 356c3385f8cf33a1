/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The proxy's hooks: one table through which a feature (the cache, the forward proxy) takes part in a request's life. */
#ifndef SLUICE_L7_HOOKS_H
#define SLUICE_L7_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct accesslog_rec;
struct cfg;
struct cfg_listener;
struct cfg_upstream;
struct conn;
struct http_back;
struct http_msg;
struct l7;
struct worker;

/* Registered tables at most; a listener's hooks are a mask of their slots (struct l7_listener.hooks). */
#define PROXY_HOOKS_MAX 2

/* What on_request() says about the request (and proxy_hooks_request() about the hooks it ran). */
enum proxy_verdict {
	PROXY_ERROR = -1,   /* the client was answered with an error; the connection is closing */
	PROXY_NEXT = 0,     /* not handled: the next hook, then proxy.c builds the upstream head and sends it */
	PROXY_DONE = 1,     /* handled: answered (req.resp_done), sent on, or waiting (the hook calls proxy_resume()) */
	PROXY_HOLD = 2,     /* build the upstream head, but hold it: the hook sends it later (proxy_connect()) */
};

/*
 * struct proxy_hooks - a feature's calls into the proxy, in the manner of
 * HAProxy's filters (the cache's cache_ops) and nginx's upstream callbacks
 * (create_request, process_header, finalize_request): proxy.c and l7.c call
 * these, never the feature by name.
 *
 * A module registers its table once, before the tier starts
 * (proxy_hooks_register(); the daemon and the fuzz harness do it through
 * forward_hooks_register() and cache_hooks_register()). The registration
 * order is the order of the calls: the forward proxy registers before the
 * cache, because the cache key of a forward request depends on its target and
 * a refused request must never be answered from the cache. Each listener
 * attaches the tables whose attach() accepts its config (l7.c, whenever its
 * config changes).
 *
 * A hook takes part in a request by setting its slot of req.hook_data in
 * on_request() (per request: an idle keep-alive connection holds nothing);
 * from then on it gets the lifecycle calls below, and on_release() must clear
 * the slot. The upstream calls go to the hook that took over the request's
 * upstream (req.up_hook, set by proxy.c when it calls a table with connect()),
 * and upstream_released() to the hook that marked an upstream connection as
 * its own (conn.up_hook). Every member may be NULL.
 */
struct proxy_hooks {
	const char *name;

	/* ---- the tier: listeners, config reloads and generations (l7.c, under its lock) ---- */
	bool (*attach)(const struct cfg_listener *l);            /* does listener @l use this hook? */
	int (*tier_sync)(struct l7 *l7, const struct cfg *cfg);  /* start and reload: 0 or -errno (logged, not fatal on reload) */
	void (*tier_free)(struct l7 *l7);                        /* the tier stops: after the last worker */
	int (*gen_new)(const struct cfg *cfg, void **data);      /* a config generation's own data: 0 or -errno (logged) */
	void (*gen_free)(void *data);                            /* its last user left (data may be NULL) */

	/*
	 * worker_init() - a worker starts (before its first turn): register the
	 * loop hooks and completion ops the feature needs on its loop
	 * (loop_hook_add(), loop_op_set() of loop/loop.h). 0 or -errno.
	 */
	int (*worker_init)(struct worker *w);

	/* ---- a request, in order ---- */
	/*
	 * on_request() - the head is complete and checked (a reverse request is
	 * routed): returns a enum proxy_verdict. A hook that answers PROXY_DONE
	 * and sends the request on itself runs the hooks after it first
	 * (proxy_hooks_request()), as proxy.c would have.
	 */
	int (*on_request)(struct worker *w, struct conn *c);
	/* on_upstream_head() - the upstream head is built (req.up_head): edit it (@held: PROXY_HOLD was said: keep it, send it later). */
	void (*on_upstream_head)(struct worker *w, struct conn *c, bool held);
	/*
	 * on_response_head() - the upstream's response head: true when the client
	 * must not see it (the hook answered, or sends a head of its own); false
	 * to let it through, where the hook may add header lines to @b (extra).
	 */
	bool (*on_response_head)(struct worker *w, struct conn *c, const struct http_msg *m, struct http_back *b);
	bool (*bodyless)(const struct conn *c);                  /* the response to @c has no body (a HEAD sent as HEAD) */
	/* on_response_body() - body bytes: false when the client gets none, else true with *@at, *@len narrowed to its share. */
	bool (*on_response_body)(struct conn *c, const char **at, size_t *len);
	bool (*rest_unwanted)(const struct conn *c);             /* after body bytes: end the response here, cut the upstream */
	void (*on_response_done)(struct conn *c);                /* the whole response went through */
	bool (*on_error)(struct worker *w, struct conn *c, int status);   /* answer instead of error @status: true if it did */
	bool (*keeps_timer)(const struct conn *c);               /* the client's timer is this hook's (a wait): keep it */
	bool (*on_timer)(struct worker *w, struct conn *c, uint8_t kind); /* a client timer of @kind fired: true if it was the hook's */
	void (*on_log)(const struct conn *c, struct accesslog_rec *r);    /* the access log line: the hook's fields */
	void (*on_release)(struct worker *w, struct conn *c);    /* the request or its connection ends: free req.hook_data[slot] */

	/* ---- the upstream, for a hook that picks it (nginx's upstream module) ---- */
	const struct cfg_upstream *(*upstream_cfg)(const struct conn *c);   /* timeouts, pool and Via of its connections */
	int (*connect)(struct worker *w, struct conn *c);        /* send the head to the chosen upstream: 0 or -errno, nothing sent */
	int (*retry)(struct worker *w, struct conn *c);          /* failed before a response byte: 0 sent again, -1 not retried */
	void (*target_host)(const struct conn *c, const char **host, size_t *len);   /* the authority it is addressed to */
	void (*upstream_released)(struct worker *w, struct conn *u);        /* an upstream connection marked up_hook is freed */
	void (*tunnel_open)(struct worker *w, struct conn *c);   /* req.tunnel: the upstream connected: relay both ways */
	void (*tunnel_eof)(struct worker *w, struct conn *x, int err);      /* one side of the tunnel ended (@err < 0: failed) */
	bool (*tunnel_sent)(struct worker *w, struct conn *x);   /* @x's output drained a little: true when the tunnel ended */
};

/* The registered tables, by slot; read-only once the tier started. */
extern const struct proxy_hooks *proxy_hooks[PROXY_HOOKS_MAX];
extern unsigned int proxy_n_hooks;

/*
 * proxy_hooks_register() - add @h to the tables listeners may attach (once,
 * before the tier starts; registering @h again finds its slot) and store its
 * slot (its index in req.hook_data and l7_gen.hook_gen) in *@slot. Returns 0,
 * or -ENOSPC (PROXY_HOOKS_MAX tables already).
 */
int proxy_hooks_register(const struct proxy_hooks *h, unsigned int *slot);

/* proxy_hooks_attach() - the mask of the slots whose tables listener @l uses. */
uint8_t proxy_hooks_attach(const struct cfg_listener *l);

/*
 * proxy_hooks_request() - run on_request() of @c's listener's hooks from slot
 * @from on, in order, until one handles the request. Returns PROXY_ERROR,
 * PROXY_DONE, PROXY_HOLD (a hook holds the head it wants built), or PROXY_NEXT.
 */
int proxy_hooks_request(struct worker *w, struct conn *c, unsigned int from);

/*
 * proxy_hooks_upstream_head() - the upstream head is built: let the hooks
 * taking part edit it. Returns @held (true: do not send it now).
 */
bool proxy_hooks_upstream_head(struct worker *w, struct conn *c, bool held);

/* proxy_target_host() - the authority @c is addressed to when a hook picked its upstream; leaves @host, @len alone otherwise. */
void proxy_target_host(const struct conn *c, const char **host, size_t *len);

#endif
