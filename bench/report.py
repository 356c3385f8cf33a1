#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Turns a bench run's raw scenario output into results.tsv, summary.tsv, plot data and results.md; --publish copies a report to bench/results/latest/ and README.md.
"""Usage:
  report.py DIR SCENARIOS REPS      aggregate DIR/raw/* (written by bench/run.sh)
  report.py --publish DIR ROOT      copy DIR's report to ROOT/bench/results/latest/, refresh README.md

Each figure: minimum, median and maximum over the reps. Each ratio: computed
inside one rep from two figures of that rep, then minimum / median / maximum
of those per-rep ratios, so run-to-run drift never enters a ratio."""
import glob
import os
import re
import shutil
import statistics
import sys


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3f}"


def target_met(target, v):
    if target in ("-", ""):
        return "-"
    for op in (">=", "<=", ">", "<"):
        if target.startswith(op):
            try:
                t = float(target[len(op):])
            except ValueError:
                return "?"
            ok = {">=": v >= t, "<=": v <= t, ">": v > t, "<": v < t}[op]
            return "yes" if ok else "NO"
    return "?"


class Scenario:
    def __init__(self, name):
        self.name = name
        self.figures = {}      # name -> [value per rep]
        self.units = {}
        self.ratios = {}       # name -> (target, [value per rep])
        self.cores = []        # (prefix, text), in order given
        self.skipped = {}      # what -> reason
        self.notes = []
        self.runs = {}         # rep -> "done" | "skipped: why" | "failed: why"

    def cores_of(self, fig):
        best = None
        for prefix, text in self.cores:
            if prefix == "*" or fig.startswith(prefix):
                if best is None or len(prefix) > len(best[0]) or best[0] == "*":
                    best = (prefix, text)
        return best[1] if best else "(not stated)"


def parse(out, name, reps, tsv):
    sc = Scenario(name)
    for r in range(1, reps + 1):
        path = os.path.join(out, "raw", f"{name}.rep{r}.tsv")
        if not os.path.exists(path):
            continue
        sc.runs[r] = "done"
        rep_fig, rep_ratios = {}, []
        for line in open(path, errors="replace"):
            f = line.split()
            if not f:
                continue
            rest = line.split(None, 1)[1].strip() if len(f) > 1 else ""
            kind = f[0]
            if kind == "skip":
                sc.runs[r] = "skipped" + (f": {rest}" if rest else "")
            elif kind == "failed":
                sc.runs[r] = "FAILED" + (f": {rest}" if rest else "")
            elif kind == "figure" and len(f) >= 3:
                try:
                    rep_fig[f[1]] = float(f[2])
                except ValueError:
                    continue
                sc.units[f[1]] = f[3] if len(f) > 3 else ""
                tsv.append(f"{name}\t{r}\tfigure\t{f[1]}\t{f[2]}\t{sc.units[f[1]]}")
            elif kind == "ratio" and len(f) >= 4:
                rep_ratios.append((f[1], f[2], f[3], f[4] if len(f) > 4 else "-"))
            elif kind == "cores" and len(f) >= 3:
                entry = (f[1], rest.split(None, 1)[1])
                if entry not in sc.cores:
                    sc.cores.append(entry)
            elif kind == "skipped" and len(f) >= 2:
                sc.skipped[f[1]] = rest.split(None, 1)[1] if len(f) > 2 else "(no reason given)"
            elif kind == "note" and rest and rest not in sc.notes:
                sc.notes.append(rest)
        for k, v in rep_fig.items():
            sc.figures.setdefault(k, []).append(v)
        for rname, num, den, target in rep_ratios:
            if num in rep_fig and den in rep_fig and rep_fig[den] > 0:
                v = rep_fig[num] / rep_fig[den]
                sc.ratios.setdefault(rname, (target, []))[1].append(v)
                tsv.append(f"{name}\t{r}\tratio\t{rname}\t{v:.4f}\t")
    return sc


