#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the measurements of `make bench` into BENCHMARKS.md and its plots.

Usage: bench.py RESULTS REPO

RESULTS holds the lines "cgdrv_bench SWEEP X CASE REP VALUE" that
lib/cgroup_driver_benchmark.c and harness/guest-bench.sh wrote, plus "# key
value" lines about the machine. Repetition 0 is the warm-up and is left
out. Every figure is the median of the repetitions, with their range as
the spread. The tables replace what lies between the markers of
BENCHMARKS.md and README.md; the plots go to benchmarks/*.svg.
"""

import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BEGIN = "<!-- bench results: written by harness/bench.py -->"
END = "<!-- end of bench results -->"


class Results:
    def __init__(self, path):
        self.values = defaultdict(list)
        self.machine = {}
        with open(path) as f:
            for line in f:
                words = line.split()
                if line.startswith("# ") and len(words) >= 2:
                    self.machine[words[1]] = " ".join(words[2:])
                elif words[:1] == ["cgdrv_bench"] and len(words) == 6:
                    sweep, x, case, rep, value = words[1:]
                    if int(rep) > 0 or sweep == "memory":
                        self.values[(sweep, int(x), case)].append(int(value))

    def check(self):
        """Every measurement has one value per repetition, or the module
        or the guest script printed something other than it meant to."""
        reps = self.reps()
        bad = [f"{' '.join(map(str, k))}: {len(v)}" for k, v in self.values.items()
               if k[0] != "memory" and len(v) != reps]
        if bad:
            sys.exit(f"not {reps} repetitions of each measurement: " + ", ".join(bad))

    def has(self, sweep, x, case):
        return (sweep, x, case) in self.values

    def median(self, sweep, x, case):
        return statistics.median(self.values[(sweep, x, case)])

    def spread(self, sweep, x, case):
        v = self.values[(sweep, x, case)]
        return min(v), max(v)

    def xs(self, sweep):
        return sorted({x for (s, x, _) in self.values if s == sweep})

    def reps(self):
        """How many repetitions most measurements have; check() requires all."""
        return statistics.mode(len(v) for (s, _, _), v in self.values.items() if s != "memory")


def ns(ps):
    return ps / 1000


def fmt(r, sweep, x, case, scale=ns, unit=""):
    """The median and the range of the repetitions, scaled."""
    if not r.has(sweep, x, case):
        return "n/a"
    lo, hi = r.spread(sweep, x, case)
    return f"{scale(r.median(sweep, x, case)):.1f}{unit} ({scale(lo):.1f}–{scale(hi):.1f})"


def ratio(r, a, b):
    if not (r.has(*a) and r.has(*b)):
        return None
    return r.median(*a) / r.median(*b)


def fratio(value):
    return "n/a" if value is None else f"{value:.2f}x"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def registrations(r):
    rows = []
    for x in r.xs("registrations"):
        s = "registrations"
        rows.append([x] + [fmt(r, s, x, c) for c in ("core", "find", "rfc", "floor", "helpers")] + [
            fratio(ratio(r, (s, x, "core"), (s, x, "floor"))),
            fratio(ratio(r, (s, x, "rfc"), (s, x, "core"))),
            fratio(ratio(r, (s, x, "core"), (s, 1, "core")))])
    return table(["registrations", "core get_data, ns", "core find_data, ns", "rfc, ns",
                  "floor, ns", "helpers, ns", "core / floor", "rfc / core",
                  "core / core at 1"], rows)


def cgroups(r):
    rows = []
    for x in r.xs("cgroups"):
        s = "cgroups"
        rows.append([x] + [fmt(r, s, x, c) for c in ("core", "rfc", "floor")] + [
            fratio(ratio(r, (s, x, "core"), (s, x, "floor"))),
            fratio(ratio(r, (s, x, "rfc"), (s, x, "core")))])
    return table(["cgroups", "core, ns", "rfc, ns", "floor, ns", "core / floor",
                  "rfc / core"], rows)


def cpus(r):
    rows = []
    for s in ("cpus-same", "cpus-diff"):
        xs = r.xs(s)
        for x in xs:
            rows.append([s.split("-")[1] + " cgroup" + ("" if s == "cpus-same" else "s"), x] +
                        [fmt(r, s, x, c) for c in ("core", "rfc", "floor")] +
                        [fratio(ratio(r, (s, x, c), (s, xs[0], c))) for c in ("core", "rfc")])
    return table(["cgroup of each CPU", "CPUs", "core, ns per lookup per CPU", "rfc, ns",
                  "floor, ns", "core / core on 1 CPU", "rfc / rfc on 1 CPU"], rows)


def misses(r):
    rows = []
    for x in r.xs("misses"):
        rows.append([x, fmt(r, "misses", x, "core"),
                     fratio(ratio(r, ("misses", x, "core"), ("cgroups", 10000, "core"))),
                     fratio(ratio(r, ("misses", x, "core"), ("registrations", 1, "core")))])
    return table(["fresh cgroups", "miss (allocate and store), ns",
                  "miss / hit over 10,000 cgroups", "miss / hit on 1 cgroup"], rows)


def marginal(r, lo, hi):
    """ns per object that release adds from @lo objects to @hi: its fixed
    costs (one grace period) drop out."""
    return (r.median("release", hi, "total") - r.median("release", lo, "total")) / (hi - lo)


def release(r):
    rows = []
    prev = None
    for x in r.xs("release"):
        per = r.median("release", x, "total") / x
        rows.append([f"{x:,}", fmt(r, "release", x, "total", lambda v: v / 1e6, " ms"),
                     f"{per:.0f}", "" if prev is None else f"{marginal(r, prev, x):.0f}",
                     fmt(r, "release", x, "hold", lambda v: v / 1e6, " ms")])
        prev = x
    return table(["objects", "cgroup_driver_release()", "ns per object",
                  "ns per added object", "longest cgroup_mutex hold"], rows)


def free_path(r):
    rows = []
    for x in r.xs("free"):
        rows.append([x, fmt(r, "free", x, "without", lambda v: v / 1000, " µs"),
                     fmt(r, "free", x, "with", lambda v: v / 1000, " µs"),
                     fratio(ratio(r, ("free", x, "with"), ("free", x, "without")))])
    return table(["cgroups removed at once", "without data, per cgroup",
                  "with data, per cgroup", "with / without"], rows)


# The demo's workload: what an interactive job may wait for on an engine
# that never preempts, its own time plus the longest batch job's, in ns.
INTERACTIVE_NS = 1_000_000
BATCH_NS = 20_000_000
SAMPLES = (("drm", "C DRM sample (GPU scheduler, hrtimer)"),
           ("rust", "Rust sample (its own engine, jiffies)"))
MODES = (("offsets", "offsets +200 / -300"), ("none", "no offsets (baseline)"))


def scheduling(r):
    rows = []
    limit = INTERACTIVE_NS + BATCH_NS
    for sample, label in SAMPLES:
        s = f"sched-{sample}"
        for mode, what in MODES:
            if not r.has(s, 99, mode):
                continue
            rows.append([label, what,
                         fmt(r, s, 50, mode, lambda v: v / 1e6, " ms"),
                         fmt(r, s, 99, mode, lambda v: v / 1e6, " ms"),
                         fratio(r.median(s, 99, mode) / limit)])
    return table(["sample", "cgroups", "interactive latency, median", "p99",
                  f"p99 / {limit / 1e6:.0f} ms (1 ms own + 20 ms batch job)"], rows)


def latencies(results_dir, sample, mode):
    """Every interactive latency of the repetitions after the warm-up, in ms."""
    out = []
    for name in sorted(os.listdir(results_dir)):
        parts = name[:-len(".txt")].split("-")
        if name.startswith("latency-") and parts[1:3] == [sample, mode] and parts[3] != "0":
            with open(os.path.join(results_dir, name)) as f:
                out += [int(line) / 1e6 for line in f if line.strip()]
    return sorted(out)


def plot_scheduling(results_dir, outdir):
    fig, ax = figure()
    for sample, label in SAMPLES:
        for mode, what in MODES:
            lat = latencies(results_dir, sample, mode)
            if lat:
                ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))],
                        "-" if mode == "offsets" else "--", label=f"{sample}, {what}")
    ax.axvline((INTERACTIVE_NS + BATCH_NS) / 1e6, color="grey", linestyle=":",
               label="non-preemptive limit")
    ax.set_xscale("log")
    finish(fig, ax, os.path.join(outdir, "scheduling.svg"),
           "interactive job latency, ms (submission to end of WAIT)", "fraction of jobs",
           "Interactive latency beside a batch process", fontsize="small")


def helpers_share(r):
    """What the calls to rust/helpers add to a hit, as a share of it."""
    s = "registrations"
    if not all(r.has(s, 1, c) for c in ("helpers", "floor", "core")):
        return None
    return (r.median(s, 1, "helpers") - r.median(s, 1, "floor")) / r.median(s, 1, "core")


def targets(r):
    s = "registrations"
    hit = ratio(r, (s, 1, "core"), (s, 1, "floor"))
    many = ratio(r, (s, 1024, "core"), (s, 1, "core"))
    xs = r.xs("cpus-diff")
    cpu = ratio(r, ("cpus-diff", xs[-1], "core"), ("cpus-diff", xs[0], "core")) if xs else None
    rfc_cpu = ratio(r, ("cpus-diff", xs[-1], "rfc"), ("cpus-diff", xs[0], "rfc")) if xs else None
    rel = r.xs("release")
    linear = None
    if len(rel) >= 3:
        linear = marginal(r, rel[-2], rel[-1]) / marginal(r, rel[0], rel[1])

    def met(value, limit):
        if value is None:
            return "not measured"
        return "met" if value <= limit else "**not met**"

    rows = [
        ["hit, 1 CPU, 1 registration ≤ 2x floor", fratio(hit), met(hit, 2)],
        ["1,024 registrations ≤ 1.5x the 1-registration hit", fratio(many), met(many, 1.5)],
        ["all CPUs, per-CPU cost ≤ 1.2x one CPU (own cgroups)",
         f"{fratio(cpu)} (rfc: {fratio(rfc_cpu)})", met(cpu, 1.2)],
        ["release linear: ns per added object, 10,000 to 100,000 / 1,000 to 10,000",
         fratio(linear), met(linear, 1.5)],
    ]
    return table(["target", "measured", ""], rows), (hit, many, cpu, rfc_cpu)


def figure():
    """A figure whose SVG is the same for the same data (no date, fixed ids)."""
    plt.rcParams["svg.hashsalt"] = "cgdrv"
    plt.rcParams["svg.fonttype"] = "none"
    return plt.subplots(figsize=(7, 4.5))


def finish(fig, ax, path, xlabel, ylabel, title, **legend):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(**legend)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def plot(r, outdir):
    os.makedirs(outdir, exist_ok=True)
    styles = {"core": "o-", "rfc": "s--", "floor": "^:"}

    def series(ax, sweep, case, label):
        xs = [x for x in r.xs(sweep) if r.has(sweep, x, case)]
        if not xs:
            return
        med = [ns(r.median(sweep, x, case)) for x in xs]
        lo = [m - ns(r.spread(sweep, x, case)[0]) for m, x in zip(med, xs)]
        hi = [ns(r.spread(sweep, x, case)[1]) - m for m, x in zip(med, xs)]
        ax.errorbar(xs, med, yerr=[lo, hi], fmt=styles[case], capsize=3, label=label)

    fig, ax = figure()
    for case in ("core", "rfc", "floor"):
        series(ax, "registrations", case, case)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    finish(fig, ax, os.path.join(outdir, "registrations.svg"),
           "registrations alive on the cgroup", "ns per hit, 1 CPU (median, range)",
           "Cost of a hit against registrations")

    fig, ax = figure()
    for sweep in ("cpus-same", "cpus-diff"):
        for case in ("core", "rfc", "floor"):
            series(ax, sweep, case, f"{case}, {sweep.split('-')[1]} cgroup")
    ax.set_yscale("log")
    ax.set_xticks(sorted(set(r.xs("cpus-same")) | set(r.xs("cpus-diff"))))
    finish(fig, ax, os.path.join(outdir, "cpus.svg"), "CPUs looking up at once",
           "ns per hit per CPU (median, range)", "Cost of a hit against CPUs",
           fontsize="small")


def host_cpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def report(r):
    hits, (hit, many, cpu, rfc_cpu) = targets(r)
    share = helpers_share(r)
    accel = "KVM" if os.environ.get("CGDRV_KVM") == "1" else "QEMU TCG emulation (no KVM)"
    mem = {c: v[0] for (s, _, c), v in r.values.items() if s == "memory"}
    parts = [
        BEGIN,
        f"Machine: host CPU {host_cpu()}, {os.cpu_count()} cores; guest "
        f"{r.machine.get('cpus', '?')} CPUs ({r.machine.get('guest-cpu', '?')}), "
        f"{accel}; kernel {r.machine.get('kernel', '?')}. "
        f"Each figure: median of {r.reps()} repetitions after a warm-up, "
        "with their range in parentheses; ns per operation.",
        "### Targets", hits,
        "### Hits against registrations (1 CPU, one cgroup)", registrations(r),
        "![hit cost against registrations](benchmarks/registrations.svg)",
        "What the two calls to C helpers for RCU, which the core no longer makes, "
        "would add to its hit: (helpers − floor) / core = "
        + ("n/a" if share is None else f"**{share * 100:.0f}%**") + ".",
        "### Hits spread at random over cgroups (1 CPU, one registration)", cgroups(r),
        "### Hits on one CPU and on all at once", cpus(r),
        "![hit cost against CPUs](benchmarks/cpus.svg)",
        "### Misses", misses(r),
        "### Release", release(r),
        "### The free path: from rmdir until the cgroup is freed", free_path(r),
        "### Scheduling by the priority: an interactive process beside a batch one",
        "Per run of 3 s, the median and the 99th percentile of the interactive "
        "process's job latencies; each figure is the median of the runs, with "
        "their range. Do not compare the two samples' latencies: their time "
        "bases differ.",
        scheduling(r),
        "![interactive latency distributions](benchmarks/scheduling.svg)",
        "### Memory",
        table(["what", "bytes"], [
            ["added to every struct cgroup", mem.get("cgroup_bytes", "n/a")],
            ["header in every stored object (struct cgroup_driver_data)",
             mem.get("object_header_bytes", "n/a")]]),
        END,
    ]
    headline = [
        BEGIN,
        table(["headline (make bench, medians)", "ratio"], [
            ["hit, 1 registration: core / fair floor", fratio(hit)],
            ["hit, 1,024 registrations / 1 registration", fratio(many)],
            ["per-CPU cost, all CPUs / one CPU: core", fratio(cpu)],
            ["per-CPU cost, all CPUs / one CPU: RFC's cgroup_mutex", fratio(rfc_cpu)],
        ]),
        END,
    ]
    return "\n\n".join(parts) + "\n", "\n\n".join(headline) + "\n"


def replace_between(path, text):
    with open(path) as f:
        old = f.read()
    if BEGIN not in old or END not in old:
        sys.exit(f"{path}: the bench result markers are missing")
    head, rest = old.split(BEGIN, 1)
    tail = rest.split(END, 1)[1].lstrip("\n")
    with open(path, "w") as f:
        f.write(head + text + ("\n" + tail if tail else ""))


def main():
    results, repo = sys.argv[1:3]
    r = Results(results)
    if not r.values:
        sys.exit(f"{results}: no measurements")
    r.check()
    plot(r, os.path.join(repo, "benchmarks"))
    plot_scheduling(os.path.dirname(results), os.path.join(repo, "benchmarks"))
    full, headline = report(r)
    replace_between(os.path.join(repo, "BENCHMARKS.md"), full)
    replace_between(os.path.join(repo, "README.md"), headline)
    print(full)


if __name__ == "__main__":
    main()
