// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 packets/s bench: generates TCP frames (BPF_PROG_RUN live frames, or an XDP ring) and counts what reaches the far side. */
/*
 * One run is one measurement. Across network namespaces (setns() per step)
 * it attaches a counting XDP sink where the packets should arrive, optionally
 * a reference forwarder on the balancer's interface, then sends 64-byte TCP
 * frames (one flow per source port) out of the client's veth for a fixed time
 * and prints what was offered and what arrived:
 *
 *   generator=ring clock=lb_thread per_clock_s=... chunk_p50=... chunk_p90=... counted=... ...
 *
 * Two generators, --generator auto picks the first that runs:
 *   live  BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES from one pinned thread
 *         (kernel >= 5.18; kernels and sandboxes may refuse it with EPERM);
 *   ring  frames injected once with a packet socket and kept circulating by
 *         XDP (l4_ring.bpf.c): no syscall per packet, no special permission.
 *         Counted on the client's own link (--count-dev == --gen-dev), it is a
 *         ping-pong with the lb, which sends every frame back: ring_pong makes
 *         each returned frame the template again and sends it once more.
 *         Counted elsewhere, or with --broadcast, a broadcast ring on a veth
 *         pair (--ring-devs A,B) sends --copies of each lap toward the lb.
 *
 * The clock the figures are per: with --lb-pid, the on-CPU time of the lb's
 * NAPI thread (threaded NAPI, /proc/PID/schedstat), so a figure is packets
 * per second of the balancer's core whichever generator feeds it; without,
 * the live generator thread's CPU time (when the whole path runs in softirq
 * in its context) or, for the ring, the wall clock. chunk_p50/chunk_p90 are
 * quantiles of that rate over short chunks (65536 frames, or 20 ms).
 *
 * Everything it attached is detached before it exits (also on SIGINT/SIGTERM);
 * a ring also stops by itself at its deadline, should this process be killed.
 * Exit: 0 measured, 1 error, 2 usage, 77 no generator can run here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "l4_gen_frame.h"
#include "bench/l4_gen.skel.h"
#include "bench/l4_ring.skel.h"
#include "bench/l4_tx.skel.h"

#define CHUNK_FRAMES  (1U << 16)   /* frames per BPF_PROG_RUN: ~10-50 ms, so a stop request is seen quickly */
#define BATCH         64           /* frames per redirect flush, as the kernel's own default */
#define MAX_SECONDS   60.0
#define RING_SAMPLE_S 0.02         /* a ring chunk: short enough for quantiles, long enough to span many NAPI polls */
#define RING_PORTS    8            /* as in l4_ring.bpf.c: the ring itself + up to 7 copies per lap */

enum gen_kind { GEN_AUTO, GEN_LIVE, GEN_RING };
static const char *const gen_names[] = { "auto", "live", "ring" };

struct opts {
	const char *gen_ns, *gen_dev, *count_ns, *count_dev;
	const char *lb_ns, *lb_dev, *lb_prog, *fwd_dev;
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN], fwd_src[ETH_ALEN], fwd_dst[ETH_ALEN];
	int family;
	struct in6_addr src, dst;  /* IPv4 in the first 4 bytes */
	uint16_t dport;
	uint32_t flows;
	int cpu;
	double duration, warmup;
	uint64_t max_frames;
	bool dump;        /* run the generator once, not live, and print the frame it makes */
	bool syn;         /* SYNs instead of ACKs: every packet opens a flow */
	enum gen_kind gen;
	const char *ring_a, *ring_b;  /* the ring's veth pair, in --gen-ns */
	uint32_t copies;              /* copies toward the lb per lap */
	uint32_t ring_frames;         /* frames injected into the ring */
	bool broadcast;               /* a broadcast ring even where a ping-pong could run */
	int lb_pid;                   /* the lb's NAPI thread: figures per CPU-second of it */
};

