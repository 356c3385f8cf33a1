// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ns/packet of sl_lb through BPF_PROG_TEST_RUN (SYN, tracked flow, non-VIP) beside a minimal forwarder and XDP_PASS. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sluice/flow_hash.h"
#include "sluice/maps.h"
#include "bpf/lb.skel.h"
#include "bench/ct_insert.skel.h"
#include "bench/min_tx.skel.h"
#include "bench/xdp_pass.skel.h"

/*
 * Run: `make build/bench/bpf_ns && sudo build/bench/bpf_ns` (root: it makes
 * its own network namespace, gone when it exits; ~5 s; exit 77 when not
 * root). SL_BENCH_CT_ENTRIES=N sizes the conntrack table (default: the
 * production SL_CT_DEFAULT). SL_BENCH_CMP=FILE also loads another build of
 * lb.bpf.o (kept from before a change) and times it beside this one, in the
 * same batches: its rows are prefixed "cmp." and a last column gives
 * this/cmp (SL_BENCH_CMP_CT_ENTRIES sizes its conntrack). SL_BENCH_BATCHES=N runs fewer batches (a quicker, noisier look);
 * SL_BENCH_ONLY="lb_syn lb_ct_hit" times only the per-call paths named (for
 * a profiler; the others print nonsense, repeat rows are skipped).
 * Output: '#' comments, then one line per path,
 * "NAME ns/pkt ns median kernel katran ratio [this/cmp]".
 *
 * Paths: lb_syn (a new 5-tuple per call, never seen before: Maglev +
 * conntrack insert + IPIP; no insert rate), lb_syn_flood (the same past
 * l4.conntrack_insert_rate, set to 1 a second: Maglev + IPIP, no insert,
 * which is the state Katran's SYN is in past its MAX_CONN_RATE of 125,000
 * new flows a second per CPU, well below this loop's rate: see
 * bench/README.md),
 * lb_ct_hit (a tracked flow: conntrack hit + IPIP), lb_non_vip (TCP to an
 * address that is no VIP: one sl_vip_addrs read; a build without that map
 * does both sl_vips lookups), lb_non_vip_no_port0 (the same with
 * SL_CFG_F_NO_PORT0), lb_ct_hit_dsr (tracked flow of a DSR VIP, repeat
 * only), min_tx (parse + one hash lookup + XDP_TX), ct_insert (the same
 * new 5-tuples as lb_syn, inserted into a map of sl_conntrack's type, flags,
 * key, value and size, nothing else: the share of a SYN that is the kernel's
 * LRU insert, which Katran's SYN pays too).
 *
 * Two methods:
 *  - repeat: one BPF_PROG_TEST_RUN with .repeat = REPEAT; the kernel's own
 *    average. Only for paths that leave the packet as it is (the kernel does
 *    not reset it between repeats: an encapsulating path would eat its
 *    headroom and time its failure).
 *  - per call: one 64-byte frame per BPF_PROG_TEST_RUN, copied fresh by the
 *    kernel each call, timed around the syscall, minus the same timing of
 *    the 2-instruction XDP_PASS program, in short interleaved batches so
 *    that load from other processes hits every program alike. This is how
 *    the Katran figures below were taken on this machine.
 */
#define REPEAT   1000000
#define BATCHES  400
#define BATCH    250
#define ROUNDS   5

/* Katran's balancer measured per call on this machine (ns/packet) */
#define KATRAN_SYN    335.0
#define KATRAN_CT     145.0
#define KATRAN_NONVIP  50.0

static const uint8_t mac_lb[6] = { 2, 0, 0, 0, 0, 1 }, mac_peer[6] = { 2, 0, 0, 0, 0, 2 };

static int sh(const char *cmd)
{
	return system(cmd) == 0 ? 0 : -1;
}

