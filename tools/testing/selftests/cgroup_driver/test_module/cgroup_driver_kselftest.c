// SPDX-License-Identifier: GPL-2.0
/*
 * A driver of cgroup driver data that userspace drives through debugfs, for
 * the kselftests in tools/testing/selftests/cgroup_driver. Built out of tree
 * (M=), so it only uses what the core exports.
 *
 * /sys/kernel/debug/cgroup_driver_kselftest/control takes one command per
 * write; the cgroup is a directory fd of the writing process:
 *   register            cgroup_driver_init()
 *   release             cgroup_driver_release(); EBUSY if a free_data of
 *                       another thread is still running when it returns
 *   leak                forget the registration, as a buggy driver or a
 *                       mem::forget() in Rust would: the core must release
 *                       it when the module goes
 *   get FD              cgroup_driver_get_data(); write() returns its errno
 *   race FD THREADS     THREADS kthreads miss on the cgroup at once: each
 *                       waits in alloc_data until all have missed
 *   hold FD             keep a reference on the cgroup, which outlives rmdir
 *   get-held            cgroup_driver_get_data() on the held cgroup
 *   put                 drop that reference
 *   slow MSECS          free_data on a workqueue (the cgroup free path)
 *                       sleeps MSECS first, so that a release meets it
 *   rcu FD MSECS        for MSECS, a kthread per CPU looks up our object on
 *                       the cgroup while this thread registers 32 more
 *                       drivers, gives each an object on it and releases
 *                       them: lookups read the cgroup's table while other
 *                       registrations' slots fill and empty. Each round, a
 *                       reader on another CPU that found one of those
 *                       objects before its release began holds it in its
 *                       RCU read-side critical section while it is
 *                       released, as the API allows: it must not be freed
 *                       before the reader leaves the section
 *   grow FD             a reader on another CPU holds the cgroup's table in
 *                       an RCU read-side critical section while more
 *                       drivers store objects on the cgroup until the table
 *                       is replaced by a bigger one; then it reads the old
 *                       table, which must not have been freed (KASAN)
 *   hit-cpus-locked FD  a hit under cpus_read_lock(), a lock order that
 *                       lockdep must report (cgroup_mutex nests outside it)
 *                       though the hit takes no lock
 *   hit-atomic FD       a hit with preemption off, which DEBUG_ATOMIC_SLEEP
 *                       must report though the hit does not sleep
 *   shared              register with an alloc_data of another module
 *                       (cgroup_driver_kselftest_shared) as the current
 *                       registration; THIS_MODULE owns it
 * Devices whose objects hold references, as a DRM driver's objects hold
 * drm_dev_get(): device N (0 to 3) releases its registration when its last
 * reference goes, from inside the free_data that dropped it:
 *   dev N PIN           create device N, whose objects pin device PIN (N
 *                       itself, another, or -1 for none)
 *   dev-get N FD        cgroup_driver_get_data() of device N
 *   dev-put N           drop our reference on device N
 *   dev-release N       drop it and release device N's registration, which
 *                       its objects keep from being released before
 * and .../stats reads the counters: "allocs N frees N new N live N release N
 * cgroup N double N devfree N dangling N busy N late N nested N": the frees that
 * cgroup_driver_release() and the cgroup free path made, objects freed more
 * than once (by object id), devices freed, objects handed back with their
 * cgroup pointer set, free_data calls running, objects handed back after
 * their device's cgroup_driver_release() returned, and objects freed by the
 * release that a device's last put makes.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#define MAX_THREADS 64
#define RCU_DRIVERS 32
/* Objects with an id below this are checked for being freed twice. */
#define TRACKED_IDS BIT(20)

#include "cgroup_driver_kselftest_shared.h"

#define DEVICES 4
#define DEVICE_IDS 1024

struct kdev {
	struct kref ref;
	/* 1 to DEVICE_IDS - 1; 0 for none, or once the ids ran out. */
	unsigned int id;
	struct cgroup_driver *drv;
	/* The device that this one's objects hold a reference on, or NULL. */
	struct kdev *pinned;
};

static struct kdev *devs[DEVICES];
static atomic_t devs_freed, dangling, freeing, late, nested, dev_ids;
/* The task in the release that a device's last put makes. */
static struct task_struct *kdev_releaser;
/* The devices whose release returned: their objects must all be freed. */
static DECLARE_BITMAP(released_devs, DEVICE_IDS);
static unsigned int free_delay_ms;