/* An XDP program this run attached, so it can be taken off again in its namespace. */
struct attached {
	int ns_fd;
	int ifindex;
	bool on;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* task_cpu_s() - on-CPU seconds so far of task @pid (its schedstat), or -1 when it is gone. */
static double task_cpu_s(int pid)
{
	char path[64];
	unsigned long long ns;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu", &ns);
	fclose(f);
	return n == 1 ? (double)ns / 1e9 : -1;
}

/*
 * The clock a figure is per: the lb's NAPI thread when there is one (packets
 * per second of the balancer's core), else the live generator's own thread
 * (everything then runs in softirq in its context), else the wall clock.
 */
enum clock_kind { CLK_LB, CLK_GEN_THREAD, CLK_WALL };
static const char *const clock_names[] = { "lb_thread", "gen_thread", "wall" };

struct meter {
	enum clock_kind kind;
	int lb_pid;
};

static double meter_now(const struct meter *m)
{
	switch (m->kind) {
	case CLK_LB: return task_cpu_s(m->lb_pid);
	case CLK_GEN_THREAD: return thread_cpu_s();
	default: return now_s();
	}
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_ip(const char *s, int *family, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* ns_open() - an fd for /run/netns/NAME (or the current namespace for NULL); -errno on failure. */
static int ns_open(const char *name)
{
	char path[256];
	int fd;

	if (!name)
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "l4_gen: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return fd;
}

static int ns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "l4_gen: setns: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static int dev_index(const char *dev)
{
	unsigned int i = if_nametoindex(dev);

	if (!i)
		fprintf(stderr, "l4_gen: interface %s: %s\n", dev, strerror(errno));
	return (int)i;
}

/*
 * xdp_attach() - attach @prog_fd in native mode to @dev inside namespace @ns_fd.
 * Fails (-EEXIST) rather than replace a program someone else attached.
 * Returns 0 or -errno; on success @a remembers how to detach it.
 */
static int xdp_attach(int ns_fd, const char *dev, int prog_fd, struct attached *a)
{
	int err, ifindex;

	err = ns_enter(ns_fd);
	if (err)
		return err;
	ifindex = dev_index(dev);
	if (!ifindex)
		return -ENODEV;
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		fprintf(stderr, "l4_gen: attach XDP to %s: %s\n", dev, strerror(-err));
		return err;
	}
	a->ns_fd = ns_fd;
	a->ifindex = ifindex;
	a->on = true;
	return 0;
}

static void xdp_detach(struct attached *a)
{
	if (!a->on || ns_enter(a->ns_fd))
		return;
	bpf_xdp_detach(a->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	a->on = false;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	return s;
}

/*
 * build_frame() - the template frame: Ethernet, IPv4 or IPv6, TCP ACK (or SYN) without
 * options, checksums valid (netfilter drops bad ones, and a fair peer must see
 * the same packets Sluice sees). IPv4 frames are padded to 60 bytes: 64 on a wire.
 * Returns the frame length.
 */
static size_t build_frame(const struct opts *o, uint8_t *buf)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct tcphdr *tcp;
	size_t l3len, len;
	uint32_t s = 0;

	memset(buf, 0, 128);
	memcpy(eth->h_dest, o->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, o->src_mac, ETH_ALEN);
	if (o->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*tcp));
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		memcpy(&ip->saddr, &o->src, 4);
		memcpy(&ip->daddr, &o->dst, 4);
		ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
		tcp = (struct tcphdr *)(ip + 1);
		s = csum_add(s, &ip->saddr, 8);
		l3len = sizeof(*ip);
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons(sizeof(*tcp));
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		ip6->saddr = o->src;
		ip6->daddr = o->dst;
		tcp = (struct tcphdr *)(ip6 + 1);
		s = csum_add(s, &ip6->saddr, 32);
		l3len = sizeof(*ip6);
	}
	tcp->source = htons(10000);
	tcp->dest = htons(o->dport);
	tcp->seq = htonl(1);
	tcp->ack_seq = htonl(o->syn ? 0 : 1);
	tcp->doff = 5;
	tcp->syn = o->syn;
	tcp->ack = !o->syn;
	tcp->window = htons(512);
	s += IPPROTO_TCP + sizeof(*tcp);
	s = csum_add(s, tcp, sizeof(*tcp));
	tcp->check = htons(csum_fold(s));
	len = sizeof(*eth) + l3len + sizeof(*tcp);
	return len < 60 ? 60 : len;
}

