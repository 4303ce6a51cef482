// SPDX-License-Identifier: GPL-2.0
/*
 * A GPU-like DRM driver with no hardware that keeps, per device and per
 * cgroup, a priority offset and a display boost with cgroup driver data, and
 * applies the offset to the contexts that processes create. It uses only the
 * exported C API and builds in the tree or out of it.
 *
 * uAPI: cgroup_gpu_drm.h, beside this file. Each device lists the cgroups
 * that hold its data in /sys/kernel/debug/dri/cgroup_gpu.<n>/cgroups.
 *
 * The devices are platform devices bound to a platform driver, so that one
 * can go away while others stay: unbinding cgroup_gpu.<n> in sysfs releases
 * that device's data, and files still open on it get -ENODEV.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "cgroup_gpu_drm.h"

#define DRIVER_NAME "cgroup_gpu"

/* Platform device ids are ints; a bound also keeps devices + 1 from wrapping. */
#define CGPU_MAX_DEVICES 64

static unsigned int devices = 2;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "Number of devices to create (default: 2, at most 64)");

/*
 * On a kernel without the core, cgroup_driver_init_priv() is a stub that
 * returns NULL and the driver works without per-cgroup settings; this takes
 * the same path on a kernel with it, for the tests.
 */
static bool no_cgroup_data;
module_param(no_cgroup_data, bool, 0444);
MODULE_PARM_DESC(no_cgroup_data, "Register no cgroup driver data, as the stubs do");

struct cgpu_device {
	struct drm_device drm;
	/*
	 * Released on unbind: use it only inside drm_dev_enter(). NULL
	 * without cgroup driver data: see cgpu_has_cgroup_data().
	 */
	struct cgroup_driver *cgdrv;
	/* The cgroups that hold data, for debugfs; under data_lock. */
	struct mutex data_lock;
	struct list_head data;
};

/* The parameters, indexed by CGROUP_GPU_PARAM_* - 1. */
#define CGPU_PARAMS 2
#define CGPU_OFFSET (CGROUP_GPU_PARAM_PRIORITY_OFFSET - 1)
/* A cgroup's value that is not set: unset is not 0. */
#define CGPU_UNSET INT_MIN

/* One device's settings for one cgroup. */
struct cgpu_cgroup {
	struct cgroup_driver_data base;
	atomic_t values[CGPU_PARAMS];
	/* Set once stored: the device and the cgroup it belongs to. */
	struct cgpu_device *cdev;
	u64 cgroup_id;
	struct list_head node;
};

struct cgpu_file {
	struct xarray contexts;
};

/* A context stays with the cgroup its creator was in. */
struct cgpu_context {
	struct cgroup *cgrp;
	int requested;
};

static struct platform_device **cgpu_pdevs;

static struct cgpu_device *to_cgpu(struct drm_device *drm)
{
	return container_of(drm, struct cgpu_device, drm);
}

static struct cgpu_cgroup *to_cgpu_cgroup(struct cgroup_driver_data *data)
{
	return container_of(data, struct cgpu_cgroup, base);
}

static struct cgroup_driver_data *cgpu_alloc_data(struct cgroup_driver *drv)
{
	struct cgpu_cgroup *cg = kzalloc(sizeof(*cg), GFP_KERNEL_ACCOUNT);
	int i;

	if (!cg)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < CGPU_PARAMS; i++)
		atomic_set(&cg->values[i], CGPU_UNSET);
	cg->cdev = cgroup_driver_priv(drv);
	INIT_LIST_HEAD(&cg->node);
	return &cg->base;
}

static void cgpu_free_data(struct cgroup_driver_data *data)
{
	struct cgpu_cgroup *cg = to_cgpu_cgroup(data);

	/* Objects that lost a race were never listed: list_del_init() is a no-op. */
	mutex_lock(&cg->cdev->data_lock);
	list_del_init(&cg->node);
	mutex_unlock(&cg->cdev->data_lock);
	kfree(cg);
}

static const struct cgroup_driver_funcs cgpu_cgroup_funcs = {
	.alloc_data = cgpu_alloc_data,
	.free_data = cgpu_free_data,
	.owner = THIS_MODULE,
};

static struct cgpu_cgroup *cgpu_get(struct cgpu_device *cdev,
				    struct cgroup *cgrp)
{
	struct cgroup_driver_data *data;
	struct cgpu_cgroup *cg;
	bool is_new;

	data = cgroup_driver_get_data(cdev->cgdrv, cgrp, &is_new);
	if (IS_ERR(data))
		return ERR_CAST(data);
	cg = to_cgpu_cgroup(data);
	if (is_new) {
		cg->cgroup_id = cgroup_id(cgrp);
		mutex_lock(&cdev->data_lock);
		list_add_tail(&cg->node, &cdev->data);
		mutex_unlock(&cdev->data_lock);
	}
	return cg;
}

