// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of cgroup driver data lookups, run when the module is loaded.
 *
 * It times a lookup that hits, on one CPU and on every online CPU at once,
 * three ways in the same boot: the core's cgroup_driver_find_data() and
 * cgroup_driver_get_data(); the RFC's way, a global mutex and a per-cgroup
 * hashtable on every lookup (with a mutex of its own standing in for
 * cgroup_mutex); and the floor, one RCU-protected pointer load. Results go
 * to the kernel log, one line per case, then the ratios.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hashtable.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

static unsigned int iterations = 1000000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "Lookups per CPU and case (default: 1000000)");

/* What the lookups find: the bench's object on the root cgroup. */
static struct cgroup_driver *bench_drv;
static struct cgroup *bench_cgrp;

/* The RFC's lookup: under a global mutex, in a per-cgroup hashtable. */
static DEFINE_MUTEX(rfc_mutex);
static DEFINE_HASHTABLE(rfc_table, 4);

struct rfc_data {
	struct cgroup_driver *drv;
	struct hlist_node node;
};

static struct rfc_data rfc_object;

/* The floor: one pointer that RCU protects. */
static struct rfc_data __rcu *floor_ptr;

static void *lookup_find(void)
{
	return cgroup_driver_find_data(bench_drv, bench_cgrp);
}

static void *lookup_get(void)
{
	return cgroup_driver_get_data(bench_drv, bench_cgrp, NULL);
}

static void *lookup_rfc(void)
{
	struct rfc_data *data;

	mutex_lock(&rfc_mutex);
	hash_for_each_possible(rfc_table, data, node, (unsigned long)bench_drv)
		if (data->drv == bench_drv)
			break;
	mutex_unlock(&rfc_mutex);
	return data;
}

static void *lookup_floor(void)
{
	void *data;

	rcu_read_lock();
	data = rcu_dereference(floor_ptr);
	rcu_read_unlock();
	return data;
}

struct bench_case {
	const char *name;
	void *(*lookup)(void);
};

enum { BENCH_FIND, BENCH_GET, BENCH_RFC, BENCH_FLOOR, BENCH_CASES };

static const struct bench_case bench_cases[BENCH_CASES] = {
	[BENCH_FIND] = { "core find_data", lookup_find },
	[BENCH_GET] = { "core get_data", lookup_get },
	[BENCH_RFC] = { "rfc (global mutex)", lookup_rfc },
	[BENCH_FLOOR] = { "floor (rcu load)", lookup_floor },
};

/* One run: a case on @threads CPUs at once, started together. */
struct bench_run {
	const struct bench_case *bc;
	unsigned int threads;
	atomic_t ready;
	atomic_t misses;
	atomic64_t slowest_ns;
	struct completion done;
};

static int bench_thread(void *arg)
{
	struct bench_run *run = arg;
	unsigned int i, misses = 0;
	u64 start, elapsed;
	s64 slowest;

	atomic_inc(&run->ready);
	while (atomic_read(&run->ready) < run->threads)
		cond_resched();

	start = ktime_get_ns();
	for (i = 0; i < iterations; i++) {
		void *data = run->bc->lookup();

		OPTIMIZER_HIDE_VAR(data);
		misses += IS_ERR_OR_NULL(data);
	}
	elapsed = ktime_get_ns() - start;

	atomic_add(misses, &run->misses);
	slowest = atomic64_read(&run->slowest_ns);
	while (elapsed > slowest &&
	       !atomic64_try_cmpxchg(&run->slowest_ns, &slowest, elapsed))
		;
	kthread_complete_and_exit(&run->done, 0);
}

/*
 * Runs @bc on the first @threads online CPUs at once. Returns what a lookup
 * took on the slowest of them, in picoseconds, or a negative errno.
 */
