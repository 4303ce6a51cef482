/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The object of cgroup_driver_kselftest, and an alloc_data for it that lives
 * in another module, cgroup_driver_kselftest_shared, as a helper shared by
 * several drivers would.
 */
#ifndef CGROUP_DRIVER_KSELFTEST_SHARED_H
#define CGROUP_DRIVER_KSELFTEST_SHARED_H

#include <linux/cgroup.h>

struct kdev;

struct kselftest_data {
	struct cgroup_driver_data base;
	/* Ids below TRACKED_IDS are checked for being freed twice. */
	unsigned int id;
	/* The device that this object holds a reference on, or NULL. */
	struct kdev *pins;
	/* The id of the device whose registration it belongs to, or 0. */
	unsigned int dev_id;
};

struct cgroup_driver_data *kselftest_shared_alloc_data(struct cgroup_driver *drv);

#endif
