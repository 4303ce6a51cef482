// SPDX-License-Identifier: GPL-2.0
/*
 * A driver of cgroup driver data that userspace drives through debugfs, for
 * the kselftests in tools/testing/selftests/cgroup_driver. Built out of tree
 * (M=), so it only uses what the core exports.
 *
 * /sys/kernel/debug/cgroup_driver_kselftest/control takes one command per
 * write; the cgroup is a directory fd of the writing process:
 *   register            cgroup_driver_init()
 *   release             cgroup_driver_release()
 *   leak                forget the registration, as a buggy driver or a
 *                       mem::forget() in Rust would: the core must release
 *                       it when the module goes
 *   get FD              cgroup_driver_get_data(); write() returns its errno
 *   race FD THREADS     THREADS kthreads miss on the cgroup at once: each
 *                       waits in alloc_data until all have missed
 * and .../stats reads the counters: "allocs N frees N new N live N".
 */
#include <linux/atomic.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#define MAX_THREADS 64

struct kselftest_data {
	struct cgroup_driver_data base;
	unsigned long long cookie;
};

static DEFINE_MUTEX(state_lock);
static struct cgroup_driver *drv;
static struct dentry *dir;
static atomic_t allocs, frees, news;

/* The race in progress, if any: its threads meet in alloc_data. */
static struct race {
	struct cgroup *cgrp;
	unsigned int threads;
	struct completion start;
	atomic_t arrived;
	wait_queue_head_t all_arrived;
	atomic_t running;
	struct completion done;
	atomic_t errors;
} *racing;

static void race_rendezvous(struct race *race)
{
	if (atomic_inc_return(&race->arrived) == race->threads)
		wake_up_all(&race->all_arrived);
	/* A lost thread must not hang the test: it then fails on counts. */
	wait_event_timeout(race->all_arrived,
			   atomic_read(&race->arrived) >= race->threads, 10 * HZ);
}

static struct cgroup_driver_data *kselftest_alloc_data(struct cgroup_driver *drv)
{
	struct kselftest_data *data;

	if (racing)
		race_rendezvous(racing);
	data = kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data)
		return NULL;
	atomic_inc(&allocs);
	return &data->base;
}

static void kselftest_free_data(struct cgroup_driver_data *data)
{
	atomic_inc(&frees);
	kfree(container_of(data, struct kselftest_data, base));
}

static struct cgroup_driver_funcs kselftest_funcs = {
	.alloc_data = kselftest_alloc_data,
	.free_data = kselftest_free_data,
};

static int get_data(struct cgroup *cgrp)
{
	struct cgroup_driver_data *data;
	bool is_new;

	data = cgroup_driver_get_data(drv, cgrp, &is_new);
	if (IS_ERR(data))
		return PTR_ERR(data);
	if (is_new)
		atomic_inc(&news);
	return 0;
}

static int race_thread(void *arg)
{
	struct race *race = arg;

	wait_for_completion(&race->start);
	if (get_data(race->cgrp))
		atomic_inc(&race->errors);
	if (atomic_dec_and_test(&race->running))
		complete(&race->done);
	return 0;
}

static int run_race(struct cgroup *cgrp, unsigned int threads)
{
	struct race race = { .cgrp = cgrp, .threads = threads };
	struct task_struct *task;
	unsigned int i;

	if (!threads || threads > MAX_THREADS)
		return -EINVAL;
	init_waitqueue_head(&race.all_arrived);
	init_completion(&race.start);
	init_completion(&race.done);
	atomic_set(&race.running, 1);
	for (i = 0; i < threads; i++) {
		atomic_inc(&race.running);
		task = kthread_run(race_thread, &race, "cgdrv-race/%u", i);
		if (IS_ERR(task)) {
			atomic_dec(&race.running);
			break;
		}
	}
	racing = &race;
	complete_all(&race.start);
	if (!atomic_dec_and_test(&race.running))
		wait_for_completion(&race.done);
	racing = NULL;
	if (i < threads)
		return -ENOMEM;
	return atomic_read(&race.errors) ? -EIO : 0;
}

static int with_cgroup_fd(const char *arg, unsigned int threads)
{
	struct cgroup *cgrp;
	int fd, ret;

	if (kstrtoint(arg, 10, &fd))
		return -EINVAL;
	cgrp = cgroup_driver_cgroup_from_fd(fd, false);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	ret = threads ? run_race(cgrp, threads) : get_data(cgrp);
	cgroup_put(cgrp);
	return ret;
}

static int run_command(char *cmd)
{
	char *verb = strsep(&cmd, " ");
	char *arg = strsep(&cmd, " ");
	unsigned int n;

	if (!strcmp(verb, "register")) {
		if (drv)
			return -EBUSY;
		drv = cgroup_driver_init(&kselftest_funcs);
		if (IS_ERR(drv)) {
			int ret = PTR_ERR(drv);

			drv = NULL;
			return ret;
		}
		return 0;
	}
	if (!strcmp(verb, "release") || !strcmp(verb, "leak")) {
		if (!drv)
			return -ENOENT;
		if (!strcmp(verb, "release"))
			cgroup_driver_release(drv);
		drv = NULL;
		return 0;
	}
	if (!arg)
		return -EINVAL;
	if (!drv)
		return -ENOENT;
	if (!strcmp(verb, "get"))
		return with_cgroup_fd(arg, 0);
	if (!strcmp(verb, "race") && cmd && !kstrtouint(cmd, 10, &n))
		return with_cgroup_fd(arg, n);
	return -EINVAL;
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char *cmd;
	int ret;

	cmd = memdup_user_nul(ubuf, min_t(size_t, len, 63));
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	mutex_lock(&state_lock);
	ret = run_command(strim(cmd));
	mutex_unlock(&state_lock);
	kfree(cmd);
	return ret ? ret : len;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
};

static int stats_show(struct seq_file *m, void *v)
{
	int a = atomic_read(&allocs), f = atomic_read(&frees);

	seq_printf(m, "allocs %d frees %d new %d live %d\n", a, f,
		   atomic_read(&news), a - f);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int __init kselftest_init(void)
{
	dir = debugfs_create_dir("cgroup_driver_kselftest", NULL);
	debugfs_create_file("control", 0200, dir, NULL, &control_fops);
	debugfs_create_file("stats", 0444, dir, NULL, &stats_fops);
	return 0;
}

static void __exit kselftest_exit(void)
{
	debugfs_remove_recursive(dir);
	/* Unloading with data still on cgroups is one of the tests. */
	if (drv)
		cgroup_driver_release(drv);
}

module_init(kselftest_init);
module_exit(kselftest_exit);
MODULE_DESCRIPTION("cgroup driver data: debugfs-driven test driver");
MODULE_LICENSE("GPL");
