// SPDX-License-Identifier: GPL-2.0
/*
 * A driver written against the RFC's text, unchanged: it includes only
 * <linux/cgroup.h>, where the RFC declared the API, fills struct
 * cgroup_driver_funcs positionally and uses the three functions as the RFC
 * shows them. It builds in make check so that the RFC's source
 * compatibility stays; loading it registers, stores an object on the root
 * cgroup and releases it.
 */
#include <linux/cgroup.h>
#include <linux/module.h>
#include <linux/slab.h>

struct my_data {
	struct cgroup_driver_data base;
	int value;
};

static struct cgroup_driver_data *my_alloc(struct cgroup_driver *drv)
{
	struct my_data *data = kzalloc(sizeof(*data), GFP_KERNEL);

	return data ? &data->base : NULL;
}

static void my_free(struct cgroup_driver_data *data)
{
	kfree(container_of(data, struct my_data, base));
}

static struct cgroup_driver_funcs my_funcs = { my_alloc, my_free };

static int __init rfc_init(void)
{
	struct cgroup_driver *drv = cgroup_driver_init(&my_funcs);
	struct cgroup_driver_data *data;
	bool is_new;

	if (IS_ERR(drv))
		return PTR_ERR(drv);
	data = cgroup_driver_get_data(drv, &cgrp_dfl_root.cgrp, &is_new);
	cgroup_driver_release(drv);
	if (IS_ERR(data))
		return PTR_ERR(data);
	return is_new ? 0 : -EIO;
}

static void __exit rfc_exit(void)
{
}

module_init(rfc_init);
module_exit(rfc_exit);
MODULE_DESCRIPTION("cgroup driver data: a driver written against the RFC");
MODULE_LICENSE("GPL");
