// SPDX-License-Identifier: GPL-2.0
/*
 * Puts data on the cgroups that others create, so that the kernel's own
 * cgroup selftests run over cgroups that hold some and their removal goes
 * through the free path that hands data back. Nothing that is not a
 * controller hears of a new cgroup, so a kthread looks every poll_ms.
 * Subtrees whose top-level cgroup is named cgroup_* belong to this
 * project's tests, which count their own objects, and are left alone.
 *
 * debugfs cgroup_driver_poll/stats: "given N freed_with_cgroup N freed N":
 * the cgroups that got data, those whose data their free handed back, and
 * every object handed back.
 */
#include <linux/cgroup.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

#define OURS "cgroup_"
/* The cgroups given data per look, so that a look holds few references. */
#define BATCH 64

static unsigned int poll_ms = 2;
module_param(poll_ms, uint, 0444);
MODULE_PARM_DESC(poll_ms, "Milliseconds between two looks for new cgroups (default: 2)");

static struct cgroup_driver *drv;
static struct task_struct *poller;
static struct dentry *dir;
static atomic_t given, freed_with_cgroup, freed;
/* Set before the release: what is handed back from then on is release's. */
static bool releasing;

static struct cgroup_driver_data *poll_alloc_data(struct cgroup_driver *drv)
{
	return kzalloc(sizeof(struct cgroup_driver_data), GFP_KERNEL_ACCOUNT);
}

static void poll_free_data(struct cgroup_driver_data *data)
{
	if (!READ_ONCE(releasing))
		atomic_inc(&freed_with_cgroup);
	atomic_inc(&freed);
	kfree(data);
}

static const struct cgroup_driver_funcs poll_funcs = {
	.alloc_data = poll_alloc_data,
	.free_data = poll_free_data,
	.owner = THIS_MODULE,
};

/*
 * Takes a reference on up to BATCH cgroups without data; returns how many.
 * The top-level cgroups are walked by hand (css_next_child() is not
 * exported), so that the subtrees of this project's tests, ten thousand
 * cgroups in test_core, cost one compare a look.
 */
static int collect(struct cgroup **batch)
{
	struct cgroup_subsys_state *top, *css;
	int n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(top, &cgrp_dfl_root.cgrp.self.children, sibling) {
		if (!strncmp(top->cgroup->kn->name, OURS, strlen(OURS)))
			continue;
		css_for_each_descendant_pre(css, top) {
			if (n == BATCH)
				goto out;
			if (!cgroup_driver_find_data(drv, css->cgroup) &&
			    cgroup_tryget(css->cgroup))
				batch[n++] = css->cgroup;
		}
	}
out:
	rcu_read_unlock();
	return n;
}

static int poll_thread(void *arg)
{
	struct cgroup *batch[BATCH];
	bool is_new;
	int i, n;

	while (!kthread_should_stop()) {
		n = collect(batch);
		for (i = 0; i < n; i++) {
			if (!IS_ERR(cgroup_driver_get_data(drv, batch[i], &is_new)) && is_new)
				atomic_inc(&given);
			cgroup_put(batch[i]);
		}
		msleep_interruptible(poll_ms);
	}
	return 0;
}

static int stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "given %d freed_with_cgroup %d freed %d\n", atomic_read(&given),
		   atomic_read(&freed_with_cgroup), atomic_read(&freed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int __init poll_init(void)
{
	drv = cgroup_driver_init(&poll_funcs);
	if (IS_ERR_OR_NULL(drv))
		return drv ? PTR_ERR(drv) : -EOPNOTSUPP;
	poller = kthread_run(poll_thread, NULL, "cgroup_driver_poll");
	if (IS_ERR(poller)) {
		cgroup_driver_release(drv);
		return PTR_ERR(poller);
	}
	dir = debugfs_create_dir("cgroup_driver_poll", NULL);
	debugfs_create_file("stats", 0444, dir, NULL, &stats_fops);
	return 0;
}

static void __exit poll_exit(void)
{
	debugfs_remove_recursive(dir);
	kthread_stop(poller);
	WRITE_ONCE(releasing, true);
	cgroup_driver_release(drv);
	pr_info("given %d freed_with_cgroup %d freed %d\n", atomic_read(&given),
		atomic_read(&freed_with_cgroup), atomic_read(&freed));
}

module_init(poll_init);
module_exit(poll_exit);

MODULE_DESCRIPTION("Puts cgroup driver data on the cgroups that others create");
MODULE_LICENSE("GPL");
