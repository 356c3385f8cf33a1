// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 packets/s bench: generates TCP frames with BPF_PROG_RUN live frames and counts what reaches the far side. */
/*
 * One run is one measurement. Across network namespaces (setns() per step)
 * it attaches a counting XDP sink where the packets should arrive, optionally
 * a reference forwarder on the balancer's interface, then sends 64-byte TCP
 * frames (one flow per source port) out of the client's veth for a fixed time
 * from one pinned thread, and prints what was offered and what arrived:
 *
 *   offered_pps=... counted_pps=... counted_per_cpu_s=... chunk_p50=... chunk_p90=... sent=... ...
 *
 * counted_per_cpu_s divides by the CPU time of the generator thread plus its
 * CPU's ksoftirqd: when the receiving side runs in softirq on the generator's
 * CPU (no threaded NAPI), that is all the time the packets cost, and other
 * load on the machine does not change it the way it changes wall-clock rates.
 * chunk_p50/chunk_p90 are quantiles of the same rate taken per chunk of 65536
 * frames (generator thread time only): p90 is the least disturbed rate.
 *
 * Everything it attached is detached before it exits (also on SIGINT/SIGTERM).
 * Exit: 0 measured, 1 error, 2 usage, 77 the kernel lacks live-frame test runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
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

#include "bench/l4_gen.skel.h"
#include "bench/l4_tx.skel.h"

#define CHUNK_FRAMES  (1U << 16)   /* frames per BPF_PROG_RUN: ~10-50 ms, so a stop request is seen quickly */
#define BATCH         64           /* frames per redirect flush, as the kernel's own default */
#define MAX_SECONDS   60.0

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

/*
 * ksoftirqd_cpu_s() - CPU time so far of ksoftirqd/@cpu, or 0 if not found.
 * Softirq work the generator's own context hands off lands there; it belongs
 * to the measurement as much as the generator thread's time does.
 */
static double ksoftirqd_cpu_s(int cpu)
{
	static int pid = -1;
	char path[64], buf[512], want[32];
	unsigned long long ut = 0, st = 0;
	FILE *f;

	if (cpu < 0)
		return 0;
	if (pid < 0) {
		snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
		pid = 0;
		for (int p = 2; p < 4096 && !pid; p++) {
			snprintf(path, sizeof(path), "/proc/%d/comm", p);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f) && !strcmp(buf, want))
				pid = p;
			fclose(f);
		}
	}
	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* comm has no spaces here; utime and stime are fields 14 and 15 */
	if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		ut = st = 0;
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
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
 * build_frame() - the template frame: Ethernet, IPv4 or IPv6, TCP ACK without
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
	tcp->ack_seq = htonl(1);
	tcp->doff = 5;
	tcp->ack = 1;
	tcp->window = htons(512);
	s += IPPROTO_TCP + sizeof(*tcp);
	s = csum_add(s, tcp, sizeof(*tcp));
	tcp->check = htons(csum_fold(s));
	len = sizeof(*eth) + l3len + sizeof(*tcp);
	return len < 60 ? 60 : len;
}

/* count_read() - the sink's packet count summed over CPUs, or -1 on error. */
static int64_t count_read(struct l4_tx *sink)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t k = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(sink->maps.l4_count), &k, v))
		return -1;
	for (int i = 0; i < ncpu; i++)
		sum += v[i];
	return (int64_t)sum;
}

/* Per-chunk rates (packets counted per CPU-second of the generator thread), for a robust statistic. */
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

/*
 * gen_for() - send frames for @seconds (or until @max frames or a signal).
 * With @sink and @c, records each chunk's rate (sink count over thread CPU time).
 * Returns frames handed to the kernel, or -errno if a run failed.
 */
static int64_t gen_for(int prog_fd, const uint8_t *frame, size_t len, double seconds, uint64_t max,
		       struct l4_tx *sink, struct chunks *c)
{
	double end = now_s() + seconds;
	int64_t sent = 0;

