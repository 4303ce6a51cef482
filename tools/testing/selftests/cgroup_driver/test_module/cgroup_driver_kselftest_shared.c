// SPDX-License-Identifier: GPL-2.0
/*
 * A helper module whose alloc_data cgroup_driver_kselftest registers with:
 * the core must find the registration's module from .owner, not from the
 * address of alloc_data, or it never releases what that module left.
 */
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "cgroup_driver_kselftest_shared.h"

/**
 * kselftest_shared_alloc_data - allocate an object of the test module
 * @drv: the registration
 *
 * Return: A zeroed object with an untracked id, or NULL.
 */
struct cgroup_driver_data *kselftest_shared_alloc_data(struct cgroup_driver *drv)
{
	struct kselftest_data *data = kzalloc(sizeof(*data), GFP_KERNEL);

	if (!data)
		return NULL;
	data->id = UINT_MAX;
	return &data->base;
}
EXPORT_SYMBOL_GPL(kselftest_shared_alloc_data);

MODULE_DESCRIPTION("cgroup driver data: an alloc_data outside its driver's module");
MODULE_LICENSE("GPL");