/*
 * Without cgroup driver data the per-cgroup ioctls answer -EOPNOTSUPP, and
 * contexts get an offset of 0, as in the root cgroup.
 */
static bool cgpu_has_cgroup_data(struct cgpu_device *cdev)
{
	return cdev->cgdrv;
}

/* The index of @param, or -EINVAL. */
static int cgpu_param_index(u64 param)
{
	switch (param) {
	case CGROUP_GPU_PARAM_PRIORITY_OFFSET:
	case CGROUP_GPU_PARAM_DISPBOOST:
		return param - 1;
	}
	return -EINVAL;
}

static bool cgpu_value_valid(int index, s64 value)
{
	if (index == CGPU_OFFSET)
		return value >= CGROUP_GPU_PRIORITY_MIN && value <= CGROUP_GPU_PRIORITY_MAX;
	return value >= 0 && value <= CGROUP_GPU_DISPBOOST_MAX;
}

/* @cgrp's own value on @cdev, or CGPU_UNSET. Takes no lock. */
static int cgpu_own(struct cgpu_device *cdev, struct cgroup *cgrp, int index)
{
	struct cgroup_driver_data *data = cgroup_driver_find_data(cdev->cgdrv, cgrp);

	if (IS_ERR_OR_NULL(data))
		return CGPU_UNSET;
	return atomic_read(&to_cgpu_cgroup(data)->values[index]);
}

/*
 * @cgrp's effective value on @cdev: the lowest value set on the way from
 * @cgrp up to its top-level ancestor, and no more than the default, 0,
 * unless the top-level ancestor has a value (which only CAP_SYS_ADMIN can
 * set). Takes no lock: a reference on @cgrp pins its ancestors.
 */
static int cgpu_effective(struct cgpu_device *cdev, struct cgroup *cgrp, int index)
{
	int level, value, effective = INT_MAX;

	if (!cgpu_has_cgroup_data(cdev))
		return 0;
	for (level = cgrp->level; level >= 1; level--) {
		value = cgpu_own(cdev, cgrp->ancestors[level], index);
		if (value != CGPU_UNSET)
			effective = min(effective, value);
		else if (level == 1)
			effective = min(effective, 0);
	}
	return cgrp->level ? effective : 0;
}

static int cgpu_set(struct cgpu_device *cdev, struct cgroup *cgrp, int index,
		    int value)
{
	struct cgroup_driver_data *data;
	struct cgpu_cgroup *cg;

	/* Unsetting a cgroup that holds nothing allocates nothing. */
	if (value == CGPU_UNSET) {
		data = cgroup_driver_find_data(cdev->cgdrv, cgrp);
		if (IS_ERR_OR_NULL(data))
			return PTR_ERR_OR_ZERO(data);
		cg = to_cgpu_cgroup(data);
	} else {
		cg = cgpu_get(cdev, cgrp);
		if (IS_ERR(cg))
			return PTR_ERR(cg);
	}
	atomic_set(&cg->values[index], value);
	return 0;
}

static int cgpu_setparam(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgroup_gpu_param *args = data;
	int index = cgpu_param_index(args->param);
	bool unset = args->flags & CGROUP_GPU_PARAM_UNSET;
	struct cgroup *cgrp;
	int idx, ret;

	if (index < 0 || args->flags & ~CGROUP_GPU_PARAM_UNSET ||
	    (unset ? args->value : !cgpu_value_valid(index, args->value)))
		return -EINVAL;
	if (!cgpu_has_cgroup_data(to_cgpu(drm)))
		return -EOPNOTSUPP;
	cgrp = cgroup_driver_cgroup_from_fd(args->cgroup_fd, true);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	ret = -ENODEV;
	if (drm_dev_enter(drm, &idx)) {
		ret = cgpu_set(to_cgpu(drm), cgrp, index,
			       unset ? CGPU_UNSET : args->value);
		drm_dev_exit(idx);
	}
	cgroup_put(cgrp);
	return ret;
}