static DEFINE_MUTEX(state_lock);
static struct cgroup_driver *drv;
static struct cgroup *held;
static struct dentry *dir;
static atomic_t allocs, frees, news, by_release, by_cgroup, doubles;
/*
 * Not allocated: the core frees a leaked registration's objects after the
 * module's exit, while its memory is still there.
 */
static DECLARE_BITMAP(freed_ids, TRACKED_IDS);
/* The task in cgroup_driver_release(), to tell its frees apart. */
static struct task_struct *releaser;

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
	data->id = atomic_inc_return(&allocs) - 1;
	return &data->base;
}

static void kdev_put(struct kdev *dev);

static void kselftest_free_data(struct cgroup_driver_data *base)
{
	struct kselftest_data *data = container_of(base, struct kselftest_data, base);
	struct kdev *pins = data->pins;

	atomic_inc(&freeing);
	if (current->flags & PF_WQ_WORKER && READ_ONCE(free_delay_ms))
		msleep(READ_ONCE(free_delay_ms));
	if (data->id < TRACKED_IDS && test_and_set_bit(data->id, freed_ids))
		atomic_inc(&doubles);
	if (base->cgrp)
		atomic_inc(&dangling);
	if (data->dev_id && test_bit(data->dev_id, released_devs))
		atomic_inc(&late);
	if (current == READ_ONCE(kdev_releaser))
		atomic_inc(&nested);
	if (current == READ_ONCE(releaser))
		atomic_inc(&by_release);
	else if (current->flags & PF_WQ_WORKER)
		atomic_inc(&by_cgroup);
	atomic_inc(&frees);
	kfree(data);
	/* It may free the registration that this object belonged to. */
	if (pins)
		kdev_put(pins);
	atomic_dec(&freeing);
}

static int release(struct cgroup_driver *drv)
{
	WRITE_ONCE(releaser, current);
	cgroup_driver_release(drv);
	WRITE_ONCE(releaser, NULL);
	/* No callback of ours may still run: the module could be gone. */
	return atomic_read(&freeing) ? -EBUSY : 0;
}

static const struct cgroup_driver_funcs kselftest_funcs = {
	.alloc_data = kselftest_alloc_data,
	.free_data = kselftest_free_data,
	.owner = THIS_MODULE,
};

/* alloc_data is another module's: only .owner names this one. */
static const struct cgroup_driver_funcs shared_funcs = {
	.alloc_data = kselftest_shared_alloc_data,
	.free_data = kselftest_free_data,
	.owner = THIS_MODULE,
};

static void kdev_free(struct kref *ref)
{
	struct kdev *dev = container_of(ref, struct kdev, ref);

	struct task_struct *outer = READ_ONCE(kdev_releaser);

	WRITE_ONCE(kdev_releaser, current);
	cgroup_driver_release(dev->drv);
	WRITE_ONCE(kdev_releaser, outer);
	if (dev->id)
		set_bit(dev->id, released_devs);
	atomic_inc(&devs_freed);
	kfree(dev);
}

static void kdev_put(struct kdev *dev)
{
	kref_put(&dev->ref, kdev_free);
}

static struct cgroup_driver_data *kdev_alloc_data(struct cgroup_driver *drv)
{
	struct kdev *dev = cgroup_driver_priv(drv);
	struct cgroup_driver_data *base = kselftest_alloc_data(drv);
	struct kselftest_data *data;

	if (IS_ERR_OR_NULL(base))
		return base;
	data = container_of(base, struct kselftest_data, base);
	data->dev_id = dev->id;
	if (dev->pinned) {
		data->pins = dev->pinned;
		kref_get(&dev->pinned->ref);
	}
	return base;
}

static const struct cgroup_driver_funcs kdev_funcs = {
	.alloc_data = kdev_alloc_data,
	.free_data = kselftest_free_data,
	.owner = THIS_MODULE,
};

static int kdev_create(unsigned int n, int pin)
{
	struct kdev *dev;

	if (n >= DEVICES || devs[n] || pin >= DEVICES || (pin >= 0 && pin != n && !devs[pin]))
		return -EINVAL;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	dev->id = atomic_inc_return(&dev_ids);
	if (dev->id >= DEVICE_IDS)
		dev->id = 0;
	if (pin >= 0)
		dev->pinned = pin == n ? dev : devs[pin];
	dev->drv = cgroup_driver_init_priv(&kdev_funcs, dev);
	if (IS_ERR(dev->drv)) {
		int ret = PTR_ERR(dev->drv);

		kfree(dev);
		return ret;
	}
	devs[n] = dev;
	return 0;
}

