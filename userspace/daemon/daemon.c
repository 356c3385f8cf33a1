// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's main thread: starts the tiers, then waits on signals, health events and admin requests. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "cache/cache_proxy.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "forward/forward.h"
#include "health/health.h"
#include "l4/l4.h"
#include "l7/l7.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "tls/tls_cert.h"
#include "sluice/consts.h"

enum { EV_SIGNAL = 1, EV_L4, EV_ADMIN };

static void daemon_enable_migrate_req(const struct cfg *cfg);

struct daemon {
	const struct daemon_opts *opts;
	const char *pin_dir;
	struct cfg *cfg;
	struct cfg **old;             /* configs replaced by reloads: the L7 tier may still point into them */
	size_t n_old;
	struct health *health;
	struct l4 *l4;
	struct l7 *l7;
	struct admin *admin;
	struct admin_ctx actx;
	int sfd;
	int epfd;
	bool stop;
};

static void daemon_log_lines(const char *prefix, char *buf)
{
	char *save = NULL;

	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		log_msg(strstr(l, ": warning: ") ? LOG_LVL_WARN : LOG_LVL_ERR, "%s%s", prefix, l);
}

/* Settings a reload cannot apply in place: say so rather than ignore them quietly. */
static void daemon_warn_restart(const struct cfg *old, const struct cfg *cfg)
{
	bool ifaces = old->l4.n_interfaces != cfg->l4.n_interfaces;

	for (size_t i = 0; !ifaces && i < cfg->l4.n_interfaces; i++)
		ifaces = strcmp(old->l4.interfaces[i], cfg->l4.interfaces[i]) != 0;
	if (old->l4.present && cfg->l4.present) {
		if (ifaces || old->l4.xdp_mode != cfg->l4.xdp_mode)
			log_warn("reload: l4.interfaces / l4.xdp_mode changed: take effect on restart");
		if (old->l4.conntrack_entries != cfg->l4.conntrack_entries)
			log_warn("reload: l4.conntrack_entries changed: takes effect on restart with the sl_conntrack pin removed");
	}
}

/*
 * A config that serves nothing, or that takes away every listener or every
 * VIP this process runs, is most often a truncated write (an editor, config
 * management) caught by a SIGHUP: applied, all traffic stops. Only an
 * operator who asks for it (POST /reload?allow_empty=1, sluicectl reload
 * --allow-empty) gets it; SIGHUP never does. Returns 0, or -EINVAL with the
 * reason on @errs.
 */
static int daemon_reload_check_empty(const struct daemon *d, const struct cfg *cfg, FILE *errs)
{
	size_t vips = d->l4 ? l4_n_vips(d->l4) : 0;
	const char *how = "to apply it on purpose: sluicectl reload --allow-empty (POST /reload?allow_empty=1)";
	int err = 0;

	if (cfg_check_serves(cfg, errs)) {
		fprintf(errs, "%s: %s\n", cfg->path, how);
		return -EINVAL;
	}
	if (d->cfg->l7.n_listeners && !cfg->l7.n_listeners) {
		fprintf(errs, "%s:%d: the reload would close every l7 listener (%zu running); %s\n", cfg->path,
			cfg->l7_line ? cfg->l7_line : 1, d->cfg->l7.n_listeners, how);
		err = -EINVAL;
	}
	if (vips && !cfg->l4.n_vips) {
		fprintf(errs, "%s:%d: the reload would remove every l4 vip (%zu running); %s\n", cfg->path,
			cfg->l4_line ? cfg->l4_line : 1, vips, how);
		err = -EINVAL;
	}
	return err;
}

/*
 * Reload: validate fully first (the file, then what this process can take:
 * l7_reload_check(), then that it still serves something unless
 * @allow_empty), so a bad file never replaces a running config; then L4
 * applies only the difference, then L7. @errors (if not NULL) gets the config
 * errors, one per line, for the admin API.
 */
