// SPDX-License-Identifier: GPL-2.0
/*
 * A GPU-like DRM driver with no hardware that keeps, per device and per
 * cgroup, a priority offset and a display boost with cgroup driver data, and
 * applies the offset to the contexts that processes create. Contexts submit
 * jobs through the DRM GPU scheduler to an engine that an hrtimer drives,
 * each job at the level of its context's effective priority, looked up at
 * submission as a real driver would. It uses only the exported C API and
 * builds in the tree or out of it.
 *
 * uAPI: cgroup_gpu_drm.h, beside this file. Each device lists the cgroups
 * that hold its data in /sys/kernel/debug/dri/cgroup_gpu.<n>/cgroups.
 *
 * The devices are platform devices bound to a platform driver, so that one
 * can go away while others stay: unbinding cgroup_gpu.<n> in sysfs releases
 * that device's data, and files still open on it get -ENODEV.
 *
 * What lives how long: a device's scheduler, its entities and every job are
 * torn down at unbind, since drm_sched_fini() frees the run queues and no
 * pending job; the device structure, its locks and its engine's state live
 * until the last reference to the drm_device (drmm), as open files need
 * them.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/debugfs.h>
#include <linux/dma-fence.h>
#include <linux/hrtimer.h>
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
#include <drm/drm_syncobj.h>
#include <drm/gpu_scheduler.h>

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

/* The scheduler's levels that contexts use, lowest first. */
enum cgpu_level {
	CGPU_LOW,
	CGPU_NORMAL,
	CGPU_HIGH,
	CGPU_LEVELS,
};

static const enum drm_sched_priority cgpu_sched_priority[CGPU_LEVELS] = {
	[CGPU_LOW] = DRM_SCHED_PRIORITY_LOW,
	[CGPU_NORMAL] = DRM_SCHED_PRIORITY_NORMAL,
	[CGPU_HIGH] = DRM_SCHED_PRIORITY_HIGH,
};

struct cgpu_hw_fence;

/*
 * The hardware: one job at a time (the scheduler's credit limit is 1), for
 * its duration, or until it is ended early.
 */
struct cgpu_engine {
	struct drm_gpu_scheduler sched;
	/* Guards what follows and every job's cancel and released. */
	spinlock_t lock;
	struct cgpu_hw_fence *running;
	/* Set at unbind: jobs that reach the engine then end at once. */
	bool dead;
	/* Jobs that have left the engine. */
	u64 ended;
	/*
	 * Jobs the scheduler has not freed; unbind waits for none, under the
	 * lock, so that the last free_job has stopped touching the device.
	 */
	unsigned int jobs;
	wait_queue_head_t idle;
};

/* Engine time and completed jobs, of a file or of a cgroup. */
struct cgpu_usage {
	atomic64_t engine_ns;
	atomic64_t jobs_done;
};

struct cgpu_device {
	struct drm_device drm;
	struct cgpu_engine engine;
	/* Contexts of open files, whose entities unbind destroys. */
	struct mutex contexts_lock;
	struct list_head contexts;
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
	/* Of the contexts created in the cgroup. */
	struct cgpu_usage usage;
	/* Set once stored: the device and the cgroup it belongs to. */
	struct cgpu_device *cdev;
	u64 cgroup_id;
	struct list_head node;
};

struct cgpu_file {
	struct xarray contexts;
	/* Jobs not yet waited for: struct cgpu_job_ref, ids 1 and up. */
	struct xarray jobs;
	/* Serializes submissions, and the jobs' lookup against their removal. */
	struct mutex lock;
	struct cgpu_usage usage;
};

/* A context stays with the cgroup its creator was in. */
struct cgpu_context {
	struct cgroup *cgrp;
	int requested;
	/*
	 * Where its jobs are accounted besides its file: the data of its
	 * cgroup, which its reference on the cgroup keeps until the device's
	 * registration is released, after every job has ended. NULL without
	 * cgroup driver data.
	 */
	struct cgpu_usage *cgroup_usage;
	/* One entity per level: the scheduler never moves an entity's jobs. */
	struct drm_sched_entity entities[CGPU_LEVELS];
	/* Under the device's contexts_lock; entities are live while listed. */
	struct list_head node;
	bool listed;
};

