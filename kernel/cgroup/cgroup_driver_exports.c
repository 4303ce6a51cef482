// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the cgroup driver data core, whose code is in
 * cgroup_driver.rs: what needs C macros, the exports and the debugfs file.
 */
#include <linux/cgroup_driver.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/seq_file.h>

EXPORT_SYMBOL_GPL(cgroup_driver_init);
EXPORT_SYMBOL_GPL(cgroup_driver_get_data);
EXPORT_SYMBOL_GPL(cgroup_driver_find_data);
EXPORT_SYMBOL_GPL(cgroup_driver_release);

DEFINE_SHOW_ATTRIBUTE(cgroup_driver_debugfs);

static int __init cgroup_driver_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("cgroup_driver", NULL);

	debugfs_create_file("registrations", 0444, dir, NULL,
			    &cgroup_driver_debugfs_fops);
	return 0;
}
late_initcall(cgroup_driver_debugfs_init);