static int setup_netns(void)
{
	cpu_set_t cpus;
	FILE *f;

	if (unshare(CLONE_NEWNET))
		return -errno;
	CPU_ZERO(&cpus);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (sh("ip link set lo up"
	       " && ip link add sl0 address 02:00:00:00:00:01 type veth peer name sl1 address 02:00:00:00:00:02"
	       " && ip link set sl0 up && ip link set sl1 up && ip addr add 198.18.0.1/24 dev sl0"
	       " && ip neigh add 198.18.0.10 lladdr 02:00:00:00:00:10 dev sl0 nud permanent"
	       " && ip neigh add 198.18.0.11 lladdr 02:00:00:00:00:11 dev sl0 nud permanent"))
		return -1;
	f = fopen("/proc/sys/net/ipv4/ip_forward", "w");
	if (!f || fputs("1", f) < 0 || fclose(f))
		return -1;
	return 0;
}

/* frame64(): Ethernet + IPv4 + TCP + 10 bytes = 64 bytes, client -> dst:80. */
static void frame64(uint8_t *b, const char *dst, uint16_t sport, uint8_t flags)
{
	memset(b, 0, 64);
	memcpy(b, mac_lb, 6);
	memcpy(b + 6, mac_peer, 6);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = 0; b[17] = 50;
	b[22] = 64;
	b[23] = 6;
	inet_pton(AF_INET, "198.18.50.1", b + 26);
	inet_pton(AF_INET, dst, b + 30);
	b[34] = sport >> 8; b[35] = sport;
	b[37] = 80;
	b[46] = 0x50;
	b[47] = flags;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int ifindex;

/* run_repeat(): the kernel's average ns per run over REPEAT runs, or -1. */
static double run_repeat(int fd, uint8_t *frame, int want)
{
	struct xdp_md ctx = { .data_end = 64, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = 64,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = REPEAT);

	if (bpf_prog_test_run_opts(fd, &o) || (int)o.retval != want)
		return -1;
	return o.duration;
}

/*
 * run_calls(): wall ns per BPF_PROG_TEST_RUN call over n calls; *kern
 * accumulates the kernel-timed ns. new_flow makes every call a 5-tuple never
 * seen before (source port and the low 16 bits of the source address count
 * up together), so a SYN always inserts.
 */
static double run_calls(int fd, uint8_t *frame, int want, int new_flow, int n, double *kern)
{
	static uint8_t out[512];
	static uint32_t flow;
	struct xdp_md ctx = { .data_end = 64, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = 64,
		    .data_out = out, .data_size_out = sizeof(out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	uint64_t t0, ksum = 0;

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (new_flow) {
			uint16_t sport = 1024 + flow % 64000;
			uint16_t host = flow / 64000;

			flow++;
			frame[28] = host >> 8;
			frame[29] = host;
			frame[34] = sport >> 8;
			frame[35] = sport;
		}
		o.data_size_out = sizeof(out);
		if (bpf_prog_test_run_opts(fd, &o) || (int)o.retval != want)
			return -1;
		ksum += o.duration;
	}
	*kern = (double)ksum / n;
	return (double)(now_ns() - t0) / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * low(): the 10th percentile. Other processes on the machine only ever add
 * time, so a low percentile of per-batch means tracks the program's own
 * cost more steadily than the median does (the median is printed beside it).
 */
static double low(const double *v, int n)
{
	double c[n];

	memcpy(c, v, sizeof(c));
	qsort(c, n, sizeof(*c), cmp_double);
	return c[n / 10];
}

/* One loaded build of the balancer: this tree's skeleton, or the SL_BENCH_CMP object. */
struct lb_inst {
	struct bpf_object *obj;
	int prog, config, ring;
	__u32 cfg_flags;        /* SL_CFG_F_VIP_ADDRS when this build has sl_vip_addrs */
};

static int map_fd(struct lb_inst *in, const char *name)
{
	return bpf_object__find_map_fd_by_name(in->obj, name);
}

/* lb_open(): open (from the skeleton's object or a file), unpin, size conntrack, load. 0 or -1. */
static int lb_open(struct lb_inst *in, struct bpf_object *obj, const char *ct_env)
{
	struct bpf_program *prog;
	struct bpf_map *m;

	in->obj = obj;
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);  /* never touch a running sluiced's pins */
	if (getenv(ct_env))   /* default: the production size, SL_CT_DEFAULT */
		bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "sl_conntrack"), atoi(getenv(ct_env)));
	if (bpf_object__load(obj))
		return -1;
	prog = bpf_object__find_program_by_name(obj, "sl_lb");
	in->prog = prog ? bpf_program__fd(prog) : -1;
	in->config = map_fd(in, "sl_config");
	return in->prog >= 0 && in->config >= 0 ? 0 : -1;
}