/*
 * A job's hardware fence: signalled when the job leaves the engine. Its
 * reference holders: the job until the scheduler frees it, the scheduler as
 * the job's parent fence, the file until WAIT reports the job, and the
 * engine while it runs the job.
 */
struct cgpu_hw_fence {
	struct dma_fence base;
	/* The fence's own: its state is the engine's, under the engine's lock. */
	spinlock_t lock;
	struct cgpu_engine *engine;
	struct hrtimer timer;
	u64 duration_ns;
	bool plug;
	/* Under the engine's lock: a plug's release, an early end. */
	bool released;
	int cancel;
	ktime_t start;
	/* Set as it leaves the engine: engine->ended then. */
	u64 end_seq;
	/* Valid until the job has left the engine: see struct cgpu_context. */
	struct cgpu_usage *usage[2];
};

struct cgpu_job {
	struct drm_sched_job base;
	struct cgpu_hw_fence *hw;
};

/* What a file keeps of a job until WAIT reports it. */
struct cgpu_job_ref {
	struct dma_fence *finished;
	struct cgpu_hw_fence *hw;
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

static struct cgpu_hw_fence *to_hw_fence(struct dma_fence *fence)
{
	return container_of(fence, struct cgpu_hw_fence, base);
}

static struct cgpu_job *to_cgpu_job(struct drm_sched_job *job)
{
	return container_of(job, struct cgpu_job, base);
}

static const char *cgpu_fence_driver_name(struct dma_fence *fence)
{
	return DRIVER_NAME;
}

static const char *cgpu_fence_timeline_name(struct dma_fence *fence)
{
	return "engine";
}

static const struct dma_fence_ops cgpu_fence_ops = {
	.get_driver_name = cgpu_fence_driver_name,
	.get_timeline_name = cgpu_fence_timeline_name,
};

/*
 * @hw leaves the engine after @ns: its place in the order, and its usage.
 * Under the engine's lock.
 */
static void cgpu_engine_account(struct cgpu_hw_fence *hw, u64 ns, bool done)
{
	int i;

	hw->end_seq = ++hw->engine->ended;
	for (i = 0; i < ARRAY_SIZE(hw->usage); i++) {
		if (!hw->usage[i])
			continue;
		atomic64_add(ns, &hw->usage[i]->engine_ns);
		if (done)
			atomic64_inc(&hw->usage[i]->jobs_done);
	}
}

/*
 * Takes @hw off the engine if it is there, accounts its time and signals it
 * with @error. Whoever takes it off does this, once, and the accounting is
 * done under the engine's lock, so that an ender that found it gone knows
 * that the usage it points to is no longer written.
 */
static void cgpu_engine_end(struct cgpu_hw_fence *hw, int error)
{
	struct cgpu_engine *engine = hw->engine;
	unsigned long flags;

	spin_lock_irqsave(&engine->lock, flags);
	if (engine->running != hw) {
		spin_unlock_irqrestore(&engine->lock, flags);
		return;
	}
	engine->running = NULL;
	cgpu_engine_account(hw, ktime_to_ns(ktime_sub(ktime_get(), hw->start)), !error);
	spin_unlock_irqrestore(&engine->lock, flags);

	if (error)
		dma_fence_set_error(&hw->base, error);
	dma_fence_signal(&hw->base);
	/* The engine's reference. */
	dma_fence_put(&hw->base);
}

static enum hrtimer_restart cgpu_job_time_up(struct hrtimer *timer)
{
	cgpu_engine_end(container_of(timer, struct cgpu_hw_fence, timer), 0);
	return HRTIMER_NORESTART;
}

/*
 * Ends @hw early with @error: at once if it is on the engine, as soon as it
 * gets there otherwise. The caller holds a reference on @hw.
 */
static void cgpu_engine_cancel(struct cgpu_hw_fence *hw, int error)
{
	spin_lock_irq(&hw->engine->lock);
	if (!hw->cancel)
		hw->cancel = error;
	spin_unlock_irq(&hw->engine->lock);
	/* The timer holds no reference: it must not outlive the engine's. */
	hrtimer_cancel(&hw->timer);
	cgpu_engine_end(hw, error);
}

/* Releases plug @hw: it ends now if it is on the engine, or when it gets there. */
static void cgpu_engine_unplug(struct cgpu_hw_fence *hw)
{
	spin_lock_irq(&hw->engine->lock);
	hw->released = true;
	spin_unlock_irq(&hw->engine->lock);
	cgpu_engine_end(hw, 0);
}

/*
 * The scheduler's backend: puts the job on the engine, or ends it at once
 * if it was cancelled, released or its device is going. Called in the
 * fence-signalling path: allocates nothing.
 */
static struct dma_fence *cgpu_run_job(struct drm_sched_job *sched_job)
{
	struct cgpu_hw_fence *hw = to_cgpu_job(sched_job)->hw;
	struct cgpu_engine *engine = hw->engine;
	int error;

