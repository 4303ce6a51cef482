// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the cgroup driver data core, whose code is in
 * cgroup_driver.rs: what needs C macros, the exports, the module notifier
 * and the debugfs files.
 */
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>

#include "cgroup-internal.h"

EXPORT_SYMBOL_GPL(cgroup_driver_init);
EXPORT_SYMBOL_GPL(cgroup_driver_init_priv);
EXPORT_SYMBOL_GPL(cgroup_driver_priv);
EXPORT_SYMBOL_GPL(cgroup_driver_release);

/*
 * The lookups enter their RCU read-side critical section here, inline, and
 * walk the table in Rust: from Rust, rcu_read_lock() and rcu_read_unlock()
 * are calls to C helpers, which would make a hit 1.8 times as slow
 * (BENCHMARKS.md).
 * Documented in include/linux/cgroup_driver.h.
 */
struct cgroup_driver_data *cgroup_driver_find_data(struct cgroup_driver *drv,
						   struct cgroup *cgrp)
{
	struct cgroup_driver_data *data;

	rcu_read_lock();
	data = cgroup_driver_lookup_rcu(drv, cgrp);
	rcu_read_unlock();
	return data;
}
EXPORT_SYMBOL_GPL(cgroup_driver_find_data);

struct cgroup_driver_data *cgroup_driver_get_data(struct cgroup_driver *drv,
						  struct cgroup *cgrp,
						  bool *is_new)
{
	struct cgroup_driver_data *data;

	/* A hit neither sleeps nor locks: a wrong context shows on every call. */
	might_sleep();
	might_lock(&cgroup_mutex);
	data = cgroup_driver_find_data(drv, cgrp);
	if (!data)
		return cgroup_driver_store_data(drv, cgrp, is_new);
	if (is_new && !IS_ERR(data))
		*is_new = false;
	return data;
}
EXPORT_SYMBOL_GPL(cgroup_driver_get_data);

#ifdef CONFIG_MODULES
/*
 * A registration's callbacks live in its module: whatever a module left
 * registered is released before its code goes, so the core never calls into
 * an unloaded module. GOING comes after the exit function, or after a
 * failed init.
 */
static int cgroup_driver_module_notify(struct notifier_block *nb,
				       unsigned long action, void *module)
{
	if (action == MODULE_STATE_GOING)
		cgroup_driver_module_going(module);
	return NOTIFY_OK;
}

static struct notifier_block cgroup_driver_module_nb = {
	.notifier_call = cgroup_driver_module_notify,
};

/* Before any module can load. */
static int __init cgroup_driver_module_notifier_init(void)
{
	return register_module_notifier(&cgroup_driver_module_nb);
}
core_initcall(cgroup_driver_module_notifier_init);
#endif

DEFINE_SHOW_ATTRIBUTE(cgroup_driver_debugfs);

static int __init cgroup_driver_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("cgroup_driver", NULL);

	debugfs_create_file("registrations", 0444, dir, NULL,
			    &cgroup_driver_debugfs_fops);
	debugfs_create_u64("release_max_hold_ns", 0600, dir,
			   &cgroup_driver_release_max_hold_ns);
	return 0;
}
late_initcall(cgroup_driver_debugfs_init);