/*
 * lb_set_vip(): one sl_vips entry with id @id, counted in sl_vip_addrs first
 * and given its sl_vip_ids slot after, when the build has those maps (as the
 * control plane's l4_maps_set_vip() does).
 */
static void lb_set_vip(struct lb_inst *in, const char *addr, uint32_t id, uint32_t flags)
{
	struct sl_vip_key vk = { .port = htons(80), .proto = 6, .family = SL_AF_INET };
	struct sl_vip_meta vm = { .id = id, .flags = flags };
	struct sl_vip_addr_count ac = { 0 };
	int fd = map_fd(in, "sl_vip_addrs"), ids = map_fd(in, "sl_vip_ids");

	inet_pton(AF_INET, addr, vk.addr);
	if (fd >= 0) {
		__u32 slot = sl_vip_addr_slot(vk.addr);

		bpf_map_lookup_elem(fd, &slot, &ac);
		ac.all++;
		bpf_map_update_elem(fd, &slot, &ac, 0);
		in->cfg_flags = SL_CFG_F_VIP_ADDRS;
	}
	bpf_map_update_elem(map_fd(in, "sl_vips"), &vk, &vm, 0);
	if (ids >= 0) {
		struct sl_vip_id_entry e = { .key = vk, .meta = vm };

		bpf_map_update_elem(ids, &id, &e, 0);
	}
}

/* lb_seed(): one VIP (and a DSR twin), two backends, a production-size table (65537 slots). */
static int lb_seed(struct lb_inst *in, struct sl_config *cfg)
{
	LIBBPF_OPTS(bpf_map_create_opts, ro, .map_flags = BPF_F_INNER_MAP);
	struct sl_backend be = { .family = SL_AF_INET };
	__u32 zero = 0, id, msize = SL_RING_DEFAULT;

	lb_set_vip(in, "198.18.100.1", 1, 0);
	/* the same table behind an L2 DSR VIP (id 2): its packets keep their size, so repeat works */
	lb_set_vip(in, "198.18.100.2", 2, SL_VIP_F_DSR);
	cfg->flags = in->cfg_flags;
	if (bpf_map_update_elem(in->config, &zero, cfg, 0))
		return -1;
	for (id = 1; id <= 2; id++) {
		inet_pton(AF_INET, id == 1 ? "198.18.0.10" : "198.18.0.11", be.addr);
		bpf_map_update_elem(map_fd(in, "sl_backends"), &id, &be, 0);
	}
	in->ring = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_ring", 4, 4, SL_RING_DEFAULT + 1, &ro);
	if (in->ring < 0)
		return -1;
	bpf_map_update_elem(in->ring, &zero, &msize, 0);
	for (__u32 s = 1; s <= SL_RING_DEFAULT; s++) {
		id = 1 + (s % 2);
		bpf_map_update_elem(in->ring, &s, &id, 0);
	}
	for (id = 1; id <= 2; id++)
		if (bpf_map_update_elem(map_fd(in, "sl_rings"), &id, &in->ring, 0))
			return -1;
	return 0;
}