def cdf_data(out, sc):
    """Latency CDFs a scenario left as DIR/cdf-GROUP-SERIES.tsv (percentile, ms) per rep:
    the median over reps per percentile, one file per GROUP with a column per SERIES."""
    groups = {}
    for path in sorted(glob.glob(os.path.join(out, "raw", f"{sc.name}.rep*.d", "cdf-*.tsv"))):
        m = re.match(r"cdf-([A-Za-z0-9_.]+)-([A-Za-z0-9_.]+)\.tsv$", os.path.basename(path))
        if not m:
            continue
        series = groups.setdefault(m.group(1), {}).setdefault(m.group(2), {})
        for line in open(path):
            f = line.split()
            try:
                series.setdefault(float(f[0]), []).append(float(f[1]))
            except (ValueError, IndexError):
                continue
    os.makedirs(os.path.join(out, "plotdata"), exist_ok=True)
    for group, by_series in groups.items():
        names = sorted(by_series, key=lambda s: (s != "direct", s != "sluiced", s))
        pcts = sorted(set().union(*[set(v) for v in by_series.values()]))
        with open(os.path.join(out, "plotdata", f"{sc.name}.cdf-{group}.tsv"), "w") as fh:
            fh.write("percentile\t" + "\t".join(names) + "\n")
            for p in pcts:
                row = [f"{statistics.median(by_series[s][p]):.4f}" if p in by_series[s] else "NaN" for s in names]
                fh.write(f"{p}\t" + "\t".join(row) + "\n")


def aggregate(out, scenarios, reps):
    md = ["# Sluice benchmark results", ""]
    md += ["```"] + open(os.path.join(out, "env.txt")).read().splitlines() + ["```", ""]
    md += ["Figures: minimum / median / maximum over the reps. Ratios: computed inside each rep "
           "from two figures of that rep, then minimum / median / maximum of those ratios.", ""]
    first = ["l4_pps", "l7_rps", "l7_rps_per_core", "l7_per_null", "l7_p99", "l7_latency_cdf_100b", "l7_latency_cdf_10k",
             "l7_conns", "idle_mem"]
    pngs = sorted((os.path.basename(p) for p in glob.glob(os.path.join(out, "*.png"))),
                  key=lambda n: (first.index(n[:-4]) if n[:-4] in first else len(first), n))
    if pngs:
        md += ["## Plots", ""]
        for p in pngs:
            md.append(f"![{p[:-4]}]({p})")
            md.append("")
    elif os.path.exists(os.path.join(out, "plot.log")):
        why = open(os.path.join(out, "plot.log")).read().strip().splitlines()
        md += ["## Plots", "", f"none: {why[-1] if why else 'see plot.log'}", ""]
    tsv = ["scenario\trep\tkind\tname\tvalue\tunit"]
    summary = ["scenario\tfigure\tunit\tmin\tmedian\tmax\treps\tcores"]
    for s in scenarios:
        md.append(f"## {s}")
        md.append("")
        miss = os.path.join(out, "raw", f"{s}.missing")
        if os.path.exists(miss):
            md += [f"not run: {open(miss).read().strip()}", ""]
            continue
        sc = parse(out, s, reps, tsv)
        cdf_data(out, sc)
        bad = [f"rep {r}: {w}" for r, w in sorted(sc.runs.items()) if w != "done"]
        if not sc.figures:
            md.append("no figures: " + ("; ".join(bad) if bad else "see raw/*.log"))
            md.append("")
            continue
        # Which cores did what: one line when every figure shares it, else a key per figure.
        splits = list(dict.fromkeys(sc.cores_of(k) for k in sc.figures))
        keys = {c: chr(ord("A") + i) for i, c in enumerate(splits)}
        if len(splits) == 1:
            md.append(f"Cores, every figure: {splits[0]}.")
        else:
            md += [f"Cores {keys[c]}: {c}." for c in splits]
        md.append("")
        md.append("| figure | unit | min | median | max | reps | cores |")
        md.append("| --- | --- | ---: | ---: | ---: | ---: | --- |")
        for k, v in sc.figures.items():
            cores = sc.cores_of(k)
            md.append(f"| {k} | {sc.units[k]} | {fmt(min(v))} | {fmt(statistics.median(v))} | "
                      f"{fmt(max(v))} | {len(v)} | {keys[cores]} |")
            summary.append(f"{s}\t{k}\t{sc.units[k]}\t{min(v):.6g}\t{statistics.median(v):.6g}\t"
                           f"{max(v):.6g}\t{len(v)}\t{cores}")
        if sc.ratios:
            md.append("")
            md.append("| ratio (within each rep) | target | min | median | max | median meets target |")
            md.append("| --- | --- | ---: | ---: | ---: | --- |")
            for k, (target, v) in sc.ratios.items():
                med = statistics.median(v)
                md.append(f"| {k} | {target} | {fmt(min(v))} | {fmt(med)} | {fmt(max(v))} | {target_met(target, med)} |")
        if sc.skipped:
            md.append("")
            for what, why in sc.skipped.items():
                md.append(f"- skipped {what}: {why}")
        for b in bad:
            md.append("")
            md.append(f"- {b}")
        for n in sc.notes:
            md.append("")
            md.append(f"_{n}_")
        md.append("")
    left = os.path.join(out, "leftovers.txt")
    md.append("## Leftovers")
    md.append("")
    if os.path.exists(left) and os.path.getsize(left):
        md.append("Found after the run, then removed (a scenario did not clean up):")
        md.append("")
        md += [f"- {line.strip()}" for line in open(left) if line.strip()]
    else:
        md.append("none: no process, namespace or BPF pin of this run was left after it.")
    md.append("")
    open(os.path.join(out, "results.md"), "w").write("\n".join(md) + "\n")
    open(os.path.join(out, "results.tsv"), "w").write("\n".join(tsv) + "\n")
    open(os.path.join(out, "summary.tsv"), "w").write("\n".join(summary) + "\n")