	spin_lock_irq(&engine->lock);
	error = engine->dead ? -ENODEV : hw->cancel;
	if (!error && !hw->released) {
		/* The engine's reference, until the job leaves it. */
		dma_fence_get(&hw->base);
		engine->running = hw;
		hw->start = ktime_get();
		if (!hw->plug)
			hrtimer_start(&hw->timer, ns_to_ktime(hw->duration_ns),
				      HRTIMER_MODE_REL);
		spin_unlock_irq(&engine->lock);
		return dma_fence_get(&hw->base);
	}
	/* A released plug reaches the engine and leaves it at once. */
	if (!error)
		cgpu_engine_account(hw, 0, true);
	spin_unlock_irq(&engine->lock);
	if (error)
		dma_fence_set_error(&hw->base, error);
	dma_fence_signal(&hw->base);
	return dma_fence_get(&hw->base);
}

static void cgpu_free_job(struct drm_sched_job *sched_job)
{
	struct cgpu_job *job = to_cgpu_job(sched_job);
	struct cgpu_engine *engine = job->hw->engine;
	struct dma_fence *hw = &job->hw->base;
	unsigned long flags;

	/* A job the scheduler dropped never reached the engine: end it too. */
	if (!dma_fence_is_signaled(hw)) {
		dma_fence_set_error(hw, sched_job->s_fence->finished.error ?: -ECANCELED);
		dma_fence_signal(hw);
	}
	drm_sched_job_cleanup(sched_job);
	dma_fence_put(hw);
	kfree(job);
	/* The scheduler's workqueue or, for dropped jobs, the system's. */
	spin_lock_irqsave(&engine->lock, flags);
	if (!--engine->jobs)
		wake_up(&engine->idle);
	spin_unlock_irqrestore(&engine->lock, flags);
}

/*
 * The scheduler's timeout is MAX_SCHEDULE_TIMEOUT: no job ever times out,
 * so there is no timedout_job.
 */
static const struct drm_sched_backend_ops cgpu_sched_ops = {
	.run_job = cgpu_run_job,
	.free_job = cgpu_free_job,
};

static int cgpu_engine_init(struct cgpu_device *cdev)
{
	struct cgpu_engine *engine = &cdev->engine;
	const struct drm_sched_init_args args = {
		.ops = &cgpu_sched_ops,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.credit_limit = 1,
		.timeout = MAX_SCHEDULE_TIMEOUT,
		.name = dev_name(cdev->drm.dev),
		.dev = cdev->drm.dev,
	};

	spin_lock_init(&engine->lock);
	init_waitqueue_head(&engine->idle);
	return drm_sched_init(&engine->sched, &args);
}

/*
 * At unbind, with the engine dead: waits until the scheduler has taken
 * every queued job, which then ends with -ENODEV.
 */
static void cgpu_ctx_destroy_entities(struct cgpu_context *ctx)
{
	int level;

	for (level = 0; level < CGPU_LEVELS; level++)
		drm_sched_entity_destroy(&ctx->entities[level]);
}

/*
 * At unbind: ends the running job and every job that reaches the engine
 * from now with -ENODEV, destroys every context's entities, waits until
 * the scheduler has freed every job, and only then tears it down, since
 * drm_sched_fini() frees no pending job. The jobs that closed files'
 * entities dropped are freed from the system workqueue, even after the
 * last file is gone: without the wait they would reach a freed device.
 */
static void cgpu_engine_fini(struct cgpu_device *cdev)
{
	struct cgpu_engine *engine = &cdev->engine;
	struct cgpu_hw_fence *running;
	struct cgpu_context *ctx;

	spin_lock_irq(&engine->lock);
	engine->dead = true;
	running = engine->running;
	if (running)
		dma_fence_get(&running->base);
	spin_unlock_irq(&engine->lock);
	if (running) {
		cgpu_engine_cancel(running, -ENODEV);
		dma_fence_put(&running->base);
	}

	mutex_lock(&cdev->contexts_lock);
	list_for_each_entry(ctx, &cdev->contexts, node) {
		cgpu_ctx_destroy_entities(ctx);
		ctx->listed = false;
	}
	INIT_LIST_HEAD(&cdev->contexts);
	mutex_unlock(&cdev->contexts_lock);

	spin_lock_irq(&engine->lock);
	wait_event_lock_irq(engine->idle, !engine->jobs, engine->lock);
	spin_unlock_irq(&engine->lock);
	drm_sched_fini(&engine->sched);
}

/*
 * The effective priority of @ctx on @cdev, now: a lookup that never takes
 * cgroup_mutex nor allocates, so submission can make it. Inside
 * drm_dev_enter().
 */
static int cgpu_ctx_priority(struct cgpu_device *cdev, struct cgpu_context *ctx)
{
	int offset = cgpu_effective(cdev, ctx->cgrp, CGPU_OFFSET);

	return clamp(ctx->requested + offset, CGROUP_GPU_PRIORITY_MIN,
		     CGROUP_GPU_PRIORITY_MAX);
}

/* The effective priority of @ctx on @drm, now; -ENODEV once it is gone. */
static int cgpu_ctx_effective(struct drm_device *drm, struct cgpu_context *ctx,
			      int *effective)
{
	int idx;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	*effective = cgpu_ctx_priority(to_cgpu(drm), ctx);
	drm_dev_exit(idx);
	return 0;
}

static enum cgpu_level cgpu_level_of(int priority)
{
	if (priority > 0)
		return CGPU_HIGH;
	return priority < 0 ? CGPU_LOW : CGPU_NORMAL;
}

/*
 * Gives @ctx its accounting and its entities, and lists it for unbind.
 * Inside drm_dev_enter(), so that unbind cannot miss it.
 */
static int cgpu_ctx_init(struct cgpu_device *cdev, struct cgpu_context *ctx)
{
	struct drm_gpu_scheduler *sched = &cdev->engine.sched;
	struct cgpu_cgroup *cg;
	int level, ret;

	if (cgpu_has_cgroup_data(cdev)) {
		cg = cgpu_get(cdev, ctx->cgrp);
		if (IS_ERR(cg))
			return PTR_ERR(cg);
		ctx->cgroup_usage = &cg->usage;
	}
	for (level = 0; level < CGPU_LEVELS; level++) {
		ret = drm_sched_entity_init(&ctx->entities[level],
					    cgpu_sched_priority[level], &sched, 1, NULL);
		if (ret) {
			while (level--)
				drm_sched_entity_destroy(&ctx->entities[level]);
			return ret;
		}
	}
	mutex_lock(&cdev->contexts_lock);
	list_add_tail(&ctx->node, &cdev->contexts);
	ctx->listed = true;
	mutex_unlock(&cdev->contexts_lock);
	return 0;
}

/*
 * Takes @ctx's entities off the scheduler unless unbind did, without
 * waiting for the engine, which another file's plug may hold: the scheduler
 * drops their queued jobs (-ESRCH). Under the lock, since after unbind the
 * scheduler is gone.
 */
static void cgpu_ctx_stop(struct cgpu_device *cdev, struct cgpu_context *ctx)
{
	int level;

	mutex_lock(&cdev->contexts_lock);
	if (ctx->listed) {
		list_del(&ctx->node);
		for (level = 0; level < CGPU_LEVELS; level++)
			drm_sched_entity_fini(&ctx->entities[level]);
		ctx->listed = false;
	}
	mutex_unlock(&cdev->contexts_lock);
}

static void cgpu_ctx_free(struct cgpu_device *cdev, struct cgpu_context *ctx)
{
	cgpu_ctx_stop(cdev, ctx);
	cgroup_put(ctx->cgrp);
	kfree(ctx);
}

static int cgpu_ctx_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgroup_gpu_ctx *args = data;
	struct cgpu_context *ctx;
	int idx, ret;

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