	while (!stop && now_s() < end && (uint64_t)sent < max) {
		LIBBPF_OPTS(bpf_test_run_opts, topts,
			.data_in = frame,
			.data_size_in = (uint32_t)len,
			.repeat = CHUNK_FRAMES,
			.batch_size = BATCH,
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		);
		int64_t n0 = c ? count_read(sink) : 0;
		double u0 = thread_cpu_s();
		int err = bpf_prog_test_run_opts(prog_fd, &topts);
		double u1 = thread_cpu_s();
		int64_t n1 = c ? count_read(sink) : 0;

		if (err)
			return err < 0 ? err : -EIO;
		sent += CHUNK_FRAMES;
		if (c && n0 >= 0 && n1 >= n0 && u1 > u0 && c->n < c->cap)
			c->rate[c->n++] = (double)(n1 - n0) / (u1 - u0);
	}
	return sent;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: l4_gen --gen-ns NS --gen-dev IF --src-mac MAC --dst-mac MAC --src IP --dst IP\n"
		"              --count-ns NS --count-dev IF [--dport P] [--flows N] [--cpu C]\n"
		"              [--duration S] [--warmup S] [--max-frames N] [--dump]\n"
		"              [--lb-ns NS --lb-dev IF --lb-prog fwd|reflect [--fwd-dev IF --fwd-src MAC --fwd-dst MAC]]\n");
	exit(2);
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
		{ 0, 0, 0, 0 },
	};
	int c, fam2 = 0;

	*o = (struct opts){ .dport = 80, .flows = 1024, .cpu = -1, .duration = 2.0, .warmup = 0.3,
			    .max_frames = UINT64_MAX };
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
		default: usage();
		}
	}
	if (!o->gen_ns || !o->gen_dev || !o->count_ns || !o->count_dev || !o->family ||
	    fam2 != o->family || o->flows == 0 || o->flows > 50000 ||
	    o->duration <= 0 || o->duration > MAX_SECONDS || o->warmup < 0 || o->warmup > 5)
		usage();
	if (o->lb_prog && (!o->lb_ns || !o->lb_dev ||
			   (strcmp(o->lb_prog, "fwd") && strcmp(o->lb_prog, "reflect")) ||
			   (!strcmp(o->lb_prog, "fwd") && !o->fwd_dev)))
		usage();
}