# The figures the README shows (those present), in this order; every other one is in results.md.
HEADLINE = ["l4.xdp_drop", "l4.xdp_tx", "l4.xdp_fwd", "l4.sluice_ipip", "l4.sluice_dsr", "l4.kernel_fwd",
            "l4.nft_dnat", "l4.xdp_tx_ns", "l4.sluice_ipip_ns", "l4.sluice_dsr_ns", "l4.sluice_ipip6_ns",
            "l4.sluice_ipip_syn_ns", "l4.nft_dnat_ns", "l7.direct_100b_rps"] + \
    [f"l7.{p}_100b_{m}" for p in ("sluiced", "nginx", "haproxy") for m in ("rps", "rps_per_core", "p99")] + \
    ["l7.null_100b_rps_per_core"] + [f"l7.{p}_{s}_per_null" for s in ("100b", "10k") for p in ("sluiced", "nginx", "haproxy")] + \
    [f"idle_mem.{p}_rss_per_conn" for p in ("sluiced", "nginx", "haproxy")] + \
    [f"tls.{p}_{f}" for f in ("100b_rps_per_core", "full_hs_per_core", "resumed_hs_per_core")
     for p in ("sluiced", "nginx", "haproxy")] + \
    [f"h2.{p}_{s}_rps_per_core" for s in ("100b", "10k") for p in ("sluiced", "nginx", "haproxy")]

BEGIN, END = "<!-- bench:begin (bench/report.py --publish writes this block) -->", "<!-- bench:end -->"