/* lb_track(): a SYN for the flows the ACK paths then reuse. 0 or -1. */
static int lb_track(struct lb_inst *in)
{
	uint8_t s[64];
	double kk;

	frame64(s, "198.18.100.1", 999, 0x02);
	if (run_calls(in->prog, s, XDP_TX, 0, 1, &kk) < 0)
		return -1;
	frame64(s, "198.18.100.2", 999, 0x02);
	return run_calls(in->prog, s, XDP_TX, 0, 1, &kk) < 0 ? -1 : 0;
}

/*
 * Per-call paths, measured in interleaved batches; P_PASS first: the others
 * are net of it. The four lb paths come twice: this build, then the
 * SL_BENCH_CMP one (skipped when there is none).
 */
enum { P_PASS, P_MIN, P_INS, P_SYN, P_SYNF, P_CT, P_NV, P_NV0, P_CSYN, P_CSYNF, P_CCT, P_CNV, P_CNV0, P_MAX };
#define P_LB_N 5
static const char *const p_name[P_MAX] = {
	"xdp_pass", "min_tx", "ct_insert", "lb_syn", "lb_syn_flood", "lb_ct_hit", "lb_non_vip", "lb_non_vip_no_port0",
	"cmp.lb_syn", "cmp.lb_syn_flood", "cmp.lb_ct_hit", "cmp.lb_non_vip", "cmp.lb_non_vip_no_port0",
};
static const double p_katran[P_MAX] = {
	0, 0, 0, KATRAN_SYN, KATRAN_SYN, KATRAN_CT, KATRAN_NONVIP, KATRAN_NONVIP,
	KATRAN_SYN, KATRAN_SYN, KATRAN_CT, KATRAN_NONVIP, KATRAN_NONVIP,
};
enum { R_PASS, R_NV, R_DSR, R_MIN, R_CNV, R_CDSR, R_MAX };
static const char *const r_name[R_MAX] = {
	"xdp_pass", "lb_non_vip", "lb_ct_hit_dsr", "min_tx", "cmp.lb_non_vip", "cmp.lb_ct_hit_dsr",
};

static double wall[P_MAX][BATCHES], kern[P_MAX][BATCHES], rep[R_MAX][ROUNDS];