	ret = -ENODEV;
	if (drm_dev_enter(drm, &idx)) {
		ret = cgpu_ctx_init(to_cgpu(drm), ctx);
		args->effective = cgpu_ctx_priority(to_cgpu(drm), ctx);
		drm_dev_exit(idx);
	}
	if (!ret)
		ret = xa_alloc(&cfile->contexts, &args->ctx_id, ctx,
			       XA_LIMIT(0, CGROUP_GPU_MAX_CONTEXTS - 1),
			       GFP_KERNEL_ACCOUNT);
	if (ret) {
		cgpu_ctx_free(to_cgpu(drm), ctx);
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

static struct cgpu_hw_fence *
cgpu_hw_fence_create(struct cgpu_engine *engine, const struct cgroup_gpu_submit *args)
{
	struct cgpu_hw_fence *hw = kzalloc(sizeof(*hw), GFP_KERNEL_ACCOUNT);

	if (!hw)
		return NULL;
	spin_lock_init(&hw->lock);
	/*
	 * Jobs leave the engine in the order the scheduler picks, not in that
	 * of their creation: each fence is a timeline of its own.
	 */
	dma_fence_init(&hw->base, &cgpu_fence_ops, &hw->lock,
		       dma_fence_context_alloc(1), 1);
	hw->engine = engine;
	hrtimer_init(&hw->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hw->timer.function = cgpu_job_time_up;
	hw->duration_ns = args->duration_ns;
	hw->plug = args->flags & CGROUP_GPU_SUBMIT_PLUG;
	return hw;
}

static void cgpu_job_ref_free(struct cgpu_job_ref *ref)
{
	dma_fence_put(ref->finished);
	dma_fence_put(&ref->hw->base);
	kfree(ref);
}

static int cgpu_submit_check(const struct cgroup_gpu_submit *args)
{
	if (args->pad || args->flags & ~CGROUP_GPU_SUBMIT_PLUG)
		return -EINVAL;
	if (args->flags & CGROUP_GPU_SUBMIT_PLUG)
		return args->duration_ns ? -EINVAL : 0;
	if (!args->duration_ns || args->duration_ns > CGROUP_GPU_JOB_MAX_NS)
		return -EINVAL;
	return 0;
}

/*
 * Queues a job of @ctx at the level of its effective priority now. Under
 * the file's lock, which serializes the arming and pushing of its jobs, and
 * inside drm_dev_enter(). Everything that may fail or allocate is done
 * before the job is armed: from there to the push its fence may only be
 * signalled.
 */
static int cgpu_queue_job(struct cgpu_device *cdev, struct cgpu_file *cfile,
			  struct cgpu_context *ctx, struct cgroup_gpu_submit *args,
			  u64 client_id, struct drm_syncobj *syncobj)
{
	struct cgpu_job_ref *ref;
	struct cgpu_job *job;
	bool cookie;
	int ret = -ENOMEM;

	ref = kzalloc(sizeof(*ref), GFP_KERNEL_ACCOUNT);
	if (!ref)
		return -ENOMEM;
	ref->hw = cgpu_hw_fence_create(&cdev->engine, args);
	if (!ref->hw)
		goto out_ref;
	job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);
	if (!job)
		goto out_hw;
	ret = xa_alloc(&cfile->jobs, &args->job_id, ref,
		       XA_LIMIT(1, CGROUP_GPU_MAX_JOBS), GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out_job;

	args->priority = cgpu_ctx_priority(cdev, ctx);
	ret = drm_sched_job_init(&job->base,
				 &ctx->entities[cgpu_level_of(args->priority)],
				 1, cfile, client_id);
	if (ret)
		goto out_id;
	ref->hw->usage[0] = &cfile->usage;
	ref->hw->usage[1] = ctx->cgroup_usage;
	job->hw = ref->hw;
	dma_fence_get(&job->hw->base);
	spin_lock_irq(&cdev->engine.lock);
	cdev->engine.jobs++;
	spin_unlock_irq(&cdev->engine.lock);

	cookie = dma_fence_begin_signalling();
	drm_sched_job_arm(&job->base);
	ref->finished = dma_fence_get(&job->base.s_fence->finished);
	drm_sched_entity_push_job(&job->base);
	dma_fence_end_signalling(cookie);

	if (syncobj)
		drm_syncobj_replace_fence(syncobj, ref->finished);
	return 0;

out_id:
	xa_erase(&cfile->jobs, args->job_id);
out_job:
	kfree(job);
out_hw:
	dma_fence_put(&ref->hw->base);
out_ref:
	kfree(ref);
	return ret;
}

static int cgpu_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgroup_gpu_submit *args = data;
	struct drm_syncobj *syncobj = NULL;
	struct cgpu_context *ctx;
	int idx, ret;

	ret = cgpu_submit_check(args);
	if (ret)
		return ret;
	ctx = xa_load(&cfile->contexts, args->ctx_id);
	if (!ctx)
		return -ENOENT;
	if (args->syncobj) {
		syncobj = drm_syncobj_find(file, args->syncobj);
		if (!syncobj)
			return -ENOENT;
	}
	ret = -ENODEV;
	if (drm_dev_enter(drm, &idx)) {
		mutex_lock(&cfile->lock);
		ret = cgpu_queue_job(to_cgpu(drm), cfile, ctx, args,
				     file->client_id, syncobj);
		mutex_unlock(&cfile->lock);
		drm_dev_exit(idx);
	}
	if (syncobj)
		drm_syncobj_put(syncobj);
	return ret;
}

/* Forgets job @id of @cfile if it is still the one whose fence is @finished. */
static void cgpu_forget_job(struct cgpu_file *cfile, u32 id,
			    struct dma_fence *finished)
{
	struct cgpu_job_ref *ref;

	mutex_lock(&cfile->lock);
	ref = xa_load(&cfile->jobs, id);
	if (ref && ref->finished == finished)
		xa_erase(&cfile->jobs, id);
	else
		ref = NULL;
	mutex_unlock(&cfile->lock);
	if (ref)
		cgpu_job_ref_free(ref);
}

/* Waits outside drm_dev_enter(): unbind must not wait for a waiter. */
static int cgpu_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgroup_gpu_wait *args = data;
	struct dma_fence *fence, *hw = NULL;
	struct cgpu_job_ref *ref;
	long timeout, ret;

	if (args->flags || args->pad || args->timeout_ns < 0)
		return -EINVAL;
	mutex_lock(&cfile->lock);
	ref = xa_load(&cfile->jobs, args->job_id);
	if (ref) {
		fence = dma_fence_get(ref->finished);
		hw = dma_fence_get(&ref->hw->base);
	}
	mutex_unlock(&cfile->lock);
	if (!hw)
		return -ENOENT;

	/* Rounded up: a wait is never shorter than asked. */
	timeout = args->timeout_ns ? nsecs_to_jiffies64(args->timeout_ns) + 1 : 0;
	timeout = min_t(u64, timeout, MAX_SCHEDULE_TIMEOUT);
	ret = dma_fence_wait_timeout(fence, true, timeout);
	if (ret >= 0 && dma_fence_is_signaled(fence)) {
		args->status = fence->error;
		args->end_seq = to_hw_fence(hw)->end_seq;
		cgpu_forget_job(cfile, args->job_id, fence);
		ret = 0;
	} else if (ret >= 0) {
		ret = -ETIME;
	}
	dma_fence_put(hw);
	dma_fence_put(fence);
	return ret;
}

static int cgpu_unplug(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgroup_gpu_job *args = data;
	struct cgpu_job_ref *ref;
	int ret = -ENOENT;

	if (args->pad)
		return -EINVAL;
	mutex_lock(&cfile->lock);
	ref = xa_load(&cfile->jobs, args->job_id);
	if (ref) {
		ret = ref->hw->plug ? 0 : -EINVAL;
		if (!ret)
			cgpu_engine_unplug(ref->hw);
	}
	mutex_unlock(&cfile->lock);
	return ret;
}

static int cgpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct cgpu_file *cfile = kzalloc(sizeof(*cfile), GFP_KERNEL_ACCOUNT);