/* count_read() - a per-CPU u64 counter (key 0 of @map_fd) summed over CPUs, or -1 on error. */
static int64_t count_read(int map_fd)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t k = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(map_fd, &k, v))
		return -1;
	for (int i = 0; i < ncpu; i++)
		sum += v[i];
	return (int64_t)sum;
}

/* Per-chunk rates (packets counted per second of the meter's clock), for a robust statistic. */
struct chunks {
	double *rate;
	size_t n, cap;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * chunks_quantile() - the @q quantile (0..1) of the chunk rates, 0 when there are none.
 * A high quantile is the rate with the least interference: other work sharing
 * the core (caches, TLB) only ever makes a chunk slower, never faster.
 */
static double chunks_quantile(struct chunks *c, double q)
{
	if (!c->n)
		return 0;
	qsort(c->rate, c->n, sizeof(*c->rate), cmp_double);
	return c->rate[(size_t)(q * (double)(c->n - 1) + 0.5)];
}

/* A reading of the sink's count and the meter's clock; chunk_add() turns two into a rate. */
struct sample {
	int64_t count;
	double clock;
};

/* sample_take() - @count_fd: the counter of packets through the lb (see count_read()). */
static struct sample sample_take(int count_fd, const struct meter *m)
{
	return (struct sample){ .count = count_read(count_fd), .clock = meter_now(m) };
}

static void chunk_add(struct chunks *c, struct sample a, struct sample b)
{
	if (a.count >= 0 && b.count >= a.count && b.clock > a.clock && a.clock >= 0 && c->n < c->cap)
		c->rate[c->n++] = (double)(b.count - a.count) / (b.clock - a.clock);
}

/*
 * refused_by_env() - L4_GEN_REFUSE (a list such as "live,ring") makes this run
 * behave as a kernel or sandbox that refuses those generators would: how the
 * tests check that the bench falls back, or skips, as it should.
 */
static bool refused_by_env(const char *gen)
{
	const char *list = getenv("L4_GEN_REFUSE");

	return list && strstr(list, gen);
}

static bool live_refused(int err)
{
	return err == -EPERM || err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */;
}

/*
 * live_for() - send frames with BPF_PROG_RUN live frames for @seconds (or until
 * @max frames or a signal). With @c, records each chunk's rate.
 * Returns frames handed to the kernel, or -errno if a run failed.
 */
static int64_t live_for(int prog_fd, const uint8_t *frame, size_t len, double seconds, uint64_t max,
			int count_fd, const struct meter *m, struct chunks *c)
{
	double end = now_s() + seconds;
	int64_t sent = 0;

	if (refused_by_env("live"))
		return -EPERM;
	while (!stop && now_s() < end && (uint64_t)sent < max) {
		LIBBPF_OPTS(bpf_test_run_opts, topts,
			.data_in = frame,
			.data_size_in = (uint32_t)len,
			.repeat = CHUNK_FRAMES,
			.batch_size = BATCH,
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		);
		struct sample s0 = c ? sample_take(count_fd, m) : (struct sample){ 0 };
		int err = bpf_prog_test_run_opts(prog_fd, &topts);

		if (err)
			return err < 0 ? err : -EIO;
		if (c)
			chunk_add(c, s0, sample_take(count_fd, m));
		sent += CHUNK_FRAMES;
	}
	return sent;
}

/* The ring generator's state: its programs and where they are attached. */
struct ring {
	struct l4_ring *skel;
	struct attached at_a, at_b, at_pong;
	bool pong;
};

/* ring_laps() - frames sent toward the lb (broadcast, per copy) or back from it (ping-pong) so far. */
static int64_t ring_laps(struct ring *r)
{
	return count_read(bpf_map__fd(r->skel->maps.ring_laps));
}

/*
 * ring_inject() - send @n copies of @frame out of device @ifindex with a
 * packet socket: they arrive at its peer, where the ring takes them over.
 * Returns 0 or -errno.
 */
static int ring_inject(int ifindex, const uint8_t *frame, size_t len, uint32_t n)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = ETH_ALEN };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	memcpy(to.sll_addr, frame, ETH_ALEN);
	for (uint32_t i = 0; i < n && !err; i++) {
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			err = -errno;
		/* a pause now and then, so the first lap never overflows a veth ring of 256 */
		if (i % 32 == 31)
			usleep(200);
	}
	close(fd);
	return err;
}