static int daemon_reload(struct daemon *d, bool allow_empty, char **errors)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);
	struct cfg *cfg, **old;
	int err;

	if (!errs)
		return -errno;
	cfg = cfg_load(d->opts->config_path, errs);
	err = errno;
	if (!cfg && err != EINVAL)
		fprintf(errs, "%s: %s\n", d->opts->config_path, strerror(err));
	if (cfg && (tls_check(cfg, errs) || l7_reload_check(d->l7, cfg, d->opts->config_path, errs) ||
		    (!allow_empty && daemon_reload_check_empty(d, cfg, errs)))) {
		cfg_free(cfg);   /* valid, but the running process cannot take it: refused the same way */
		cfg = NULL;
	}
	fclose(errs);
	if (!cfg) {
		if (errors)
			*errors = strdup(buf ? buf : "");
		daemon_log_lines("reload: ", buf);
		log_err("reload: refused, the running configuration is kept");
		free(buf);
		d->actx.reload_failures++;
		return -EINVAL;
	}
	daemon_log_lines("reload: ", buf);   /* warnings (a certificate about to expire) are said even when it applies */
	free(buf);
	daemon_warn_restart(d->cfg, cfg);
	/* against the address in use: one a failed move left behind is tried again */
	err = admin_relisten(d->admin, cfg);
	if (err)
		log_err("reload: admin.listen %s: %s; still listening on %s", cfg->admin.text, strerror(-err),
			admin_address(d->admin));
	if (cfg->l4.present && !d->l4) {
		d->l4 = l4_start(cfg, d->health, d->pin_dir);
		if (!d->l4)
			log_err("reload: l4: start failed: %s", strerror(errno));
		else {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_L4 };

			epoll_ctl(d->epfd, EPOLL_CTL_ADD, l4_event_fd(d->l4), &ev);
		}
	} else if (cfg->l4.present) {
		l4_reload(d->l4, cfg);
	} else if (d->l4) {
		log_warn("reload: the l4 section was removed: restart sluiced to unload XDP; keeping the running VIPs");
	}
	daemon_enable_migrate_req(cfg);
	err = l7_reload(d->l7, cfg);
	if (err)
		log_err("reload: l7: %s", strerror(-err));
	old = realloc(d->old, sizeof(*old) * (d->n_old + 1));
	if (old) {
		d->old = old;
		d->old[d->n_old++] = d->cfg;
	}
	d->cfg = cfg;
	d->actx.cfg = cfg;
	d->actx.l4 = d->l4;
	d->actx.reloads++;
	if (!cfg->l7.n_listeners && !cfg->l4.n_vips)
		log_warn("reload: %s serves nothing (applied because the operator allowed an empty config)",
			 d->opts->config_path);
	log_info("reload: %s applied", d->opts->config_path);
	return 0;
}

static int daemon_admin_reload(void *arg, bool allow_empty, char **errors)
{
	struct daemon *d = arg;

	log_info("admin: reloading %s%s", d->opts->config_path, allow_empty ? " (empty allowed)" : "");
	return daemon_reload(d, allow_empty, errors);
}

static void daemon_on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s", d->opts->config_path);
			daemon_reload(d, false, NULL);
			break;
		case SIGUSR1:
			log_info("SIGUSR1: reopening access logs");
			l7_reopen_logs(d->l7);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping", strsignal(si.ssi_signo));
			d->stop = true;
			break;
		}
	}
}

static void daemon_epoll_add(struct daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * An upgrade starts the new binary beside the old one (both SO_REUSEPORT), then
 * stops the old one. Without tcp_migrate_req the connections still in the old
 * listeners' accept queues are reset when it closes them; with it the kernel
 * hands them to a listener that stays. The knob is per network namespace and
 * only touches reuseport groups, so turning it on costs other sockets nothing.
 */
static void daemon_enable_migrate_req(const struct cfg *cfg)
{
	const char *knob = "/proc/sys/net/ipv4/tcp_migrate_req";
	char cur = '0';
	int fd;

	if (!cfg->l7.n_listeners)
		return;
	fd = open(knob, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &cur, 1, 0) != 1 || cur == '1' || pwrite(fd, "1", 1, 0) != 1) {
		if (cur != '1')
			log_warn("%s: cannot turn on (%s): an upgrade may reset connections queued "
				 "on the old process's listeners", knob, fd < 0 ? strerror(errno) : "write failed");
	} else {
		log_info("%s: on, so an upgrade hands queued connections to the new process", knob);
	}
	if (fd >= 0)
		close(fd);
}

/* Health verdicts are applied this long after the first one of a burst. */
#define DAEMON_L4_SETTLE_MS 10