	if (!cfile)
		return -ENOMEM;
	xa_init_flags(&cfile->contexts, XA_FLAGS_ALLOC);
	xa_init_flags(&cfile->jobs, XA_FLAGS_ALLOC1);
	mutex_init(&cfile->lock);
	file->driver_priv = cfile;
	return 0;
}

static void cgpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;
	struct cgpu_job_ref *ref;
	struct cgpu_context *ctx;
	unsigned long id;

	/*
	 * Its queued jobs go with their entities, then the one on the engine
	 * ends: none can reach the engine in between. The contexts, whose
	 * cgroups hold the running job's usage, go last.
	 */
	xa_for_each(&cfile->contexts, id, ctx)
		cgpu_ctx_stop(to_cgpu(drm), ctx);
	xa_for_each(&cfile->jobs, id, ref)
		cgpu_engine_cancel(ref->hw, -ECANCELED);
	xa_for_each(&cfile->contexts, id, ctx)
		cgpu_ctx_free(to_cgpu(drm), ctx);
	xa_for_each(&cfile->jobs, id, ref)
		cgpu_job_ref_free(ref);
	xa_destroy(&cfile->jobs);
	xa_destroy(&cfile->contexts);
	mutex_destroy(&cfile->lock);
	kfree(cfile);
}