/* ring_broadcast_ports() - ring_b's destinations: itself in slot 0, the client's link in 1..copies. */
static int ring_broadcast_ports(const struct opts *o, struct ring *r, int ib, int iout)
{
	int ports = bpf_map__fd(r->skel->maps.ring_ports);

	for (uint32_t k = 0; k <= o->copies; k++) {
		uint32_t dev = k ? (uint32_t)iout : (uint32_t)ib;

		if (bpf_map_update_elem(ports, &k, &dev, BPF_ANY)) {
			fprintf(stderr, "l4_gen: ring_ports[%u]: %s\n", k, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/*
 * ring_start() - load a ring into the generator's namespace, attach it,
 * inject the frames and check that they circulate: a ping-pong with the lb
 * when @r->pong (the lb sends frames back to the client's link), else a
 * broadcast ring on --ring-devs. It stops by itself at @deadline
 * (CLOCK_MONOTONIC seconds). Returns 0 or -errno, with the reason on stderr.
 */
static int ring_start(const struct opts *o, int gen_ns, struct ring *r, const uint8_t *frame, size_t len,
		      double deadline)
{
	int iout, inject, err;
	int64_t laps;

	if (refused_by_env("ring")) {
		fprintf(stderr, "l4_gen: XDP ring: refused (L4_GEN_REFUSE)\n");
		return -EPERM;
	}
	if ((err = ns_enter(gen_ns)))
		return err;
	iout = dev_index(o->gen_dev);
	if (!iout)
		return -ENODEV;
	if (!r->pong && !o->ring_a) {
		fprintf(stderr, "l4_gen: a ring for an lb that keeps the frames needs --ring-devs\n");
		return -EINVAL;
	}
	r->skel = l4_ring__open();
	if (!r->skel)
		return -errno;
	r->skel->rodata->n_flows = o->flows;
	r->skel->rodata->tmpl_len = (uint32_t)len;
	r->skel->rodata->bench_dport = htons(o->dport);
	memcpy(r->skel->bss->tmpl, frame, len);
	err = l4_ring__load(r->skel);
	if (err) {
		fprintf(stderr, "l4_gen: load l4_ring: %s\n", strerror(-err));
		return err;
	}
	r->skel->bss->deadline = (uint64_t)(deadline * 1e9);
	if (r->pong) {
		err = xdp_attach(gen_ns, o->gen_dev, bpf_program__fd(r->skel->progs.ring_pong), &r->at_pong);
		inject = iout;
	} else {
		int ia = dev_index(o->ring_a), ib = dev_index(o->ring_b);

		if (!ia || !ib)
			return -ENODEV;
		err = ring_broadcast_ports(o, r, ib, iout);
		if (!err)
			err = xdp_attach(gen_ns, o->ring_a, bpf_program__fd(r->skel->progs.ring_a), &r->at_a);
		if (!err)
			err = xdp_attach(gen_ns, o->ring_b, bpf_program__fd(r->skel->progs.ring_b), &r->at_b);
		inject = ia;
	}
	if (err)
		return err;
	err = ring_inject(inject, frame, len, o->ring_frames);
	if (err) {
		fprintf(stderr, "l4_gen: inject the ring's frames: %s\n", strerror(-err));
		return err;
	}
	usleep(50000);
	laps = ring_laps(r);
	if (laps < (int64_t)o->ring_frames * 2) {
		fprintf(stderr, "l4_gen: the %s ring does not circulate (%lld laps in 50 ms)\n",
			r->pong ? "ping-pong" : "broadcast", (long long)laps);
		return -EIO;
	}
	return 0;
}

/* ring_stop() - empty the ring (every frame is dropped on its next lap) and take it off. */
static void ring_stop(struct ring *r)
{
	if (!r->skel)
		return;
	if (r->skel->bss)
		r->skel->bss->stopped = 1;
	usleep(20000);
	xdp_detach(&r->at_pong);
	xdp_detach(&r->at_b);
	xdp_detach(&r->at_a);
	l4_ring__destroy(r->skel);
	r->skel = NULL;
}

/* ring_for() - let the running ring go on for @seconds, recording a chunk every RING_SAMPLE_S. */
static void ring_for(double seconds, int count_fd, const struct meter *m, struct chunks *c)
{
	double end = now_s() + seconds;
	struct sample s0 = c ? sample_take(count_fd, m) : (struct sample){ 0 };

	while (!stop && now_s() < end) {
		struct timespec ts = { 0, (long)(RING_SAMPLE_S * 1e9) };
		struct sample s1;

		nanosleep(&ts, NULL);
		if (!c)
			continue;
		s1 = sample_take(count_fd, m);
		chunk_add(c, s0, s1);
		s0 = s1;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: l4_gen --gen-ns NS --gen-dev IF --src-mac MAC --dst-mac MAC --src IP --dst IP\n"
		"              --count-ns NS --count-dev IF [--dport P] [--flows N] [--cpu C] [--syn]\n"
		"              [--duration S] [--warmup S] [--max-frames N] [--dump]\n"
		"              [--generator auto|live|ring] [--ring-devs A,B] [--copies N] [--ring-frames N] [--broadcast]\n"
		"              [--lb-pid PID]\n"
		"              [--lb-ns NS --lb-dev IF --lb-prog fwd|reflect [--fwd-dev IF --fwd-src MAC --fwd-dst MAC]]\n");
	exit(2);
}

static int parse_gen(const char *s)
{
	for (int i = 0; i < (int)(sizeof(gen_names) / sizeof(gen_names[0])); i++)
		if (!strcmp(s, gen_names[i]))
			return i;
	usage();
	return 0;
}

static void parse_ring_devs(char *s, struct opts *o)
{
	char *comma = strchr(s, ',');

	if (!comma || comma == s || !comma[1])
		usage();
	*comma = '\0';
	o->ring_a = s;
	o->ring_b = comma + 1;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "gen-ns", 1, 0, 'a' }, { "gen-dev", 1, 0, 'b' }, { "src-mac", 1, 0, 'c' },
		{ "dst-mac", 1, 0, 'd' }, { "src", 1, 0, 'e' }, { "dst", 1, 0, 'f' },
		{ "count-ns", 1, 0, 'g' }, { "count-dev", 1, 0, 'h' }, { "dport", 1, 0, 'i' },
		{ "flows", 1, 0, 'j' }, { "cpu", 1, 0, 'k' }, { "duration", 1, 0, 'l' },
		{ "warmup", 1, 0, 'm' }, { "max-frames", 1, 0, 'n' }, { "lb-ns", 1, 0, 'o' },
		{ "lb-dev", 1, 0, 'p' }, { "lb-prog", 1, 0, 'q' }, { "fwd-dev", 1, 0, 'r' },
		{ "fwd-src", 1, 0, 's' }, { "fwd-dst", 1, 0, 't' }, { "dump", 0, 0, 'u' },
		{ "generator", 1, 0, 'v' }, { "ring-devs", 1, 0, 'w' }, { "copies", 1, 0, 'x' },
		{ "ring-frames", 1, 0, 'y' }, { "lb-pid", 1, 0, 'z' }, { "syn", 0, 0, 'A' },
		{ "broadcast", 0, 0, 'B' },
		{ 0, 0, 0, 0 },
	};
	int c, fam2 = 0;

	*o = (struct opts){ .dport = 80, .flows = 1024, .cpu = -1, .duration = 2.0, .warmup = 0.3,
			    .max_frames = UINT64_MAX, .copies = 1, .ring_frames = 128 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o->gen_ns = optarg; break;
		case 'b': o->gen_dev = optarg; break;
		case 'c': if (parse_mac(optarg, o->src_mac)) usage(); break;
		case 'd': if (parse_mac(optarg, o->dst_mac)) usage(); break;
		case 'e': if (parse_ip(optarg, &fam2, &o->src)) usage(); break;
		case 'f': if (parse_ip(optarg, &o->family, &o->dst)) usage(); break;
		case 'g': o->count_ns = optarg; break;
		case 'h': o->count_dev = optarg; break;
		case 'i': o->dport = (uint16_t)atoi(optarg); break;
		case 'j': o->flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'k': o->cpu = atoi(optarg); break;
		case 'l': o->duration = atof(optarg); break;
		case 'm': o->warmup = atof(optarg); break;
		case 'n': o->max_frames = strtoull(optarg, NULL, 0); break;
		case 'o': o->lb_ns = optarg; break;
		case 'p': o->lb_dev = optarg; break;
		case 'q': o->lb_prog = optarg; break;
		case 'r': o->fwd_dev = optarg; break;
		case 's': if (parse_mac(optarg, o->fwd_src)) usage(); break;
		case 't': if (parse_mac(optarg, o->fwd_dst)) usage(); break;
		case 'u': o->dump = true; break;
		case 'v': o->gen = (enum gen_kind)parse_gen(optarg); break;
		case 'w': parse_ring_devs(optarg, o); break;
		case 'x': o->copies = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'y': o->ring_frames = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'z': o->lb_pid = atoi(optarg); break;
		case 'A': o->syn = true; break;
		case 'B': o->broadcast = true; break;
		default: usage();
		}
	}
	if (!o->gen_ns || !o->gen_dev || !o->count_ns || !o->count_dev || !o->family ||
	    fam2 != o->family || o->flows == 0 || o->flows > 50000 ||
	    o->duration <= 0 || o->duration > MAX_SECONDS || o->warmup < 0 || o->warmup > 5 ||
	    o->copies < 1 || o->copies >= RING_PORTS || o->ring_frames < 1 || o->ring_frames > 400 ||
	    o->lb_pid < 0)
		usage();
	if (o->lb_prog && (!o->lb_ns || !o->lb_dev ||
			   (strcmp(o->lb_prog, "fwd") && strcmp(o->lb_prog, "reflect")) ||
			   (!strcmp(o->lb_prog, "fwd") && !o->fwd_dev)))
		usage();
}

/* dump_frame() - run the live generator's program once, not live, and print the frame it makes. */
static int dump_frame(struct l4_gen *gen, const uint8_t *frame, size_t len)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(gen->progs.l4_gen), &t);

	printf("retval=%u len=%u:", t.retval, t.data_size_out);
	for (uint32_t i = 0; i < t.data_size_out; i++)
		printf("%s%02x", i % 16 ? " " : "\n  ", out[i]);
	printf("\n");
	return err ? 1 : 0;
}

