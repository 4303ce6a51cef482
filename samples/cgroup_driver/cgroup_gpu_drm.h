/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uAPI of the GPU-like samples of cgroup driver data
 * (samples/cgroup_driver): the DRM driver in C and the misc-device driver in
 * Rust answer the same ioctls, so one selftest runs against both. A sample's
 * interface, not the kernel's: it is not installed with the uAPI headers.
 *
 * Each device keeps, per cgroup, a priority offset and a display boost, set
 * through an ioctl that names the cgroup by a directory fd, as i915 did in
 * the RFC series.
 *
 * Values are hierarchical, like cpu.uclamp.max or memory.max. The root
 * cgroup has none. A cgroup either has its own value or is unset; unset is
 * not 0. Its effective value is its parent's effective value if it is unset,
 * its own value if it is a top-level cgroup (whoever may write the root
 * cgroup's directory may set one of those, see below), and otherwise the
 * lower of its own value and its parent's effective value. Where nothing is
 * set, the effective value is 0.
 * So a delegatee may lower its subtree, or spread it below what it was
 * given, but never rise above that, however many children it creates.
 *
 * A context remembers the cgroup its creator was in and the priority it
 * asked for; its effective priority is that priority plus the effective
 * offset of that cgroup now, clamped, so changing a cgroup or an ancestor
 * changes its existing contexts at once. Moving the creator to another
 * cgroup later does not move its contexts.
 *
 * Contexts submit jobs to their device's engine, which runs one job at a
 * time, for the job's duration, and never preempts it. A job is queued at
 * the level of its context's effective priority at submission: HIGH above
 * 0, NORMAL at 0, LOW below 0 (the DRM GPU scheduler's levels; KERNEL is
 * never used). The engine always runs the oldest queued job of the highest
 * level that has one: strict priority, first come first served within a
 * level. So a busy higher level starves the lower ones, and a change of a
 * cgroup's value reaches the next job of every context, never one already
 * queued: a context whose level changed may see its new jobs overtake, or
 * be overtaken by, its jobs still queued at the old level.
 *
 * Each device accounts, per cgroup (the one each context was created in),
 * the time its jobs held the engine and the jobs that completed, and lists
 * these totals with the cgroup's values in debugfs, a line per cgroup that
 * holds its data: dri/<device>/cgroups for the DRM devices,
 * cgroup_gpu_rust<N>/cgroups for the Rust ones. The DRM devices also report
 * each open file's engine time as drm-engine-render in
 * /proc/<pid>/fdinfo/<fd> (Documentation/gpu/drm-usage-stats.rst). A job's
 * time counts when it leaves the engine.
 */
#ifndef _CGROUP_GPU_DRM_H
#define _CGROUP_GPU_DRM_H

#include <drm/drm.h>

#if defined(__cplusplus)
extern "C" {
#endif

#define CGROUP_GPU_PRIORITY_MIN		(-1023)
#define CGROUP_GPU_PRIORITY_MAX		1023

/* Added to a context's requested priority; default 0. */
#define CGROUP_GPU_PARAM_PRIORITY_OFFSET	1
/* Boost of display work, 0 to CGROUP_GPU_DISPBOOST_MAX; default 0. */
#define CGROUP_GPU_PARAM_DISPBOOST		2

#define CGROUP_GPU_DISPBOOST_MAX	100

/* Contexts an open file may hold; CTX_CREATE fails with ENOSPC beyond. */
#define CGROUP_GPU_MAX_CONTEXTS		1024

/* SETPARAM: unset the cgroup's own value; @value must be 0. */
#define CGROUP_GPU_PARAM_UNSET		0x1
/* GETPARAM: read the effective value rather than the cgroup's own. */
#define CGROUP_GPU_PARAM_EFFECTIVE	0x2
/* GETPARAM, out: the cgroup has a value of its own. */
#define CGROUP_GPU_PARAM_IS_SET		0x4

/**
 * struct cgroup_gpu_param - a per-cgroup parameter of a device
 * @cgroup_fd: an open directory of a cgroup v2 cgroup; O_PATH is enough
 * @flags: in: CGROUP_GPU_PARAM_UNSET on SETPARAM, CGROUP_GPU_PARAM_EFFECTIVE
 *	on GETPARAM, or 0; out of GETPARAM: CGROUP_GPU_PARAM_IS_SET if the cgroup
 *	has its own value, with the EFFECTIVE bit as it came in
 * @param: CGROUP_GPU_PARAM_*
 * @value: the value to set; the value read: the cgroup's own (0 if unset)
 *	or, with CGROUP_GPU_PARAM_EFFECTIVE, its effective value
 *
 * Who may set follows cgroup v2 delegation: the settings of a cgroup belong
 * to whoever may write the directory of its parent (who may create and
 * remove it), or to a caller with CAP_SYS_ADMIN. A delegatee owns its own
 * directory, and may set its children, not itself. The root cgroup has no
 * settings, and the root of the caller's cgroup namespace cannot be set from
 * inside it.
 *
 * Errors: EBADF if @cgroup_fd is not open or not a cgroup directory, ENOTDIR
 * if it is not a directory, ENOENT if the cgroup is outside the caller's
 * cgroup namespace or being removed, EINVAL for a cgroup v1 cgroup, an
 * unknown @param, unknown @flags or a @value out of range. On SETPARAM also
 * EINVAL for the root cgroup, EPERM for the root of the caller's cgroup
 * namespace and EACCES when the caller may not write the directory of the
 * cgroup's parent and lacks CAP_SYS_ADMIN.
 *
 * On a kernel without cgroup driver data (the stubs of cgroup_driver.h),
 * where only the DRM sample builds, both ioctls fail with EOPNOTSUPP once
 * @param, @flags and @value have passed the checks above, and contexts get
 * an offset of 0.
 */
struct cgroup_gpu_param {
	__s32 cgroup_fd;
	__u32 flags;
	__u64 param;
	__s64 value;
};

/**
 * struct cgroup_gpu_ctx - a context of the caller's open file
 * @priority: in: the requested priority, in the CGROUP_GPU_PRIORITY range;
 *	above 0 needs CAP_SYS_NICE (EPERM)
 * @effective: out: @priority plus the effective offset, now, of the cgroup
 *	the context was created in, clamped to the CGROUP_GPU_PRIORITY range
 * @ctx_id: out on CTX_CREATE, in on CTX_GET
 * @pad: must be 0
 */
struct cgroup_gpu_ctx {
	__s32 priority;
	__s32 effective;
	__u32 ctx_id;
	__u32 pad;
};

/* A job's @duration_ns: 1 to CGROUP_GPU_JOB_MAX_NS. */
#define CGROUP_GPU_JOB_MAX_NS		1000000000ULL
/* Jobs an open file may hold, not yet waited for; SUBMIT fails with EBUSY beyond. */
#define CGROUP_GPU_MAX_JOBS		64
/* SUBMIT: a plug, which holds the engine until UNPLUG; @duration_ns must be 0. */
#define CGROUP_GPU_SUBMIT_PLUG		0x1

/**
 * struct cgroup_gpu_submit - a job for a context's device
 * @ctx_id: in: the context, of the caller's open file
 * @flags: in: CGROUP_GPU_SUBMIT_PLUG or 0
 * @duration_ns: in: how long the job holds the engine; 0 for a plug
 * @syncobj: in: 0, or a syncobj of the caller's file (DRM devices only) whose
 *	fence becomes the job's: it signals when the job ends
 * @job_id: out: the job, for WAIT and UNPLUG, until a WAIT says it ended
 * @priority: out: the context's effective priority at submission, which
 *	chose the job's level
 * @pad: must be 0
 */
struct cgroup_gpu_submit {
	__u32 ctx_id;
	__u32 flags;
	__u64 duration_ns;
	__u32 syncobj;
	__u32 job_id;
	__s32 priority;
	__u32 pad;
};

/**
 * struct cgroup_gpu_wait - wait for a job of the caller's open file
 * @job_id: in: the job
 * @flags: in: must be 0
 * @timeout_ns: in: how long to wait, at least 0; 0 only looks
 * @status: out: how the job ended: 0 done, or the negative errno that ended
 *	it early: -ECANCELED when its file was closed while it ran, -ESRCH
 *	when it was still queued then (dropped, as the GPU scheduler drops an
 *	entity's jobs), -ENODEV when its device went away
 * @pad: must be 0
 * @end_seq: out: the job's place among the jobs that left the device's
 *	engine, 1 for the first since the device was bound; 0 for a job that
 *	never reached it. It tells the order jobs ran in without timing.
 *
 * Once a WAIT has returned a job's @status, the file forgets the job and
 * its id may be given to another.
 */
struct cgroup_gpu_wait {
	__u32 job_id;
	__u32 flags;
	__s64 timeout_ns;
	__s32 status;
	__u32 pad;
	__u64 end_seq;
};

/**
 * struct cgroup_gpu_job - a job of the caller's open file
 * @job_id: in: the job
 * @pad: must be 0
 */
struct cgroup_gpu_job {
	__u32 job_id;
	__u32 pad;
};

/*
 * CTX_CREATE fails with EINVAL for a @priority out of range or a @pad that
 * is not 0, and with ENOSPC when the file holds CGROUP_GPU_MAX_CONTEXTS;
 * CTX_GET with EINVAL for a @pad that is not 0 and ENOENT if the file has
 * no context @ctx_id.
 *
 * SUBMIT fails with EINVAL for unknown @flags, a @duration_ns out of range
 * (or not 0 for a plug), a @pad that is not 0 or a @syncobj on a misc
 * device, with ENOENT if the file has no context @ctx_id or no syncobj
 * @syncobj, and with EBUSY when the file holds CGROUP_GPU_MAX_JOBS jobs.
 * WAIT fails with EINVAL for @flags or @pad not 0 or a negative
 * @timeout_ns, with ENOENT if the file has no job @job_id, with ETIME if
 * the job has not ended within @timeout_ns, and with EINTR if a signal came
 * first (unless its handler restarts the call). UNPLUG releases a plug (a
 * plug released before it reaches the engine ends as soon as it does, and
 * one that has ended stays so): it fails with EINVAL for a @pad that is not
 * 0 or a job that is not a plug, and with ENOENT if the file has no job
 * @job_id.
 *
 * Closing a file ends its jobs at once: the one on the engine with
 * -ECANCELED, the queued ones with -ESRCH, none of them starting in
 * between. A device that goes away ends its jobs with -ENODEV and wakes
 * every WAIT in progress; later ioctls fail with ENODEV, as below.
 *
 * Every ioctl fails with ENODEV once its device has gone away, for example
 * unbound from its driver, while the file stays open; with EFAULT if its
 * argument cannot be read or, for _IOWR, written back; with ENOMEM when
 * the kernel is out of memory. An ioctl number that is not one of the seven
 * below gets ENOTTY from the misc devices. DRM devices, like every DRM
 * driver, answer ENOTTY for a type other than DRM_IOCTL_BASE and EINVAL for
 * a driver ioctl number they do not have, and truncate or zero-extend an
 * argument of another size or direction.
 */
#define DRM_CGROUP_GPU_SETPARAM		0x00
#define DRM_CGROUP_GPU_GETPARAM		0x01
#define DRM_CGROUP_GPU_CTX_CREATE	0x02
#define DRM_CGROUP_GPU_CTX_GET		0x03
#define DRM_CGROUP_GPU_SUBMIT		0x04
#define DRM_CGROUP_GPU_WAIT		0x05
#define DRM_CGROUP_GPU_UNPLUG		0x06

#define DRM_IOCTL_CGROUP_GPU_SETPARAM \
	DRM_IOW(DRM_COMMAND_BASE + DRM_CGROUP_GPU_SETPARAM, struct cgroup_gpu_param)
#define DRM_IOCTL_CGROUP_GPU_GETPARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_GETPARAM, struct cgroup_gpu_param)
#define DRM_IOCTL_CGROUP_GPU_CTX_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_CTX_CREATE, struct cgroup_gpu_ctx)
#define DRM_IOCTL_CGROUP_GPU_CTX_GET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_CTX_GET, struct cgroup_gpu_ctx)
#define DRM_IOCTL_CGROUP_GPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_SUBMIT, struct cgroup_gpu_submit)
#define DRM_IOCTL_CGROUP_GPU_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_WAIT, struct cgroup_gpu_wait)
#define DRM_IOCTL_CGROUP_GPU_UNPLUG \
	DRM_IOW(DRM_COMMAND_BASE + DRM_CGROUP_GPU_UNPLUG, struct cgroup_gpu_job)

#if defined(__cplusplus)
}
#endif

#endif /* _CGROUP_GPU_DRM_H */