static int cgpu_getparam(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgroup_gpu_param *args = data;
	bool effective = args->flags & CGROUP_GPU_PARAM_EFFECTIVE;
	int index = cgpu_param_index(args->param);
	struct cgroup *cgrp;
	int idx, own;

	if (index < 0 || args->flags & ~CGROUP_GPU_PARAM_EFFECTIVE)
		return -EINVAL;
	if (!cgpu_has_cgroup_data(to_cgpu(drm)))
		return -EOPNOTSUPP;
	cgrp = cgroup_driver_cgroup_from_fd(args->cgroup_fd, false);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	if (!drm_dev_enter(drm, &idx)) {
		cgroup_put(cgrp);
		return -ENODEV;
	}
	own = cgpu_own(to_cgpu(drm), cgrp, index);
	if (effective)
		args->value = cgpu_effective(to_cgpu(drm), cgrp, index);
	else
		args->value = own == CGPU_UNSET ? 0 : own;
	drm_dev_exit(idx);
	cgroup_put(cgrp);
	args->flags |= own == CGPU_UNSET ? 0 : CGROUP_GPU_PARAM_IS_SET;
	return 0;
}

/* The caller's cgroup on the default hierarchy, with a reference. */
static struct cgroup *cgpu_current_cgroup(void)
{
	struct cgroup *cgrp;

	rcu_read_lock();
	do {
		cgrp = task_dfl_cgroup(current);
	} while (!cgroup_tryget(cgrp));
	rcu_read_unlock();
	return cgrp;
}

/* The effective priority of @ctx on @drm, now; -ENODEV once it is gone. */
static int cgpu_ctx_effective(struct drm_device *drm, struct cgpu_context *ctx,
			      int *effective)
{
	int idx, offset;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	offset = cgpu_effective(to_cgpu(drm), ctx->cgrp, CGPU_OFFSET);
	drm_dev_exit(idx);
	*effective = clamp(ctx->requested + offset, CGROUP_GPU_PRIORITY_MIN,
			   CGROUP_GPU_PRIORITY_MAX);
	return 0;
}

static void cgpu_ctx_free(struct cgpu_context *ctx)
{
	cgroup_put(ctx->cgrp);
	kfree(ctx);
}

static int cgpu_ctx_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgroup_gpu_ctx *args = data;
	struct cgpu_context *ctx;
	int ret;

	if (args->pad || args->priority < CGROUP_GPU_PRIORITY_MIN ||
	    args->priority > CGROUP_GPU_PRIORITY_MAX)
		return -EINVAL;
	/* As i915 and amdgpu: above the default is a privilege. */
	if (args->priority > 0 && !capable(CAP_SYS_NICE))
		return -EPERM;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->cgrp = cgpu_current_cgroup();
	ctx->requested = args->priority;

	ret = cgpu_ctx_effective(drm, ctx, &args->effective);
	if (!ret)
		ret = xa_alloc(&cfile->contexts, &args->ctx_id, ctx,
			       XA_LIMIT(0, CGROUP_GPU_MAX_CONTEXTS - 1),
			       GFP_KERNEL_ACCOUNT);
	if (ret) {
		cgpu_ctx_free(ctx);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	return 0;
}

static int cgpu_ctx_get(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgroup_gpu_ctx *args = data;
	struct cgpu_context *ctx;

	if (args->pad)
		return -EINVAL;
	ctx = xa_load(&cfile->contexts, args->ctx_id);
	if (!ctx)
		return -ENOENT;
	return cgpu_ctx_effective(drm, ctx, &args->effective);
}

static int cgpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct cgpu_file *cfile = kzalloc(sizeof(*cfile), GFP_KERNEL_ACCOUNT);

	if (!cfile)
		return -ENOMEM;
	xa_init_flags(&cfile->contexts, XA_FLAGS_ALLOC);
	file->driver_priv = cfile;
	return 0;
}

static void cgpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgpu_context *ctx;
	unsigned long id;

	xa_for_each(&cfile->contexts, id, ctx)
		cgpu_ctx_free(ctx);
	xa_destroy(&cfile->contexts);
	kfree(cfile);
}

static const struct drm_ioctl_desc cgpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_SETPARAM, cgpu_setparam, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_GETPARAM, cgpu_getparam, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_CTX_CREATE, cgpu_ctx_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_CTX_GET, cgpu_ctx_get, DRM_RENDER_ALLOW),
};

static void cgpu_show_value(struct seq_file *m, const char *name, atomic_t *v)
{
	int value = atomic_read(v);

	if (value == CGPU_UNSET)
		seq_printf(m, " %s unset", name);
	else
		seq_printf(m, " %s %d", name, value);
}

static int cgpu_cgroups_show(struct seq_file *m, void *v)
{
	struct drm_debugfs_entry *entry = m->private;
	struct cgpu_device *cdev = to_cgpu(entry->dev);
	struct cgpu_cgroup *cg;

	mutex_lock(&cdev->data_lock);
	list_for_each_entry(cg, &cdev->data, node) {
		seq_printf(m, "cgroup %llu", cg->cgroup_id);
		cgpu_show_value(m, "priority_offset", &cg->values[CGPU_OFFSET]);
		cgpu_show_value(m, "dispboost",
				&cg->values[CGROUP_GPU_PARAM_DISPBOOST - 1]);
		seq_putc(m, '\n');
	}
	mutex_unlock(&cdev->data_lock);
	return 0;
}

