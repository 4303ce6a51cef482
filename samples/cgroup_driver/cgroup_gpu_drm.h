/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uAPI of the GPU-like samples of cgroup driver data
 * (samples/cgroup_driver): the DRM driver in C and the misc-device driver in
 * Rust answer the same ioctls, so one selftest runs against both.
 *
 * Each device keeps, per cgroup, a priority offset and a display boost, set
 * through an ioctl that names the cgroup by a directory fd, as i915 did in
 * the RFC series. A context that a process creates gets the priority it asks
 * for plus the offset of the process's cgroup, clamped, fixed at creation.
 */
#ifndef _UAPI_CGROUP_GPU_DRM_H
#define _UAPI_CGROUP_GPU_DRM_H

#include "drm.h"

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

/**
 * struct cgroup_gpu_param - a per-cgroup parameter of a device
 * @cgroup_fd: an open directory of a cgroup v2 cgroup
 * @flags: must be 0
 * @param: CGROUP_GPU_PARAM_*
 * @value: the value to set, or the value read
 *
 * Errors: EBADF if @cgroup_fd is not open or not a cgroup directory, ENOTDIR
 * if it is not a directory, EINVAL for a cgroup v1 cgroup, an unknown @param,
 * nonzero @flags or a @value out of range, EACCES on SETPARAM when the caller
 * may not write to the cgroup's directory and lacks CAP_SYS_ADMIN.
 */
struct cgroup_gpu_param {
	__s32 cgroup_fd;
	__u32 flags;
	__u64 param;
	__s64 value;
};

/**
 * struct cgroup_gpu_ctx - a context of the caller's open file
 * @priority: in: the requested priority, in the CGROUP_GPU_PRIORITY range
 * @effective: out: @priority plus the offset of the caller's cgroup, clamped
 * @ctx_id: out on CTX_CREATE, in on CTX_GET
 * @pad: must be 0
 */
struct cgroup_gpu_ctx {
	__s32 priority;
	__s32 effective;
	__u32 ctx_id;
	__u32 pad;
};

/*
 * Every ioctl fails with ENODEV once its device has gone away, for example
 * unbound from its driver, while the file stays open.
 */
#define DRM_CGROUP_GPU_SETPARAM		0x00
#define DRM_CGROUP_GPU_GETPARAM		0x01
#define DRM_CGROUP_GPU_CTX_CREATE	0x02
#define DRM_CGROUP_GPU_CTX_GET		0x03

#define DRM_IOCTL_CGROUP_GPU_SETPARAM \
	DRM_IOW(DRM_COMMAND_BASE + DRM_CGROUP_GPU_SETPARAM, struct cgroup_gpu_param)
#define DRM_IOCTL_CGROUP_GPU_GETPARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_GETPARAM, struct cgroup_gpu_param)
#define DRM_IOCTL_CGROUP_GPU_CTX_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_CTX_CREATE, struct cgroup_gpu_ctx)
#define DRM_IOCTL_CGROUP_GPU_CTX_GET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_CGROUP_GPU_CTX_GET, struct cgroup_gpu_ctx)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_CGROUP_GPU_DRM_H */