static s64 bench_run(const struct bench_case *bc, unsigned int threads)
{
	struct bench_run run = { .bc = bc, .threads = threads };
	struct task_struct **tasks;
	unsigned int cpu, i, created = 0;
	s64 ret;

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
			/* Stopped before they ran, they never call bench_thread(). */
			while (created--)
				kthread_stop(tasks[created]);
			kfree(tasks);
			return ret;
		}
		created++;
	}
	run.threads = created;
	for (i = 0; i < created; i++)
		wake_up_process(tasks[i]);
	for (i = 0; i < created; i++)
		wait_for_completion(&run.done);
	kfree(tasks);
	if (atomic_read(&run.misses))
		return -ENOENT;
	return div_u64(atomic64_read(&run.slowest_ns) * 1000, iterations);
}

static struct cgroup_driver_data *bench_alloc_data(struct cgroup_driver *drv)
{
	return kzalloc(sizeof(struct cgroup_driver_data), GFP_KERNEL) ?: ERR_PTR(-ENOMEM);
}

/* Freed with kvfree(). */
static struct cgroup_driver_funcs bench_funcs = {
	.alloc_data = bench_alloc_data,
};

/* Stores the object that each way of looking up then finds. */
static int bench_setup(void)
{
	struct cgroup_driver_data *data;

	bench_cgrp = cgroup_get_from_path("/");
	if (IS_ERR(bench_cgrp))
		return PTR_ERR(bench_cgrp);
	bench_drv = cgroup_driver_init(&bench_funcs);
	if (IS_ERR(bench_drv)) {
		cgroup_put(bench_cgrp);
		return PTR_ERR(bench_drv);
	}
	data = cgroup_driver_get_data(bench_drv, bench_cgrp, NULL);
	if (IS_ERR(data)) {
		cgroup_driver_release(bench_drv);
		cgroup_put(bench_cgrp);
		return PTR_ERR(data);
	}
	rfc_object.drv = bench_drv;
	hash_add(rfc_table, &rfc_object.node, (unsigned long)bench_drv);
	rcu_assign_pointer(floor_ptr, &rfc_object);
	return 0;
}

static void bench_teardown(void)
{
	cgroup_driver_release(bench_drv);
	cgroup_put(bench_cgrp);
}

/* Prints @ps picoseconds as nanoseconds with one decimal. */
static void bench_print(unsigned int threads, const char *name, s64 ps)
{
	pr_info("%u CPU%s: %-20s %6lld.%lld ns per lookup\n", threads,
		threads == 1 ? " " : "s", name, ps / 1000, ps % 1000 / 100);
}

/* Prints @num / @den with one decimal. */
static void bench_ratio(unsigned int threads, const char *what, s64 num, s64 den)
{
	s64 tenths = div64_s64(num * 10, max(den, 1LL));

	pr_info("%u CPU%s: %-36s %4lld.%lldx\n", threads, threads == 1 ? " " : "s",
		what, tenths / 10, tenths % 10);
}

static int __init bench_init(void)
{
	unsigned int counts[] = { 1, num_online_cpus() };
	s64 ps[BENCH_CASES];
	unsigned int c, i;
	int err;

	if (!iterations)
		return -EINVAL;
	err = bench_setup();
	if (err)
		return err;
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		if (c && counts[c] == counts[c - 1])
			break;
		for (i = 0; i < BENCH_CASES; i++) {
			ps[i] = bench_run(&bench_cases[i], counts[c]);
			if (ps[i] < 0) {
				bench_teardown();
				return ps[i];
			}
			bench_print(counts[c], bench_cases[i].name, ps[i]);
		}
		bench_ratio(counts[c], "rfc / core get_data", ps[BENCH_RFC], ps[BENCH_GET]);
		bench_ratio(counts[c], "core get_data / floor", ps[BENCH_GET], ps[BENCH_FLOOR]);
	}
	bench_teardown();
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_DESCRIPTION("Benchmark of cgroup driver data lookups");
MODULE_LICENSE("GPL");