/*
 * attach_sink() - the counting sink where the packets should end up.
 * Returns the skeleton, or NULL with the reason on stderr.
 */
static struct l4_tx *attach_sink(const struct opts *o, int count_ns, struct attached *at)
{
	struct l4_tx *sink = l4_tx__open();

	if (sink) {
		memcpy((void *)&sink->rodata->count_src4, &o->src, 4);
		memcpy((void *)sink->rodata->count_src6, &o->src, 16);
		if (o->family == AF_INET6)
			sink->rodata->count_src4 = 0xffffffff;  /* never matches */
	}
	if (!sink || l4_tx__load(sink)) {
		fprintf(stderr, "l4_gen: load l4_tx: %s\n", strerror(errno));
		l4_tx__destroy(sink);
		return NULL;
	}
	if (xdp_attach(count_ns, o->count_dev, bpf_program__fd(sink->progs.sink), at)) {
		l4_tx__destroy(sink);
		return NULL;
	}
	return sink;
}

/* attach_lb_prog() - a reference program on the balancer's interface (--lb-prog). NULL on failure. */
static struct l4_tx *attach_lb_prog(const struct opts *o, int lb_ns, struct attached *at)
{
	bool is_fwd = !strcmp(o->lb_prog, "fwd");
	struct l4_tx *fwd;

