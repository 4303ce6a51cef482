// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of cgroup driver data, run when the module is loaded.
 *
 * Every lookup case is one direct call from this module into built-in code:
 * "core" is cgroup_driver_get_data() and "find" cgroup_driver_find_data();
 * "rfc" is RFC v2's lookup, cgroup_mutex around the core's walk
 * (cgroup_driver_bench_rfc()); "floor" is one RCU-protected load of the
 * cgroup's pointer (cgroup_driver_bench_floor()); "helpers" is the floor
 * with the RCU read-side section entered and left through the two calls to
 * C helpers that Rust code makes for it (cgroup_driver_bench_helpers()),
 * which is why the core enters it in C. All loop over the same precomputed
 * targets in random order.
 *
 * Each sweep runs once to warm up, then @reps times with its cases in an
 * order shuffled anew each time. Every measurement is one line of the
 * kernel log, "cgdrv_bench SWEEP X CASE REP VALUE", which
 * harness/bench.py turns into BENCHMARKS.md: lookups and misses in
 * picoseconds per operation, releases and mutex holds in nanoseconds.
 *
 * The cgroups come from the caller (harness/guest-bench.sh), which creates
 * @prefix0 up to @prefix<@ncgroups - 1> on the default hierarchy: a module
 * cannot create cgroups. Sweeps that need more are skipped, and say so.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

static unsigned int iterations = 1000000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "Lookups per CPU and measurement (default: 1000000)");

static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Measured repetitions of each sweep, after one warm-up (default: 5)");

static char *prefix = "/cgdrv_bench/c";
module_param(prefix, charp, 0444);
MODULE_PARM_DESC(prefix, "Path of the cgroups, up to their number (default: /cgdrv_bench/c)");

static unsigned int ncgroups;
module_param(ncgroups, uint, 0444);
MODULE_PARM_DESC(ncgroups, "How many cgroups the caller made at prefix (default: 0)");

static unsigned int hold;
module_param(hold, uint, 0444);
MODULE_PARM_DESC(hold,
		 "Instead of the sweeps, keep data on this many cgroups until unloaded (default: 0)");

/* The lookups of a measurement go over this many targets, in turn. */
#define TARGETS 16384

struct bench_target {
	struct cgroup_driver *drv;
	struct cgroup *cgrp;
};

/*
 * The loop of every case, inlined into one function per case with a
 * constant @lookup, so that each lookup is a direct call: an indirect call
 * per lookup would cost the same in every case and blur the ratios.
 * Returns how many lookups found nothing.
 */
static __always_inline unsigned int
bench_loop(const struct bench_target *targets,
	   void *(*lookup)(struct cgroup_driver *drv, struct cgroup *cgrp))
{
	unsigned int i, misses = 0;

	for (i = 0; i < iterations; i++) {
		const struct bench_target *t = &targets[i % TARGETS];
		void *data = lookup(t->drv, t->cgrp);

		OPTIMIZER_HIDE_VAR(data);
		misses += IS_ERR_OR_NULL(data);
	}
	return misses;
}

static __always_inline void *get_data(struct cgroup_driver *drv, struct cgroup *cgrp)
{
	return cgroup_driver_get_data(drv, cgrp, NULL);
}

static __always_inline void *find_data(struct cgroup_driver *drv, struct cgroup *cgrp)
{
	return cgroup_driver_find_data(drv, cgrp);
}

static __always_inline void *rfc_data(struct cgroup_driver *drv, struct cgroup *cgrp)
{
	return cgroup_driver_bench_rfc(drv, cgrp);
}

static unsigned int loop_core(const struct bench_target *targets)
{
	return bench_loop(targets, get_data);
}

static unsigned int loop_find(const struct bench_target *targets)
{
	return bench_loop(targets, find_data);
}

static unsigned int loop_rfc(const struct bench_target *targets)
{
	return bench_loop(targets, rfc_data);
}

static unsigned int loop_floor(const struct bench_target *targets)
{
	return bench_loop(targets, cgroup_driver_bench_floor);
}

static unsigned int loop_helpers(const struct bench_target *targets)
{
	return bench_loop(targets, cgroup_driver_bench_helpers);
}

struct bench_case {
	const char *name;
	unsigned int (*loop)(const struct bench_target *targets);
};

static const struct bench_case case_core = { "core", loop_core };
static const struct bench_case case_find = { "find", loop_find };
static const struct bench_case case_rfc = { "rfc", loop_rfc };
static const struct bench_case case_floor = { "floor", loop_floor };
static const struct bench_case case_helpers = { "helpers", loop_helpers };