int main(void)
{
	struct lb_inst inst[2] = { { .ring = -1 }, { .ring = -1 } };
	struct lb *lb;
	struct ct_insert *ci;
	struct min_tx *mt;
	struct xdp_pass *xp;
	uint8_t syn[64], ack[64], nonvip[64], minf[64], dsr[64], ins[64];
	struct sl_config cfg = { .udp_timeout_ns = SL_UDP_TIMEOUT_NS, .hash_seed = 1 };
	const char *cmp = getenv("SL_BENCH_CMP"), *only = getenv("SL_BENCH_ONLY");
	int batches = getenv("SL_BENCH_BATCHES") ? atoi(getenv("SL_BENCH_BATCHES")) : BATCHES;
	int n_inst = cmp ? 2 : 1, mtfd, xpfd, cifd;
	__u32 zero = 0;

	if (batches < 10 || batches > BATCHES)
		batches = BATCHES;
	if (geteuid() != 0) {
		fprintf(stderr, "bpf_ns: needs root\n");
		return 77;
	}
	if (setup_netns()) {
		fprintf(stderr, "bpf_ns: netns setup failed\n");
		return 77;
	}
	ifindex = if_nametoindex("sl0");

	lb = lb__open();
	mt = min_tx__open_and_load();
	xp = xdp_pass__open_and_load();
	ci = ct_insert__open();
	if (!lb || !mt || !xp || !ci)
		return 1;
	if (getenv("SL_BENCH_CT_ENTRIES"))   /* the floor's map stays the size of sl_lb's */
		bpf_map__set_max_entries(ci->maps.ct_floor, atoi(getenv("SL_BENCH_CT_ENTRIES")));
	if (ct_insert__load(ci))
		return 1;
	if (lb_open(&inst[0], lb->obj, "SL_BENCH_CT_ENTRIES")) {
		fprintf(stderr, "bpf_ns: loading sl_lb failed\n");
		return 1;
	}
	if (cmp && lb_open(&inst[1], bpf_object__open_file(cmp, NULL), "SL_BENCH_CMP_CT_ENTRIES")) {
		fprintf(stderr, "bpf_ns: loading %s failed\n", cmp);
		return 1;
	}
	mtfd = bpf_program__fd(mt->progs.min_tx);
	xpfd = bpf_program__fd(xp->progs.xdp_pass);
	cifd = bpf_program__fd(ci->progs.ct_insert);

	inet_pton(AF_INET, "198.18.0.64", &cfg.tunnel_src4);
	cfg.tunnel_src4_mask = htonl(0x3f);
	for (int i = 0; i < n_inst; i++)
		if (lb_seed(&inst[i], &cfg)) {
			fprintf(stderr, "bpf_ns: seeding the maps failed\n");
			return 1;
		}
	{
		__u32 dst;

		inet_pton(AF_INET, "198.18.100.1", &dst);
		bpf_map_update_elem(bpf_map__fd(mt->maps.min_tx_dsts), &dst, &zero, 0);
	}
	frame64(syn, "198.18.100.1", 1024, 0x02);
	frame64(ins, "198.18.100.1", 1024, 0x02);
	frame64(ack, "198.18.100.1", 999, 0x10);
	frame64(nonvip, "198.18.100.9", 999, 0x10);
	frame64(minf, "198.18.100.1", 999, 0x10);
	frame64(dsr, "198.18.100.2", 999, 0x10);
	for (int i = 0; i < n_inst; i++)
		if (lb_track(&inst[i])) {
			fprintf(stderr, "bpf_ns: sl_lb does not forward the SYN (XDP_TX expected)\n");
			return 1;
		}

	{
		int fds[P_MAX] = { xpfd, mtfd, cifd, inst[0].prog, inst[0].prog, inst[0].prog, inst[0].prog, inst[0].prog,
				   inst[1].prog, inst[1].prog, inst[1].prog, inst[1].prog, inst[1].prog };
		uint8_t *frames[P_MAX] = { nonvip, minf, ins, syn, syn, ack, nonvip, nonvip, syn, syn, ack, nonvip, nonvip };
		int want[P_MAX] = { XDP_PASS, XDP_TX, XDP_TX, XDP_TX, XDP_TX, XDP_TX, XDP_PASS, XDP_PASS,
				    XDP_TX, XDP_TX, XDP_TX, XDP_PASS, XDP_PASS };
		int rfds[R_MAX] = { xpfd, inst[0].prog, inst[0].prog, mtfd, inst[1].prog, inst[1].prog };
		uint8_t *rframes[R_MAX] = { nonvip, nonvip, dsr, minf, nonvip, dsr };
		int rwant[R_MAX] = { XDP_PASS, XDP_PASS, XDP_TX, XDP_TX, XDP_PASS, XDP_TX };
		int np = cmp ? P_MAX : P_CSYN, nr = only ? 0 : cmp ? R_MAX : R_CNV;
		double d[BATCHES], base_w, base_k, v[P_MAX];

		for (int b = 0; b < batches; b++)
			for (int p = 0; p < np; p++) {
				struct lb_inst *in = &inst[p >= P_CSYN];
				bool nv0 = p == P_NV0 || p == P_CNV0, flood = p == P_SYNF || p == P_CSYNF;
				bool fresh = p == P_INS || p == P_SYN || p == P_CSYN || flood;

				if (only && p != P_PASS && !strstr(only, p_name[p]))
					continue;

				/*
				 * lb_non_vip_no_port0: the control plane's SL_CFG_F_NO_PORT0 promise (true here);
				 * lb_syn_flood: an insert rate of 1 a second, long used up (lb_syn: no limit)
				 */
				if (p >= P_SYN) {
					cfg.flags = in->cfg_flags | (nv0 ? SL_CFG_F_NO_PORT0 : 0);
					cfg.ct_insert_rate = flood;
					bpf_map_update_elem(in->config, &zero, &cfg, 0);
				}
				if ((wall[p][b] = run_calls(fds[p], frames[p], want[p], fresh, BATCH, &kern[p][b])) < 0) {
					fprintf(stderr, "bpf_ns: %s: run failed or unexpected verdict\n", p_name[p]);
					return 1;
				}
			}
		for (int i = 0; i < n_inst; i++) {
			cfg.flags = inst[i].cfg_flags;
			cfg.ct_insert_rate = 0;
			bpf_map_update_elem(inst[i].config, &zero, &cfg, 0);
		}
		for (int i = 0; i < ROUNDS; i++)
			for (int p = 0; p < nr; p++)
				if ((rep[p][i] = run_repeat(rfds[p], rframes[p], rwant[p])) < 0) {
					fprintf(stderr, "bpf_ns: %s: repeat run failed\n", r_name[p]);
					return 1;
				}

		base_w = low(wall[P_PASS], batches);
		base_k = low(kern[P_PASS], batches);
		printf("# sl_lb ns/packet via BPF_PROG_TEST_RUN, 64-byte frames\n");
		if (cmp)
			printf("# cmp.* rows: %s, timed in the same batches\n", cmp);
		printf("# per_call: %d batches x %d calls, programs interleaved batch by batch.\n"
		       "#   ns/pkt = p10 over batches of wall ns per call, minus XDP_PASS's p10 (%.1f ns per call);\n"
		       "#   median = the same with medians of paired batch differences; kernel = kernel-timed\n"
		       "#   ns per run, p10, minus XDP_PASS's (%.1f ns).\n", batches, BATCH, base_w, base_k);
		printf("# repeat: %d runs in one call, kernel average, median of %d (not net of anything)\n", REPEAT, ROUNDS);
		printf("# %-28s %8s %9s %8s %8s %8s%s\n", "path", "ns/pkt", "median", "kernel", "katran", "ratio",
		       cmp ? " this/cmp" : "");
		for (int p = 1; p < np; p++) {
			char name[64];

			v[p] = low(wall[p], batches) - base_w;
			for (int b = 0; b < batches; b++)
				d[b] = wall[p][b] - wall[P_PASS][b];
			snprintf(name, sizeof(name), "%s.per_call", p_name[p]);
			printf("%-30s %8.1f ns %8.1f %8.1f", name, v[p], median(d, batches), low(kern[p], batches) - base_k);
			if (p_katran[p] > 0)
				printf(" %8.0f %8.2f", p_katran[p], v[p] / p_katran[p]);
			else
				printf("        -        -");
			if (p >= P_CSYN && v[p] > 0)
				printf(" %8.2f", v[p - P_LB_N] / v[p]);
			printf("\n");
		}
		/* for bench/bpf_ns.sh: what the kernel's insert alone weighs, against Katran's whole SYN and ours */
		printf("ratio ct_insert/katran_ref.lb_syn bpf_ns.ct_insert.per_call bpf_ns.katran_ref.lb_syn.per_call -\n");
		printf("ratio lb_syn/ct_insert bpf_ns.lb_syn.per_call bpf_ns.ct_insert.per_call -\n");
		printf("ratio lb_syn/lb_syn_flood bpf_ns.lb_syn.per_call bpf_ns.lb_syn_flood.per_call -\n");
		for (int p = 0; p < nr; p++) {
			char name[64];

			snprintf(name, sizeof(name), "%s.repeat", r_name[p]);
			printf("%-30s %8.1f ns        -        -        -        -\n", name, median(rep[p], ROUNDS));
		}
	}
	for (int i = 0; i < n_inst; i++)
		close(inst[i].ring);
	if (cmp)
		bpf_object__close(inst[1].obj);
	lb__destroy(lb);
	min_tx__destroy(mt);
	ct_insert__destroy(ci);
	xdp_pass__destroy(xp);
	return 0;
}
