/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driver-specific data attached to cgroups.
 *
 * A driver registers once per device with cgroup_driver_init() and then finds,
 * or lazily allocates, its own object for any cgroup of the default (v2)
 * hierarchy with cgroup_driver_get_data(). The core frees an object when its
 * cgroup is released and frees all of a registration's objects in
 * cgroup_driver_release(). See Documentation/core-api/cgroup-driver-data.rst.
 */
#ifndef _LINUX_CGROUP_DRIVER_H
#define _LINUX_CGROUP_DRIVER_H

#include <linux/err.h>
#include <linux/list.h>
#include <linux/types.h>

struct cgroup;
struct cgroup_driver;

/**
 * struct cgroup_driver_data - header of a driver's per-cgroup object
 * @drv: registration this object belongs to
 * @cgroupnode: node in the cgroup's table, walked under RCU by lookups
 * @drivernode: node in the registration's list, used to free on release
 *
 * Drivers embed this in their own per-cgroup structure and convert with
 * container_of(). The fields belong to the core.
 */
struct cgroup_driver_data {
	struct cgroup_driver *drv;
	struct hlist_node cgroupnode;
	struct list_head drivernode;
};

/**
 * struct cgroup_driver_funcs - how a driver allocates and frees its data
 * @alloc_data: allocates a new, zeroed or initialised, object for a cgroup.
 *	Called without any cgroup lock held, so it may sleep. Returns the
 *	embedded header, or an ERR_PTR() which cgroup_driver_get_data() passes
 *	on; NULL is taken as -ENOMEM.
 * @free_data: frees an object. Optional: when NULL the object is kvfree()'d,
 *	so it must then start with its struct cgroup_driver_data.
 */
struct cgroup_driver_funcs {
	struct cgroup_driver_data *(*alloc_data)(struct cgroup_driver *drv);
	void (*free_data)(struct cgroup_driver_data *data);
};

#ifdef CONFIG_CGROUP_DRIVER

struct cgroup_driver *cgroup_driver_init(struct cgroup_driver_funcs *funcs);
void cgroup_driver_release(struct cgroup_driver *drv);
struct cgroup_driver_data *cgroup_driver_get_data(struct cgroup_driver *drv,
						  struct cgroup *cgrp,
						  bool *is_new);

/* Internal to the cgroup core. */
struct seq_file;
void cgroup_driver_cgroup_free(struct cgroup *cgrp);
int cgroup_driver_debugfs_show(struct seq_file *m, void *v);

#else /* !CONFIG_CGROUP_DRIVER */

static inline struct cgroup_driver *
cgroup_driver_init(struct cgroup_driver_funcs *funcs)
{
	return NULL;
}

static inline void cgroup_driver_release(struct cgroup_driver *drv) {}

static inline struct cgroup_driver_data *
cgroup_driver_get_data(struct cgroup_driver *drv, struct cgroup *cgrp,
		       bool *is_new)
{
	return ERR_PTR(-EINVAL);
}

static inline void cgroup_driver_cgroup_free(struct cgroup *cgrp) {}

#endif /* !CONFIG_CGROUP_DRIVER */

#endif /* _LINUX_CGROUP_DRIVER_H */