/* Documentation/gpu/drm-usage-stats.rst: the time the file's jobs held the engine. */
static void cgpu_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct cgpu_file *cfile = file->driver_priv;

	drm_printf(p, "drm-engine-render:\t%lld ns\n",
		   atomic64_read(&cfile->usage.engine_ns));
}

static const struct drm_ioctl_desc cgpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_SETPARAM, cgpu_setparam, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_GETPARAM, cgpu_getparam, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_CTX_CREATE, cgpu_ctx_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_CTX_GET, cgpu_ctx_get, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_SUBMIT, cgpu_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_WAIT, cgpu_wait, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(CGROUP_GPU_UNPLUG, cgpu_unplug, DRM_RENDER_ALLOW),
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
		seq_printf(m, " engine_ns %lld jobs_done %lld\n",
			   atomic64_read(&cg->usage.engine_ns),
			   atomic64_read(&cg->usage.jobs_done));
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
	.show_fdinfo = drm_show_fdinfo,
	.fop_flags = FOP_UNSIGNED_OFFSET,
};

static const struct drm_driver cgpu_driver = {
	.driver_features = DRIVER_RENDER | DRIVER_SYNCOBJ,
	.open = cgpu_open,
	.postclose = cgpu_postclose,
	.show_fdinfo = cgpu_show_fdinfo,
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
	if (!ret)
		ret = drmm_mutex_init(&cdev->drm, &cdev->contexts_lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&cdev->data);
	INIT_LIST_HEAD(&cdev->contexts);
	ret = cgpu_engine_init(cdev);
	if (ret)
		return ret;

	/* One registration per device: devices never share cgroup data. */
	if (!no_cgroup_data)
		cdev->cgdrv = cgroup_driver_init_priv(&cgpu_cgroup_funcs, cdev);
	if (IS_ERR(cdev->cgdrv)) {
		drm_sched_fini(&cdev->engine.sched);
		return PTR_ERR(cdev->cgdrv);
	}
	if (!cgpu_has_cgroup_data(cdev))
		pr_info_once(DRIVER_NAME ": no cgroup driver data: per-cgroup settings answer -EOPNOTSUPP, contexts get offset 0\n");
	drm_debugfs_add_files(&cdev->drm, cgpu_debugfs_list,
			      ARRAY_SIZE(cgpu_debugfs_list));
	ret = drm_dev_register(&cdev->drm, 0);
	if (ret) {
		cgroup_driver_release(cdev->cgdrv);
		drm_sched_fini(&cdev->engine.sched);
		return ret;
	}
	platform_set_drvdata(pdev, cdev);
	return 0;
}

static void cgpu_remove(struct platform_device *pdev)
{
	struct cgpu_device *cdev = platform_get_drvdata(pdev);

	/* Waits for the ioctls that use the registration or the scheduler. */
	drm_dev_unplug(&cdev->drm);
	/* Every job ends, so every cgroup's accounting is written for the last time. */
	cgpu_engine_fini(cdev);
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