/* One measurement: a case on @threads CPUs at once, started together. */
struct bench_run {
	const struct bench_case *bc;
	struct bench_target **targets;
	unsigned int threads;
	atomic_t ready;
	atomic_t next;
	atomic_t misses;
	atomic64_t total_ns;
	struct completion done;
};

static int bench_thread(void *arg)
{
	struct bench_run *run = arg;
	unsigned int misses, me = atomic_inc_return(&run->next) - 1;
	u64 start;

	atomic_inc(&run->ready);
	while (atomic_read(&run->ready) < run->threads)
		cpu_relax();
	start = ktime_get_ns();
	misses = run->bc->loop(run->targets[me]);
	atomic64_add(ktime_get_ns() - start, &run->total_ns);
	atomic_add(misses, &run->misses);
	kthread_complete_and_exit(&run->done, 0);
}

/*
 * Runs @bc on the first @threads online CPUs at once, thread i over
 * @targets[i]. Returns the mean over the threads of the picoseconds per
 * lookup, or a negative errno; -ENOENT if a lookup found nothing.
 */
static s64 bench_run(const struct bench_case *bc, struct bench_target **targets,
		     unsigned int threads)
{
	struct bench_run run = { .bc = bc, .targets = targets, .threads = threads };
	struct task_struct **tasks;
	unsigned int cpu, i, created = 0;
	s64 ret = -EINVAL;

	tasks = kcalloc(threads, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	init_completion(&run.done);
	for_each_online_cpu(cpu) {
		if (created == threads)
			break;
		tasks[created] = kthread_create_on_cpu(bench_thread, &run, cpu,
						       "cgdrv_bench/%u");
		if (IS_ERR(tasks[created])) {
			ret = PTR_ERR(tasks[created]);
			break;
		}
		created++;
	}
	if (created < threads) {
		/* Stopped before they ran, they never call bench_thread(). */
		while (created--)
			kthread_stop(tasks[created]);
		kfree(tasks);
		return ret;
	}
	for (i = 0; i < created; i++)
		wake_up_process(tasks[i]);
	for (i = 0; i < created; i++)
		wait_for_completion(&run.done);
	kfree(tasks);
	if (atomic_read(&run.misses))
		return -ENOENT;
	return div_u64(atomic64_read(&run.total_ns) * 1000, (u64)iterations * threads);
}

static struct cgroup **cgroups;

/* Each object is the bare header, freed by kvfree(). */
static struct cgroup_driver_data *bench_alloc_data(struct cgroup_driver *drv)
{
	return kzalloc(sizeof(struct cgroup_driver_data), GFP_KERNEL) ?: ERR_PTR(-ENOMEM);
}

static struct cgroup_driver_funcs bench_funcs = {
	.alloc_data = bench_alloc_data,
};

/* Registers, and stores objects on the first @n cgroups. */
static struct cgroup_driver *bench_register(unsigned int n)
{
	struct cgroup_driver *drv = cgroup_driver_init(&bench_funcs);
	unsigned int i;

	for (i = 0; i < n && !IS_ERR(drv); i++) {
		struct cgroup_driver_data *data = cgroup_driver_get_data(drv, cgroups[i], NULL);

		if (IS_ERR(data)) {
			cgroup_driver_release(drv);
			drv = ERR_CAST(data);
		}
	}
	return drv;
}

static void bench_print(const char *sweep, unsigned int x, const char *name,
			unsigned int rep, s64 value)
{
	pr_info("cgdrv_bench %s %u %s %u %lld\n", sweep, x, name, rep, value);
}

static void bench_skip(const char *sweep, unsigned int x, unsigned int needed)
{
	pr_info("%s %u skipped: needs %u cgroups, ncgroups=%u\n", sweep, x, needed, ncgroups);
}

/* Fisher-Yates. swap() evaluates its arguments twice: j is drawn first. */
static void bench_shuffle(const struct bench_case **cases, unsigned int n)
{
	unsigned int i, j;

	for (i = n - 1; i > 0; i--) {
		j = get_random_u32_below(i + 1);
		swap(cases[i], cases[j]);
	}
}

/*
 * The warm-up (repetition 0, not printed) and @reps repetitions of
 * @cases, in a new random order each time, on @threads CPUs.
 */
static int bench_measure(const char *sweep, unsigned int x, const struct bench_case **cases,
			 unsigned int ncases, struct bench_target **targets,
			 unsigned int threads)
{
	unsigned int rep, i;

	for (rep = 0; rep <= reps; rep++) {
		bench_shuffle(cases, ncases);
		for (i = 0; i < ncases; i++) {
			s64 ps = bench_run(cases[i], targets, threads);

			if (ps < 0)
				return ps;
			if (rep)
				bench_print(sweep, x, cases[i]->name, rep, ps);
		}
	}
	return 0;
}

/* Hits on one cgroup with 1 to 1,024 registrations alive on it. */
static int sweep_registrations(struct bench_target *targets)
{
	static const unsigned int counts[] = { 1, 4, 16, 64, 256, 1024 };
	const struct bench_case *cases[] = {
		&case_core, &case_find, &case_rfc, &case_floor, &case_helpers
	};
	struct cgroup_driver **drvs;
	unsigned int c, i, alive = 0;
	int err = 0;

	drvs = kcalloc(counts[ARRAY_SIZE(counts) - 1], sizeof(*drvs), GFP_KERNEL);
	if (!drvs)
		return -ENOMEM;
	for (c = 0; c < ARRAY_SIZE(counts) && !err; c++) {
		for (; alive < counts[c]; alive++) {
			drvs[alive] = bench_register(1);
			if (IS_ERR(drvs[alive])) {
				err = PTR_ERR(drvs[alive]);
				break;
			}
		}
		if (err)
			break;
		for (i = 0; i < TARGETS; i++) {
			targets[i].drv = drvs[get_random_u32_below(alive)];
			targets[i].cgrp = cgroups[0];
		}
		err = bench_measure("registrations", alive, cases, ARRAY_SIZE(cases), &targets, 1);
	}
	while (alive--)
		cgroup_driver_release(drvs[alive]);
	kfree(drvs);
	return err;
}

/* Hits of one registration spread at random over 1 to 10,000 cgroups. */
static int sweep_cgroups(struct bench_target *targets)
{
	static const unsigned int counts[] = { 1, 100, 10000 };
	const struct bench_case *cases[] = { &case_core, &case_rfc, &case_floor };
	struct cgroup_driver *drv;
	unsigned int c, i;
	int err;

	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		if (counts[c] > ncgroups) {
			bench_skip("cgroups", counts[c], counts[c]);
			continue;
		}
		drv = bench_register(counts[c]);
		if (IS_ERR(drv))
			return PTR_ERR(drv);
		for (i = 0; i < TARGETS; i++) {
			targets[i].drv = drv;
			targets[i].cgrp = cgroups[get_random_u32_below(counts[c])];
		}
		err = bench_measure("cgroups", counts[c], cases, ARRAY_SIZE(cases), &targets, 1);
		cgroup_driver_release(drv);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Hits on one CPU and on all at once: every thread on the same cgroup
 * ("cpus-same"), or each on a cgroup of its own ("cpus-diff").
 */
static int sweep_cpus(void)
{
	const struct bench_case *cases[] = { &case_core, &case_rfc, &case_floor };
	unsigned int cpus = num_online_cpus();
	struct bench_target **per_thread;
	unsigned int counts[] = { 1, cpus };
	struct cgroup_driver *drv;
	unsigned int c, t, i, diff;
	int err = 0;

	if (cpus > ncgroups) {
		bench_skip("cpus-diff", cpus, cpus);
		return 0;
	}
	per_thread = kcalloc(cpus, sizeof(*per_thread), GFP_KERNEL);
	if (!per_thread)
		return -ENOMEM;
	for (t = 0; t < cpus && !err; t++) {
		per_thread[t] = vmalloc(array_size(TARGETS, sizeof(**per_thread)));
		if (!per_thread[t])
			err = -ENOMEM;
	}
	drv = err ? NULL : bench_register(cpus);
	if (IS_ERR(drv))
		err = PTR_ERR(drv);
	for (diff = 0; diff < 2 && !err; diff++) {
		for (t = 0; t < cpus; t++) {
			for (i = 0; i < TARGETS; i++) {
				per_thread[t][i].drv = drv;
				per_thread[t][i].cgrp = cgroups[diff ? t : 0];
			}
		}
		for (c = 0; c < ARRAY_SIZE(counts) && !err; c++) {
			if (c && counts[c] == counts[c - 1])
				break;
			err = bench_measure(diff ? "cpus-diff" : "cpus-same", counts[c], cases,
					    ARRAY_SIZE(cases), per_thread, counts[c]);
		}
	}
	cgroup_driver_release(drv);
	for (t = 0; t < cpus; t++)
		vfree(per_thread[t]);
	kfree(per_thread);
	return err;
}

#define MISSES 10000

/*
 * Misses: allocating and storing a fresh registration's objects over
 * 10,000 cgroups. Each repetition takes cgroups that nothing used before,
 * as long as there are enough, so that each miss also allocates the
 * cgroup's table, as the first lookup on a new cgroup does.
 */
static int sweep_misses(void)
{
	unsigned int rep, i, base;
	struct cgroup_driver *drv;
	u64 start, elapsed;

	if (ncgroups < MISSES) {
		bench_skip("misses", MISSES, MISSES);
		return 0;
	}
	for (rep = 0; rep <= reps; rep++) {
		base = (rep + 2) * MISSES <= ncgroups ? (rep + 1) * MISSES : 0;
		if (!base)
			pr_info("misses: not enough cgroups, tables reused\n");
		drv = cgroup_driver_init(&bench_funcs);
		if (IS_ERR(drv))
			return PTR_ERR(drv);
		start = ktime_get_ns();
		for (i = 0; i < MISSES; i++) {
			void *data = cgroup_driver_get_data(drv, cgroups[base + i], NULL);

			if (IS_ERR(data)) {
				cgroup_driver_release(drv);
				return PTR_ERR(data);
			}
		}
		elapsed = ktime_get_ns() - start;
		cgroup_driver_release(drv);
		if (rep)
			bench_print("misses", MISSES, "core", rep,
				    div_u64(elapsed * 1000, MISSES));
	}
	return 0;
}

/*
 * cgroup_driver_release() of a registration with 1,000 to 100,000
 * objects, one per cgroup: how long it takes, and the longest time it
 * held cgroup_mutex at once.
 */
static int sweep_release(void)
{
	static const unsigned int counts[] = { 1000, 10000, 100000 };
	struct cgroup_driver *drv;
	unsigned int c, rep;
	u64 start, elapsed, held;

	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		if (counts[c] > ncgroups) {
			bench_skip("release", counts[c], counts[c]);
			continue;
		}
		for (rep = 0; rep <= reps; rep++) {
			drv = bench_register(counts[c]);
			if (IS_ERR(drv))
				return PTR_ERR(drv);
			cgroup_driver_bench_take_release_hold();
			start = ktime_get_ns();
			cgroup_driver_release(drv);
			elapsed = ktime_get_ns() - start;
			held = cgroup_driver_bench_take_release_hold();
			if (!rep)
				continue;
			bench_print("release", counts[c], "total", rep, elapsed);
			bench_print("release", counts[c], "hold", rep, held);
		}
	}
	return 0;
}

static int bench_sweeps(void)
{
	struct bench_target *targets;
	int err;

	pr_info("cgdrv_bench memory 0 cgroup_bytes 0 %zu\n",
		sizeof_field(struct cgroup, driver_data));
	pr_info("cgdrv_bench memory 0 object_header_bytes 0 %zu\n",
		sizeof(struct cgroup_driver_data));
	targets = vmalloc(array_size(TARGETS, sizeof(*targets)));
	if (!targets)
		return -ENOMEM;
	err = sweep_registrations(targets);
	if (!err)
		err = sweep_cgroups(targets);
	vfree(targets);
	if (!err)
		err = sweep_cpus();
	if (!err)
		err = sweep_misses();
	if (!err)
		err = sweep_release();
	return err;
}

static void bench_put_cgroups(unsigned int n)
{
	while (n--)
		cgroup_put(cgroups[n]);
	vfree(cgroups);
}

static int bench_get_cgroups(unsigned int n)
{
	char path[64];
	unsigned int i;

	cgroups = vmalloc(array_size(max(n, 1U), sizeof(*cgroups)));
	if (!cgroups)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%u", prefix, i);
		cgroups[i] = cgroup_get_from_path(path);
		if (IS_ERR(cgroups[i])) {
			int err = PTR_ERR(cgroups[i]);

			pr_err("%s: %d\n", path, err);
			bench_put_cgroups(i);
			return err;
		}
	}
	return 0;
}

/* hold=N: the registration that keeps data on the first N cgroups. */
static struct cgroup_driver *held_drv;

static int __init bench_init(void)
{
	int err;

	if (!iterations || !ncgroups || (hold && hold > ncgroups))
		return -EINVAL;
	err = bench_get_cgroups(ncgroups);
	if (err)
		return err;
	if (hold) {
		held_drv = bench_register(hold);
		err = PTR_ERR_OR_ZERO(held_drv);
	} else {
		err = bench_sweeps();
	}
	/* The held data goes with its cgroups, or at unload. */
	bench_put_cgroups(ncgroups);
	return err;
}

static void __exit bench_exit(void)
{
	cgroup_driver_release(held_drv);
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_DESCRIPTION("Benchmark of cgroup driver data");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(CGROUP_DRIVER_BENCH);
