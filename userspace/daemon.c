// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's main thread: starts the tiers, then waits on signals and control-plane events. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "l7.h"
#include "log.h"

struct daemon {
	const struct daemon_opts *opts;
	struct cfg *cfg;
	struct l7 *l7;
	int sfd;
	int epfd;
	bool stop;
};

/* Reload: validate fully first, so a bad file never replaces a running config. */
static int daemon_reload(struct daemon *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);
	struct cfg *cfg;
	int err;

	if (!errs)
		return -errno;
	cfg = cfg_load(d->opts->config_path, errs);
	err = errno;
	fclose(errs);
	if (!cfg) {
		char *save = NULL;

		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_err("reload: %s", l);
		if (err != EINVAL)
			log_err("reload: %s: %s", d->opts->config_path, strerror(err));
		log_err("reload: refused, the running configuration is kept");
		free(buf);
		return -EINVAL;
	}
	free(buf);
	err = l7_reload(d->l7, cfg);
	if (err)
		log_err("reload: l7: %s", strerror(-err));
	/* The L7 tier may still point into the old config while requests finish. */
	d->cfg = cfg;
	log_info("reload: %s applied", d->opts->config_path);
	return 0;
}

static void daemon_on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s", d->opts->config_path);
			daemon_reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping", strsignal(si.ssi_signo));
			d->stop = true;
			break;
		}
	}
}

int daemon_run(const struct daemon_opts *opts)
{
	struct daemon d = { .opts = opts, .sfd = -1, .epfd = -1 };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;
	int rc = 1;

	/* Block before any thread starts so only the signalfd ever sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.cfg = cfg_load(opts->config_path, stderr);
	if (!d.cfg) {
		if (errno != EINVAL)
			fprintf(stderr, "%s: %s\n", opts->config_path, strerror(errno));
		return 1;
	}
	d.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.sfd < 0 || d.epfd < 0) {
		log_err("signalfd/epoll: %s", strerror(errno));
		goto err_close;
	}
	ev.data.u64 = 0;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.sfd, &ev);

	d.l7 = l7_start(d.cfg);
	if (!d.l7) {
		log_err("l7: start failed: %s", strerror(errno));
		goto err_close;
	}
	log_info("started with %s", opts->config_path);

	while (!d.stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(d.epfd, evs, 16, -1);

		for (int i = 0; i < n; i++)
			if (evs[i].data.u64 == 0)
				daemon_on_signal(&d);
	}
	l7_stop(d.l7, opts->drain_ms);
	log_info("stopped");
	rc = 0;
err_close:
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.sfd >= 0)
		close(d.sfd);
	return rc;
}
