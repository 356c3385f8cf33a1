// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* crypt(3) off the workers' event loops: a few shared threads check hashed proxy passwords and wake the worker that asked. */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward/forward_crypt.h"
#include "forward/htpasswd.h"

struct fwd_crypt_inbox {
	pthread_mutex_t lock;
	struct fwd_crypt_job *head, **tail;
	int wake_fd;
	bool closed;
	unsigned int refs;     /* the worker's, until it closes the inbox, and one per check under way */
};

/*
 * The queue all workers share. Threads start with the first check and live
 * as long as the process: idle ones wait on a condition variable and cost
 * nothing.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct fwd_crypt_job *head, **tail;
	unsigned int queued;
	unsigned int threads;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &pool.head, 0, 0 };

bool fwd_crypt_verify(const char *hash, const char *pass)
{
	struct crypt_data *cd;
	bool ok;

	if (htpasswd_kind(hash) != HTPASSWD_NONE)
		return htpasswd_verify(hash, pass, strlen(pass));
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	ok = crypt_r(pass, hash, cd) && !strcmp(cd->output, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

void fwd_crypt_job_free(struct fwd_crypt_job *j)
{
	if (!j)
		return;
	if (j->pass)
		explicit_bzero(j->pass, j->len);
	free(j->pass);
	free(j->hash);
	free(j);
}

static void inbox_put(struct fwd_crypt_inbox *in)
{
	pthread_mutex_destroy(&in->lock);
	free(in);
}

/*
 * deliver() - hand an answer to its inbox and wake the worker. The eventfd
 * is written under the inbox lock: once fwd_crypt_inbox_close() has taken
 * that lock the worker may close the descriptor, and its number be reused.
 */
static void deliver(struct fwd_crypt_job *j)
{
	struct fwd_crypt_inbox *in = j->inbox;
	uint64_t one = 1;
	bool last, dropped;

	pthread_mutex_lock(&in->lock);
	dropped = in->closed;
	if (!dropped) {
		j->next = NULL;
		*in->tail = j;
		in->tail = &j->next;
		if (in->wake_fd >= 0)   /* EAGAIN (a full counter) still leaves the reader woken */
			(void)!write(in->wake_fd, &one, sizeof(one));
	}
	last = --in->refs == 0;
	pthread_mutex_unlock(&in->lock);
	if (dropped)
		fwd_crypt_job_free(j);
	if (last)
		inbox_put(in);
}

static void *crypt_thread(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);   /* signals belong to the main thread */
	for (;;) {
		struct fwd_crypt_job *j;

		pthread_mutex_lock(&pool.lock);
		while (!pool.head)
			pthread_cond_wait(&pool.more, &pool.lock);
		j = pool.head;
		pool.head = j->next;
		if (!pool.head)
			pool.tail = &pool.head;
		pool.queued--;
		pthread_mutex_unlock(&pool.lock);
		j->ok = fwd_crypt_verify(j->hash, j->pass);
		deliver(j);
	}
	return NULL;
}

/* pool_start_locked() - the threads, once: half the CPUs, 1..FWD_CRYPT_THREADS_MAX. 0 or -errno when none started. */
static int pool_start_locked(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int want = cpus > 1 ? (unsigned int)(cpus / 2) : 1;
	pthread_attr_t attr;
	int err = 0;

	if (pool.threads)
		return 0;
	if (want > FWD_CRYPT_THREADS_MAX)
		want = FWD_CRYPT_THREADS_MAX;
	if (pthread_attr_init(&attr))
		return -ENOMEM;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (pool.threads < want) {
		pthread_t t;

		err = pthread_create(&t, &attr, crypt_thread, NULL);
		if (err)
			break;
		pthread_setname_np(t, "sluiced-crypt");
		pool.threads++;
	}
	pthread_attr_destroy(&attr);
	return pool.threads ? 0 : -err;
}

struct fwd_crypt_inbox *fwd_crypt_inbox_new(int wake_fd)
{
	struct fwd_crypt_inbox *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	pthread_mutex_init(&in->lock, NULL);
	in->tail = &in->head;
	in->wake_fd = wake_fd;
	in->refs = 1;
	return in;
}

void fwd_crypt_inbox_close(struct fwd_crypt_inbox *in)
{
	struct fwd_crypt_job *list;
	bool last;

	if (!in)
		return;
	pthread_mutex_lock(&in->lock);
	in->closed = true;
	in->wake_fd = -1;
	list = in->head;
	in->head = NULL;
	in->tail = &in->head;
	last = --in->refs == 0;
	pthread_mutex_unlock(&in->lock);
	while (list) {
		struct fwd_crypt_job *next = list->next;

		fwd_crypt_job_free(list);
		list = next;
	}
	if (last)
		inbox_put(in);
}

int fwd_crypt_submit(struct fwd_crypt_inbox *in, uint64_t cookie, size_t user, const char *hash,
		     const char *pass, size_t len)
{
	struct fwd_crypt_job *j = calloc(1, sizeof(*j));
	int err;

	if (!j)
		return -ENOMEM;
	j->hash = strdup(hash);
	j->pass = malloc(len + 1);
	if (!j->hash || !j->pass) {
		fwd_crypt_job_free(j);
		return -ENOMEM;
	}
	memcpy(j->pass, pass, len);
	j->pass[len] = '\0';
	j->len = len;
	j->inbox = in;
	j->cookie = cookie;
	j->user = user;
	pthread_mutex_lock(&pool.lock);
	err = pool_start_locked();
	if (!err && pool.queued >= FWD_CRYPT_QUEUE_MAX)
		err = -EAGAIN;
	if (!err) {
		pthread_mutex_lock(&in->lock);
		in->refs++;
		pthread_mutex_unlock(&in->lock);
		*pool.tail = j;
		pool.tail = &j->next;
		pool.queued++;
		pthread_cond_signal(&pool.more);
	}
	pthread_mutex_unlock(&pool.lock);
	if (err)
		fwd_crypt_job_free(j);
	return err;
}

struct fwd_crypt_job *fwd_crypt_take(struct fwd_crypt_inbox *in)
{
	struct fwd_crypt_job *list;

	pthread_mutex_lock(&in->lock);
	list = in->head;
	in->head = NULL;
	in->tail = &in->head;
	pthread_mutex_unlock(&in->lock);
	return list;
}