	if (ns_enter(lb_ns))
		return NULL;
	fwd = l4_tx__open();
	if (!fwd)
		return NULL;
	if (is_fwd) {
		fwd->rodata->fwd_ifindex = (uint32_t)dev_index(o->fwd_dev);
		memcpy((void *)fwd->rodata->fwd_src, o->fwd_src, ETH_ALEN);
		memcpy((void *)fwd->rodata->fwd_dst, o->fwd_dst, ETH_ALEN);
	}
	if ((is_fwd && !fwd->rodata->fwd_ifindex) || l4_tx__load(fwd)) {
		fprintf(stderr, "l4_gen: load l4_tx: %s\n", strerror(errno));
		goto err_destroy;
	}
	if (xdp_attach(lb_ns, o->lb_dev, bpf_program__fd(is_fwd ? fwd->progs.tx_fwd : fwd->progs.tx_reflect), at))
		goto err_destroy;
	return fwd;
err_destroy:
	l4_tx__destroy(fwd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct attached at_sink = { 0 }, at_lb = { 0 };
	struct l4_tx *sink = NULL, *fwd = NULL;
	struct l4_gen *gen = NULL;
	struct ring ring = { 0 };
	struct meter meter = { 0 };
	int self_ns, count_ns = -1, lb_ns = -1, gen_ns = -1, count_fd = -1;
	int64_t sent = 0, warm = 0, laps0 = 0;
	uint8_t frame[128];
	double t0, t1;
	struct sample m0, m1;
	struct chunks chunks = { 0 };
	enum gen_kind used;
	size_t len;
	struct opts o;
	int err = 1;

	parse_args(argc, argv, &o);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	libbpf_set_print(NULL);

	self_ns = ns_open(NULL);
	count_ns = ns_open(o.count_ns);
	gen_ns = ns_open(o.gen_ns);
	if (self_ns < 0 || count_ns < 0 || gen_ns < 0)
		goto out_close;
	if (o.lb_pid && task_cpu_s(o.lb_pid) < 0) {
		fprintf(stderr, "l4_gen: --lb-pid %d: no such task\n", o.lb_pid);
		goto out_close;
	}
	/* Counted on the client's own link: what the lb sends back, which a ring can send again. */
	ring.pong = !o.broadcast && !strcmp(o.count_ns, o.gen_ns) && !strcmp(o.count_dev, o.gen_dev);

	if (o.gen != GEN_RING || !ring.pong) {
		sink = attach_sink(&o, count_ns, &at_sink);
		if (!sink)
			goto out_detach;
		count_fd = bpf_map__fd(sink->maps.l4_count);
	}
	if (o.lb_prog) {
		lb_ns = ns_open(o.lb_ns);
		if (lb_ns < 0 || !(fwd = attach_lb_prog(&o, lb_ns, &at_lb)))
			goto out_detach;
	}

	/* The generator, in the client's namespace, pinned to one CPU. */
	if (ns_enter(gen_ns))
		goto out_detach;
	gen = l4_gen__open();
	if (!gen)
		goto out_detach;
	gen->rodata->out_ifindex = (uint32_t)dev_index(o.gen_dev);
	gen->rodata->n_flows = o.flows;
	len = build_frame(&o, frame);
	gen->rodata->tmpl_len = (uint32_t)len;
	memcpy(gen->bss->tmpl, frame, len);
	if (!gen->rodata->out_ifindex || l4_gen__load(gen)) {
		fprintf(stderr, "l4_gen: load l4_gen: %s\n", strerror(errno));
		goto out_detach;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "l4_gen: pin to cpu %d: %s\n", o.cpu, strerror(errno));
			goto out_detach;
		}
	}
	if (o.dump) {
		err = dump_frame(gen, frame, len);
		goto out_detach;
	}

	/*
	 * Warm-up fills conntrack tables and neighbour caches; it is not counted.
	 * It also picks the generator: live frames unless refused or not asked for.
	 */
	used = o.gen == GEN_RING ? GEN_RING : GEN_LIVE;
	if (used == GEN_LIVE) {
		warm = live_for(bpf_program__fd(gen->progs.l4_gen), frame, len, o.warmup, o.max_frames,
				-1, NULL, NULL);
		if (warm < 0) {
			bool fall_back = o.gen == GEN_AUTO && live_refused((int)warm);

			fprintf(stderr, "l4_gen: BPF_PROG_RUN live frames: %s%s\n", strerror((int)-warm),
				fall_back ? "; using an XDP ring" : "");
			if (!fall_back) {
				err = live_refused((int)warm) ? 77 : 1;
				goto out_detach;
			}
			used = GEN_RING;
			if (ring.pong) {  /* the ring counts for itself on that link */
				xdp_detach(&at_sink);
				count_fd = -1;
			}
		}
	}
	if (used == GEN_RING) {
		if (ring_start(&o, gen_ns, &ring, frame, len, now_s() + o.warmup + o.duration + 2.0)) {
			err = 77;
			goto out_detach;
		}
		ring_for(o.warmup, -1, NULL, NULL);
		laps0 = ring_laps(&ring);
		if (ring.pong)
			count_fd = bpf_map__fd(ring.skel->maps.ring_laps);
	}
	if (count_fd < 0) {  /* a ring feeding an lb elsewhere: the sink counts there */
		sink = attach_sink(&o, count_ns, &at_sink);
		if (!sink)
			goto out_detach;
		count_fd = bpf_map__fd(sink->maps.l4_count);
	}
	meter = (struct meter){ .kind = o.lb_pid ? CLK_LB : used == GEN_LIVE ? CLK_GEN_THREAD : CLK_WALL,
				.lb_pid = o.lb_pid };

	usleep(50000);
	chunks.cap = (size_t)(o.duration * 2000) + 16;  /* a chunk takes well over 0.5 ms */
	chunks.rate = calloc(chunks.cap, sizeof(*chunks.rate));
	if (!chunks.rate)
		goto out_detach;
	m0 = sample_take(count_fd, &meter);
	t0 = now_s();
	if (used == GEN_LIVE) {
		sent = live_for(bpf_program__fd(gen->progs.l4_gen), frame, len, o.duration,
				o.max_frames > (uint64_t)warm ? o.max_frames - (uint64_t)warm : 0, count_fd, &meter,
				&chunks);
	} else {
		ring_for(o.duration, count_fd, &meter, &chunks);
		sent = (ring_laps(&ring) - laps0) * (ring.pong ? 1 : (int64_t)o.copies);
	}
	t1 = now_s();
	m1 = sample_take(count_fd, &meter);
	usleep(50000);  /* let the veth rings drain into the sink */
	if (sent < 0 || m0.count < 0 || m1.count < 0 || m0.clock < 0 || m1.clock <= m0.clock) {
		fprintf(stderr, "l4_gen: measurement failed\n");
		goto out_detach;
	}
	printf("generator=%s%s clock=%s offered_pps=%.0f counted_pps=%.0f per_clock_s=%.0f chunk_p50=%.0f "
	       "chunk_p90=%.0f chunks=%zu sent=%lld counted=%lld seconds=%.3f clock_seconds=%.3f lb_busy=%.2f "
	       "cpu=%d flows=%u syn=%d\n",
	       gen_names[used], used == GEN_RING ? (ring.pong ? "/pingpong" : "/broadcast") : "",
	       clock_names[meter.kind], sent / (t1 - t0), (m1.count - m0.count) / (t1 - t0),
	       (m1.count - m0.count) / (m1.clock - m0.clock), chunks_quantile(&chunks, 0.5),
	       chunks_quantile(&chunks, 0.9), chunks.n, (long long)sent, (long long)(m1.count - m0.count),
	       t1 - t0, m1.clock - m0.clock, o.lb_pid ? (m1.clock - m0.clock) / (t1 - t0) : 0.0, o.cpu,
	       o.flows, o.syn);
	err = stop ? 1 : 0;

out_detach:
	ring_stop(&ring);
	xdp_detach(&at_lb);
	xdp_detach(&at_sink);
	l4_gen__destroy(gen);
	l4_tx__destroy(fwd);
	l4_tx__destroy(sink);
	free(chunks.rate);
out_close:
	if (self_ns >= 0)
		ns_enter(self_ns);
	for (int *fd = (int[]){ self_ns, count_ns, lb_ns, gen_ns, -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return err;
}