static const struct drm_debugfs_info cgpu_debugfs_list[] = {
	{ "cgroups", cgpu_cgroups_show, 0 },
};

static const struct file_operations cgpu_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.fop_flags = FOP_UNSIGNED_OFFSET,
};

static const struct drm_driver cgpu_driver = {
	.driver_features = DRIVER_RENDER,
	.open = cgpu_open,
	.postclose = cgpu_postclose,
	.ioctls = cgpu_ioctls,
	.num_ioctls = ARRAY_SIZE(cgpu_ioctls),
	.fops = &cgpu_fops,
	.name = DRIVER_NAME,
	.desc = "GPU-like sample of cgroup driver data",
	.date = "20261130",
	.major = 1,
	.minor = 0,
};

static int cgpu_probe(struct platform_device *pdev)
{
	struct cgpu_device *cdev;
	int ret;

	cdev = devm_drm_dev_alloc(&pdev->dev, &cgpu_driver, struct cgpu_device, drm);
	if (IS_ERR(cdev))
		return PTR_ERR(cdev);
	/* Open files may use the list until the last drm_device reference. */
	ret = drmm_mutex_init(&cdev->drm, &cdev->data_lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&cdev->data);

	/* One registration per device: devices never share cgroup data. */
	if (!no_cgroup_data)
		cdev->cgdrv = cgroup_driver_init_priv(&cgpu_cgroup_funcs, cdev);
	if (IS_ERR(cdev->cgdrv))
		return PTR_ERR(cdev->cgdrv);
	if (!cgpu_has_cgroup_data(cdev))
		pr_info_once(DRIVER_NAME ": no cgroup driver data: per-cgroup settings answer -EOPNOTSUPP, contexts get offset 0\n");
	drm_debugfs_add_files(&cdev->drm, cgpu_debugfs_list,
			      ARRAY_SIZE(cgpu_debugfs_list));
	ret = drm_dev_register(&cdev->drm, 0);
	if (ret) {
		cgroup_driver_release(cdev->cgdrv);
		return ret;
	}
	platform_set_drvdata(pdev, cdev);
	return 0;
}

static void cgpu_remove(struct platform_device *pdev)
{
	struct cgpu_device *cdev = platform_get_drvdata(pdev);

	/* Waits for the ioctls that use the registration. */
	drm_dev_unplug(&cdev->drm);
	/* After this the core never calls us for this device again. */
	cgroup_driver_release(cdev->cgdrv);
}

static struct platform_driver cgpu_platform_driver = {
	.probe = cgpu_probe,
	.remove = cgpu_remove,
	.driver.name = DRIVER_NAME,
};

static void cgpu_unregister_devices(void)
{
	unsigned int i;

	for (i = 0; i < devices && cgpu_pdevs[i]; i++)
		platform_device_unregister(cgpu_pdevs[i]);
	kfree(cgpu_pdevs);
}

static int __init cgpu_init(void)
{
	struct platform_device *pdev;
	unsigned int i;
	int ret;

	if (devices > CGPU_MAX_DEVICES)
		return -EINVAL;
	ret = platform_driver_register(&cgpu_platform_driver);
	if (ret)
		return ret;
	cgpu_pdevs = kcalloc(devices + 1, sizeof(*cgpu_pdevs), GFP_KERNEL);
	if (!cgpu_pdevs) {
		ret = -ENOMEM;
		goto out_driver;
	}
	for (i = 0; i < devices; i++) {
		pdev = platform_device_register_simple(DRIVER_NAME, i, NULL, 0);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto out_devices;
		}
		cgpu_pdevs[i] = pdev;
		/* Probing is synchronous, and a failed probe leaves no drvdata. */
		if (!platform_get_drvdata(pdev)) {
			ret = -ENODEV;
			goto out_devices;
		}
	}
	return 0;

out_devices:
	cgpu_unregister_devices();
out_driver:
	platform_driver_unregister(&cgpu_platform_driver);
	return ret;
}

static void __exit cgpu_exit(void)
{
	cgpu_unregister_devices();
	platform_driver_unregister(&cgpu_platform_driver);
}

module_init(cgpu_init);
module_exit(cgpu_exit);

MODULE_DESCRIPTION("GPU-like DRM sample of cgroup driver data");
MODULE_LICENSE("GPL");