/* Drops our reference on device @n; its objects may keep it. */
static int kdev_command(const char *verb, unsigned int n)
{
	struct kdev *dev = n < DEVICES ? devs[n] : NULL;
	struct cgroup_driver *drv;

	if (!dev)
		return -ENOENT;
	devs[n] = NULL;
	drv = dev->drv;
	if (!strcmp(verb, "dev-put")) {
		kdev_put(dev);
		return 0;
	}
	/* dev-release: freed already if no object held it. */
	return kref_put(&dev->ref, kdev_free) ? 0 : release(drv);
}

static int get_data_of(struct cgroup_driver *drv, struct cgroup *cgrp)
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

static int get_data(struct cgroup *cgrp)
{
	return get_data_of(drv, cgrp);
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

/* A lookup on every CPU until told to stop, while drivers come and go. */
struct rcu_stress {
	struct cgroup *cgrp;
	struct cgroup_driver_data *ours;
	bool stop;
	atomic_t running;
	atomic_t wrong;
	struct completion done;
};

static int rcu_reader(void *arg)
{
	struct rcu_stress *st = arg;

	while (!READ_ONCE(st->stop)) {
		if (cgroup_driver_find_data(drv, st->cgrp) != st->ours)
			atomic_inc(&st->wrong);
		cond_resched();
	}
	if (atomic_dec_and_test(&st->running))
		complete(&st->done);
	return 0;
}

/*
 * A reader that found an object before its registration's release began and
 * holds it, inside the same RCU read-side critical section, until the object
 * is freed or for HOLD_MS: cgroup_driver_release() promises that the object
 * outlives the section.
 */
#define HOLD_MS 100

struct holder {
	struct cgroup_driver *drv;
	struct cgroup *cgrp;
	struct completion holding;
	struct completion done;
	bool freed_while_held;
};

static int rcu_holder(void *arg)
{
	struct holder *h = arg;
	struct cgroup_driver_data *data;
	unsigned int id, ms;

	rcu_read_lock();
	data = cgroup_driver_find_data(h->drv, h->cgrp);
	id = IS_ERR_OR_NULL(data) ? TRACKED_IDS :
		container_of(data, struct kselftest_data, base)->id;
	complete(&h->holding);
	for (ms = 0; ms < HOLD_MS && id < TRACKED_IDS && !test_bit(id, freed_ids); ms++)
		mdelay(1);
	h->freed_while_held = id < TRACKED_IDS && test_bit(id, freed_ids);
	rcu_read_unlock();
	complete(&h->done);
	return 0;
}

/* Releases @drv while a reader on another CPU holds its object on @cgrp. */
static int release_under_reader(struct cgroup_driver *drv, struct cgroup *cgrp)
{
	struct holder h = { .drv = drv, .cgrp = cgrp };
	unsigned int cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	struct task_struct *task;

	init_completion(&h.holding);
	init_completion(&h.done);
	task = cpu < nr_cpu_ids ? kthread_create_on_cpu(rcu_holder, &h, cpu, "cgdrv-hold/%u") :
				  ERR_PTR(-ENODEV);
	if (IS_ERR(task)) {
		release(drv);
		return PTR_ERR(task);
	}
	wake_up_process(task);
	wait_for_completion(&h.holding);
	release(drv);
	wait_for_completion(&h.done);
	return h.freed_while_held ? -EIO : 0;
}

static int rcu_churn(struct cgroup *cgrp, unsigned long deadline)
{
	struct cgroup_driver *others[RCU_DRIVERS];
	struct cgroup_driver_data *data;
	int i, n, ret = 0;

	while (!ret && time_before(jiffies, deadline)) {
		for (n = 0; n < RCU_DRIVERS; n++) {
			others[n] = cgroup_driver_init(&kselftest_funcs);
			if (IS_ERR(others[n])) {
				ret = PTR_ERR(others[n]);
				break;
			}
			data = cgroup_driver_get_data(others[n], cgrp, NULL);
			if (IS_ERR(data)) {
				ret = PTR_ERR(data);
				n++;
				break;
			}
		}
		if (n && !ret)
			ret = release_under_reader(others[--n], cgrp);
		for (i = 0; i < n; i++)
			release(others[i]);
	}
	return ret;
}

static int run_rcu_stress(struct cgroup *cgrp, unsigned int msecs)
{
	struct rcu_stress st = { .cgrp = cgrp };
	struct task_struct *task;
	unsigned int cpu;
	int ret;

	st.ours = cgroup_driver_get_data(drv, cgrp, NULL);
	if (IS_ERR(st.ours))
		return PTR_ERR(st.ours);
	init_completion(&st.done);
	atomic_set(&st.running, 1);
	for_each_online_cpu(cpu) {
		task = kthread_create_on_cpu(rcu_reader, &st, cpu, "cgdrv-rcu/%u");
		if (IS_ERR(task))
			continue;
		atomic_inc(&st.running);
		wake_up_process(task);
	}
	ret = rcu_churn(cgrp, jiffies + msecs_to_jiffies(msecs));
	WRITE_ONCE(st.stop, true);
	if (!atomic_dec_and_test(&st.running))
		wait_for_completion(&st.done);
	if (!ret && atomic_read(&st.wrong))
		ret = -EIO;
	return ret;
}

/* What rcu_table_holder() read: the table it held, and its first word. */
struct table_holder {
	struct cgroup *cgrp;
	void *table;
	struct completion holding;
	struct completion grown;
	struct completion done;
};

#define GROW_MS 1000

static int rcu_table_holder(void *arg)
{
	struct table_holder *h = arg;
	unsigned int ms;

	rcu_read_lock();
	h->table = rcu_dereference(h->cgrp->driver_data);
	complete(&h->holding);
	for (ms = 0; ms < GROW_MS && !completion_done(&h->grown); ms++)
		mdelay(1);
	/* The table is private to the core: one word of it, for KASAN. */
	if (h->table)
		READ_ONCE(*(unsigned long *)h->table);
	rcu_read_unlock();
	complete(&h->done);
	return 0;
}

/* More drivers store objects on @cgrp until its table is replaced. */
static int grow_under_reader(struct cgroup *cgrp)
{
	struct table_holder h = { .cgrp = cgrp };
	unsigned int cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	struct cgroup_driver *others[2 * RCU_DRIVERS];
	struct task_struct *task;
	int i, n, ret = get_data(cgrp);

	if (ret)
		return ret;
	init_completion(&h.holding);
	init_completion(&h.grown);
	init_completion(&h.done);
	task = cpu < nr_cpu_ids ? kthread_create_on_cpu(rcu_table_holder, &h, cpu,
							"cgdrv-table/%u") :
				  ERR_PTR(-ENODEV);
	if (IS_ERR(task))
		return PTR_ERR(task);
	wake_up_process(task);
	wait_for_completion(&h.holding);
	ret = -EAGAIN;
	for (n = 0; n < ARRAY_SIZE(others); n++) {
		others[n] = cgroup_driver_init(&kselftest_funcs);
		if (IS_ERR(others[n])) {
			ret = PTR_ERR(others[n]);
			break;
		}
		if (IS_ERR(cgroup_driver_get_data(others[n], cgrp, NULL))) {
			ret = -ENOMEM;
			n++;
			break;
		}
		if (rcu_access_pointer(cgrp->driver_data) != h.table) {
			ret = 0;
			n++;
			break;
		}
	}
	complete(&h.grown);
	wait_for_completion(&h.done);
	for (i = 0; i < n; i++)
		release(others[i]);
	return ret;
}

/* A hit where a miss would be wrong: only the debugging can tell. */
static int hit_cpus_locked(struct cgroup *cgrp)
{
	int ret = get_data(cgrp);

	if (ret)
		return ret;
	cpus_read_lock();
	ret = get_data(cgrp);
	cpus_read_unlock();
	return ret;
}

static int hit_atomic(struct cgroup *cgrp)
{
	int ret = get_data(cgrp);

	if (ret)
		return ret;
	preempt_disable();
	ret = get_data(cgrp);
	preempt_enable();
	return ret;
}

static int with_cgroup_fd(const char *verb, const char *arg, unsigned int n)
{
	struct cgroup *cgrp;
	int fd, ret = -EINVAL;

	if (kstrtoint(arg, 10, &fd))
		return -EINVAL;
	/* dev-get N FD: the fd follows the device. */
	if (!strcmp(verb, "dev-get")) {
		unsigned int dev = fd;

		if (n > INT_MAX || dev >= DEVICES || !devs[dev])
			return -ENOENT;
		fd = n;
		n = dev;
	}
	cgrp = cgroup_driver_cgroup_from_fd(fd, false);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	if (!strcmp(verb, "hold") && !held) {
		/* Our reference goes with "put". */
		held = cgrp;
		return 0;
	}
	if (!strcmp(verb, "get"))
		ret = get_data(cgrp);
	else if (!strcmp(verb, "dev-get"))
		ret = get_data_of(devs[n]->drv, cgrp);
	else if (!strcmp(verb, "race"))
		ret = run_race(cgrp, n);
	else if (!strcmp(verb, "rcu"))
		ret = run_rcu_stress(cgrp, n);
	else if (!strcmp(verb, "grow"))
		ret = grow_under_reader(cgrp);
	else if (!strcmp(verb, "hit-cpus-locked"))
		ret = hit_cpus_locked(cgrp);
	else if (!strcmp(verb, "hit-atomic"))
		ret = hit_atomic(cgrp);
	cgroup_put(cgrp);
	return ret;
}

static int run_command(char *cmd)
{
	char *verb = strsep(&cmd, " ");
	char *arg = strsep(&cmd, " ");
	unsigned int n;
	int ret;

	if (!strcmp(verb, "register") || !strcmp(verb, "shared")) {
		if (drv)
			return -EBUSY;
		drv = cgroup_driver_init(strcmp(verb, "shared") ? &kselftest_funcs : &shared_funcs);
		if (IS_ERR(drv)) {
			ret = PTR_ERR(drv);
			drv = NULL;
			return ret;
		}
		return 0;
	}
	if (!strcmp(verb, "release") || !strcmp(verb, "leak")) {
		if (!drv)
			return -ENOENT;
		ret = strcmp(verb, "release") ? 0 : release(drv);
		drv = NULL;
		return ret;
	}
	if (!strcmp(verb, "slow")) {
		if (!arg || kstrtouint(arg, 10, &n))
			return -EINVAL;
		WRITE_ONCE(free_delay_ms, n);
		return 0;
	}
	if (!strcmp(verb, "dev")) {
		int pin;

		if (!arg || !cmd || kstrtouint(arg, 10, &n) || kstrtoint(cmd, 10, &pin))
			return -EINVAL;
		return kdev_create(n, pin);
	}
	if (!strcmp(verb, "dev-put") || !strcmp(verb, "dev-release"))
		return arg && !kstrtouint(arg, 10, &n) ? kdev_command(verb, n) : -EINVAL;
	if (!strcmp(verb, "put")) {
		if (!held)
			return -ENOENT;
		cgroup_put(held);
		held = NULL;
		return 0;
	}
	if (!drv && strcmp(verb, "dev-get"))
		return -ENOENT;
	if (!strcmp(verb, "get-held"))
		return held ? get_data(held) : -ENOENT;
	if (!arg)
		return -EINVAL;
	n = 0;
	if (cmd && kstrtouint(cmd, 10, &n))
		return -EINVAL;
	return with_cgroup_fd(verb, arg, n);
}

/*
 * The command is copied to the stack, not allocated: under fault injection
 * an -ENOMEM from a command then comes from the core or from alloc_data.
 */
static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char cmd[64];
	int ret;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	mutex_lock(&state_lock);
	ret = run_command(strim(cmd));
	mutex_unlock(&state_lock);
	return ret ? ret : len;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
};

static int stats_show(struct seq_file *m, void *v)
{
	int a = atomic_read(&allocs), f = atomic_read(&frees);

	seq_printf(m, "allocs %d frees %d new %d live %d release %d cgroup %d double %d devfree %d dangling %d busy %d late %d nested %d\n",
		   a, f, atomic_read(&news), a - f, atomic_read(&by_release),
		   atomic_read(&by_cgroup), atomic_read(&doubles),
		   atomic_read(&devs_freed), atomic_read(&dangling),
		   atomic_read(&freeing), atomic_read(&late), atomic_read(&nested));
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
	unsigned int i;

	debugfs_remove_recursive(dir);
	for (i = 0; i < DEVICES; i++)
		if (devs[i])
			kdev_put(devs[i]);
	/* Unloading with data still on cgroups is one of the tests. */
	if (drv)
		release(drv);
	if (held)
		cgroup_put(held);
}

module_init(kselftest_init);
module_exit(kselftest_exit);
MODULE_DESCRIPTION("cgroup driver data: debugfs-driven test driver");
MODULE_LICENSE("GPL");