def publish(out, root):
    """Only the report itself is kept in git (bench/results/latest/): results.md, the two
    TSVs, env.txt, the plots and their data; raw/ stays in the dated directory."""
    latest = os.path.join(root, "bench", "results", "latest")
    shutil.rmtree(latest, ignore_errors=True)
    os.makedirs(latest)
    for name in ["results.md", "results.tsv", "summary.tsv", "env.txt"] + \
            [os.path.basename(p) for p in glob.glob(os.path.join(out, "*.png"))]:
        shutil.copy(os.path.join(out, name), latest)
    if os.path.isdir(os.path.join(out, "plotdata")):
        shutil.copytree(os.path.join(out, "plotdata"), os.path.join(latest, "plotdata"))
    env = dict(line.split(": ", 1) for line in open(os.path.join(out, "env.txt")).read().splitlines() if ": " in line)
    # The headline: every ratio with a target, from the report's own tables.
    rows, scen = [], None
    for line in open(os.path.join(out, "results.md")):
        if line.startswith("## "):
            scen = line[3:].strip()
        f = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(f) == 6 and f[1] not in ("target", "-", "---") and f[0] != "---":
            rows.append(f"| {scen} | {f[0]} | {f[1]} | {f[3]} | {f[2]} .. {f[4]} | {f[5]} |")
    load = env.get("load before the run", "?")
    try:
        busy = float(load.split()[0]) >= 0.5
    except (ValueError, IndexError):
        busy = True
    block = [BEGIN, "",
             f"Latest full run: {env.get('date', '?')} on {env.get('host', '?')}, "
             f"{env.get('cpus', '?').replace(' (', ' CPUs (', 1)}; "
             f"{env.get('args', '')}; load before the run {load}."]
    if busy:
        block.append("The machine was shared with other work while it ran (a loaded 2-core VM): "
                     "read the ratios, measured side by side inside each rep, more than absolute numbers.")
    block.append("")
    shown = ["l4_pps.png", "l7_rps_per_core.png", "l7_latency_cdf_100b.png", "l7_conns.png", "idle_mem.png"]
    shown += sorted(os.path.basename(p) for p in glob.glob(os.path.join(latest, "cache_*.png")))
    for png in shown:
        if os.path.exists(os.path.join(latest, png)):
            block += [f"![{png[:-4]}](bench/results/latest/{png})", ""]
    figs = {}
    for line in open(os.path.join(out, "summary.tsv")).read().splitlines()[1:]:
        f = line.split("\t")
        if len(f) >= 8:
            figs[f[1]] = f
    head = [k for k in HEADLINE if k in figs]
    if head:
        splits = list(dict.fromkeys(figs[k][7] for k in head))
        keys = {c: chr(ord("A") + i) for i, c in enumerate(splits)}
        block += ["| figure | unit | median | min .. max | reps | cores |",
                  "| --- | --- | ---: | ---: | ---: | --- |"]
        for k in head:
            f = figs[k]
            block.append(f"| {k} | {f[2]} | {fmt(float(f[4]))} | {fmt(float(f[3]))} .. {fmt(float(f[5]))} | "
                         f"{f[6]} | {keys[f[7]]} |")
        block += [""] + [f"Cores {keys[c]}: {c}." for c in splits] + [""]
    if rows:
        block += ["| scenario | ratio (within each rep) | target | median | min .. max | meets target |",
                  "| --- | --- | --- | ---: | ---: | --- |"] + rows + [""]
    block += ["Every figure, with its core split, and every plot: "
              "[bench/results/latest/results.md](bench/results/latest/results.md).", "", END]
    readme = os.path.join(root, "README.md")
    text = open(readme).read()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(block) + text[text.index(END) + len(END):]
    else:
        print(f"report.py: README.md has no '{BEGIN}' block; not updated", file=sys.stderr)
        return 1
    open(readme, "w").write(text)
    print(f"report.py: published {out} to {latest} and README.md", file=sys.stderr)
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--publish":
        return publish(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    aggregate(sys.argv[1], [s for s in sys.argv[2].split(",") if s], int(sys.argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