int main(int argc, char **argv)
{
	struct attached at_sink = { 0 }, at_lb = { 0 };
	struct l4_tx *sink = NULL, *fwd = NULL;
	struct l4_gen *gen = NULL;
	int self_ns, count_ns = -1, lb_ns = -1, gen_ns = -1;
	int64_t c0, c1, sent, warm;
	uint8_t frame[128];
	double t0, t1, u0, u1, k0, k1, cpu_s;
	struct chunks chunks = { 0 };
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

	/* The sink, where the packets should end up. */
	sink = l4_tx__open();
	if (sink) {
		memcpy((void *)&sink->rodata->count_src4, &o.src, 4);
		memcpy((void *)sink->rodata->count_src6, &o.src, 16);
		if (o.family == AF_INET6)
			sink->rodata->count_src4 = 0xffffffff;  /* never matches */
	}
	if (!sink || l4_tx__load(sink)) {
		fprintf(stderr, "l4_gen: load l4_tx: %s\n", strerror(errno));
		goto out_close;
	}
	if (xdp_attach(count_ns, o.count_dev, bpf_program__fd(sink->progs.sink), &at_sink))
		goto out_detach;

	/* A reference program on the balancer's interface, when asked for. */
	if (o.lb_prog) {
		bool is_fwd = !strcmp(o.lb_prog, "fwd");

		lb_ns = ns_open(o.lb_ns);
		if (lb_ns < 0 || ns_enter(lb_ns))
			goto out_detach;
		fwd = l4_tx__open();
		if (!fwd)
			goto out_detach;
		if (is_fwd) {
			fwd->rodata->fwd_ifindex = (uint32_t)dev_index(o.fwd_dev);
			if (!fwd->rodata->fwd_ifindex)
				goto out_detach;
			memcpy((void *)fwd->rodata->fwd_src, o.fwd_src, ETH_ALEN);
			memcpy((void *)fwd->rodata->fwd_dst, o.fwd_dst, ETH_ALEN);
		}
		if (l4_tx__load(fwd)) {
			fprintf(stderr, "l4_gen: load l4_tx: %s\n", strerror(errno));
			goto out_detach;
		}
		if (xdp_attach(lb_ns, o.lb_dev, bpf_program__fd(is_fwd ? fwd->progs.tx_fwd : fwd->progs.tx_reflect),
			       &at_lb))
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
		uint8_t out[256];
		LIBBPF_OPTS(bpf_test_run_opts, t1, .data_in = frame, .data_size_in = (uint32_t)len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		err = bpf_prog_test_run_opts(bpf_program__fd(gen->progs.l4_gen), &t1) ? 1 : 0;
		printf("retval=%u len=%u:", t1.retval, t1.data_size_out);
		for (uint32_t i = 0; i < t1.data_size_out; i++)
			printf("%s%02x", i % 16 ? " " : "\n  ", out[i]);
		printf("\n");
		goto out_detach;
	}

	/* Warm-up fills conntrack tables and neighbour caches; it is not counted. */
	warm = gen_for(bpf_program__fd(gen->progs.l4_gen), frame, len, o.warmup, o.max_frames, NULL, NULL);
	if (warm < 0) {
		fprintf(stderr, "l4_gen: BPF_PROG_RUN live frames: %s\n", strerror((int)-warm));
		err = (warm == -EINVAL || warm == -EOPNOTSUPP) ? 77 : 1;
		goto out_detach;
	}
	usleep(50000);
	c0 = count_read(sink);
	k0 = ksoftirqd_cpu_s(o.cpu);
	u0 = thread_cpu_s();
	t0 = now_s();
	chunks.cap = (size_t)(o.duration * 2000) + 16;  /* a chunk takes well over 0.5 ms */
	chunks.rate = calloc(chunks.cap, sizeof(*chunks.rate));
	if (!chunks.rate)
		goto out_detach;
	sent = gen_for(bpf_program__fd(gen->progs.l4_gen), frame, len, o.duration,
		       o.max_frames > (uint64_t)warm ? o.max_frames - (uint64_t)warm : 0, sink, &chunks);
	t1 = now_s();
	u1 = thread_cpu_s();
	k1 = ksoftirqd_cpu_s(o.cpu);
	usleep(50000);  /* let the veth rings drain into the sink */
	c1 = count_read(sink);
	if (sent < 0 || c0 < 0 || c1 < 0) {
		fprintf(stderr, "l4_gen: measurement failed\n");
		goto out_detach;
	}
	cpu_s = (u1 - u0) + (k1 - k0);
	printf("offered_pps=%.0f counted_pps=%.0f counted_per_cpu_s=%.0f chunk_p50=%.0f chunk_p90=%.0f "
	       "chunks=%zu sent=%lld counted=%lld seconds=%.3f cpu_seconds=%.3f ksoftirqd_seconds=%.3f "
	       "cpu=%d flows=%u\n",
	       sent / (t1 - t0), (c1 - c0) / (t1 - t0), cpu_s > 0 ? (c1 - c0) / cpu_s : 0.0,
	       chunks_quantile(&chunks, 0.5), chunks_quantile(&chunks, 0.9), chunks.n,
	       (long long)sent, (long long)(c1 - c0), t1 - t0, cpu_s, k1 - k0, o.cpu, o.flows);
	err = stop ? 1 : 0;

out_detach:
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