int daemon_run(const struct daemon_opts *opts)
{
	struct daemon d = { .opts = opts, .sfd = -1, .epfd = -1 };
	uint64_t l4_due = 0;
	sigset_t set;
	bool detach;
	int rc = 1;

	d.pin_dir = opts->pin_dir ? opts->pin_dir : getenv("SLUICE_PIN_DIR");
	if (!d.pin_dir || !*d.pin_dir)
		d.pin_dir = SL_PIN_DIR;

	/* Block before any thread starts so only the signalfd ever sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	{
		/* Each client and upstream connection is a descriptor: take all the system allows, as nginx's worker_rlimit_nofile would. */
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	d.cfg = cfg_load(opts->config_path, stderr);
	if (!d.cfg) {
		if (errno != EINVAL)
			fprintf(stderr, "%s: %s\n", opts->config_path, strerror(errno));
		return 1;
	}
	if (cfg_check_serves(d.cfg, stderr) || tls_check(d.cfg, stderr)) {
		cfg_free(d.cfg);
		return 1;
	}
	d.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.sfd < 0 || d.epfd < 0) {
		log_err("signalfd/epoll: %s", strerror(errno));
		goto err_close;
	}
	daemon_epoll_add(&d, d.sfd, EV_SIGNAL);

	d.health = health_new();
	if (!d.health || health_start(d.health)) {
		log_err("health: cannot start the checker: %s", strerror(errno));
		goto err_health;
	}
	if (d.cfg->l4.present) {
		d.l4 = l4_start(d.cfg, d.health, d.pin_dir);
		if (!d.l4) {
			log_err("l4: start failed: %s", strerror(errno));
			goto err_health;
		}
		daemon_epoll_add(&d, l4_event_fd(d.l4), EV_L4);
	}
	daemon_enable_migrate_req(d.cfg);
	/* the proxy's hooks, in the order they run: the forward proxy's rules before the cache (l7/hooks.h) */
	forward_hooks_register();
	cache_hooks_register();
	d.l7 = l7_start(d.cfg);
	if (!d.l7) {
		log_err("l7: start failed: %s", strerror(errno));
		goto err_l4;
	}
	d.actx = (struct admin_ctx){ .l4 = d.l4, .l7 = d.l7, .cfg = d.cfg, .started = time(NULL),
				     .reload = daemon_admin_reload, .reload_arg = &d };
	d.admin = admin_start(&d.cfg->admin, &d.actx);
	if (!d.admin)
		goto err_l7;
	daemon_epoll_add(&d, admin_fd(d.admin), EV_ADMIN);
	log_info("started with %s (pid %d)", opts->config_path, (int)getpid());

	while (!d.stop) {
		struct epoll_event evs[16];
		int timeout = l4_due ? DAEMON_L4_SETTLE_MS : 1000;
		int n = epoll_wait(d.epfd, evs, 16, timeout);
		bool admin = false;

		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EV_SIGNAL:
				daemon_on_signal(&d);
				break;
			case EV_L4: {
				uint64_t v;

				if (read(l4_event_fd(d.l4), &v, sizeof(v)) < 0)
					(void)0;
			}
				/* Let verdicts that arrive together (backends coming up at start) land in one table. */
				if (!l4_due)
					l4_due = clock_mono_ms() + DAEMON_L4_SETTLE_MS;
				break;
			case EV_ADMIN:
				admin = true;
				break;
			}
		}
		/* Rings first, so the API never reports a state whose table is not installed yet. */
		if (d.l4 && l4_due && (admin || clock_mono_ms() >= l4_due)) {
			l4_on_event(d.l4);
			l4_due = 0;
		}
		if (admin)
			admin_on_event(d.admin);
		admin_tick(d.admin);
		if (d.l4)
			l4_tick(d.l4);
	}
	rc = 0;
	admin_stop(d.admin);
err_l7:
	l7_stop(d.l7, opts->drain_ms);
err_l4:
	/* XDP keeps forwarding with the pinned maps unless the config says otherwise. */
	detach = d.cfg->l4.detach_on_exit;
	if (d.l4 && !detach)
		log_info("l4: leaving XDP attached (l4.detach_on_exit is false)");
	/* l4_stop() removes its health targets (no callback after that) before freeing backends. */
	l4_stop(d.l4, detach);
err_health:
	health_free(d.health);
err_close:
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.sfd >= 0)
		close(d.sfd);
	for (size_t i = 0; i < d.n_old; i++)
		cfg_free(d.old[i]);
	free(d.old);
	cfg_free(d.cfg);
	if (rc == 0)
		log_info("stopped");
	return rc;
}
