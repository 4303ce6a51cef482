// SPDX-License-Identifier: GPL-2.0
/*
 * The uAPI of the GPU-like samples (samples/cgroup_driver/cgroup_gpu_drm.h), run
 * against both: the C DRM driver (render nodes) and the Rust misc-device
 * driver. Each test loads the sample with two devices and unloads it after.
 * $CGDRV_SAMPLES names the directory of the samples' .ko files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/param.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <libgen.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include "cgroup_gpu_drm.h"

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "cgroup_driver_util.h"

#define OFFSET CGROUP_GPU_PARAM_PRIORITY_OFFSET
#define DISPBOOST CGROUP_GPU_PARAM_DISPBOOST

FIXTURE(uapi) {
	char root[PATH_MAX];
	char *cg_a, *cg_b;
	int a, b;	/* cgroup directory fds */
	int dev[2];
};

FIXTURE_VARIANT(uapi) {
	const char *module;
	/* Returns the device nodes of the loaded sample, or -1. */
	int (*open_devices)(int dev[2]);
	/* The sysfs directory that binds and unbinds single devices, if any. */
	const char *bus_driver;
	/* Refuses an ioctl whose type or direction is not the uAPI's. */
	bool whole_ioctl_number;
	/* Writes the path of the debugfs file that lists @dev's cgroups. */
	int (*usage_file)(int dev, char *path, size_t size);
};

/* The name of the sysfs directory /sys/dev/char/<dev's numbers>@suffix. */
static int char_dev_name(int dev, const char *suffix, char *name, size_t size)
{
	char link[64], target[PATH_MAX];
	struct stat st;
	ssize_t len;

	if (fstat(dev, &st))
		return -1;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u%s",
		 major(st.st_rdev), minor(st.st_rdev), suffix);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		return -1;
	target[len] = '\0';
	snprintf(name, size, "%s", basename(target));
	return 0;
}

/* The name of the bus device behind the character device open as @dev. */
static int device_name(int dev, char *name, size_t size)
{
	return char_dev_name(dev, "/device", name, size);
}

static int drm_usage_file(int dev, char *path, size_t size)
{
	char name[64];

	if (device_name(dev, name, sizeof(name)))
		return -1;
	snprintf(path, size, "/sys/kernel/debug/dri/%s/cgroups", name);
	return 0;
}

static int rust_usage_file(int dev, char *path, size_t size)
{
	char name[64];

	if (char_dev_name(dev, "", name, sizeof(name)))
		return -1;
	snprintf(path, size, "/sys/kernel/debug/%s/cgroups", name);
	return 0;
}

/* The render nodes of DRM driver "cgroup_gpu", in minor order. */
static int open_drm_devices(int dev[2])
{
	char name[32], path[64];
	struct drm_version v;
	int minor, n = 0;

	for (minor = 128; minor < 192 && n < 2; minor++) {
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", minor);
		dev[n] = open(path, O_RDWR | O_CLOEXEC);
		if (dev[n] < 0)
			continue;
		memset(&v, 0, sizeof(v));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		memset(name, 0, sizeof(name));
		if (!ioctl(dev[n], DRM_IOCTL_VERSION, &v) && !strcmp(name, "cgroup_gpu"))
			n++;
		else
			close(dev[n]);
	}
	return n == 2 ? 0 : -1;
}

static int open_rust_devices(int dev[2])
{
	dev[0] = open("/dev/cgroup_gpu_rust0", O_RDWR | O_CLOEXEC);
	dev[1] = open("/dev/cgroup_gpu_rust1", O_RDWR | O_CLOEXEC);
	return dev[0] < 0 || dev[1] < 0 ? -1 : 0;
}

FIXTURE_VARIANT_ADD(uapi, drm) {
	.module = "cgroup_driver_drm",
	.open_devices = open_drm_devices,
	.bus_driver = "/sys/bus/platform/drivers/cgroup_gpu",
	.usage_file = drm_usage_file,
};

FIXTURE_VARIANT_ADD(uapi, rust) {
	.module = "rust_cgroup_driver",
	.open_devices = open_rust_devices,
	.whole_ioctl_number = true,
	.usage_file = rust_usage_file,
};

/* An ioctl's result: 0, or -errno. */
static int ioctl_ret(int dev, unsigned long cmd, void *arg)
{
	return ioctl(dev, cmd, arg) ? -errno : 0;
}

static int setparam(int dev, int cgroup_fd, __u64 param, __s64 value)
{
	struct cgroup_gpu_param p = {
		.cgroup_fd = cgroup_fd, .param = param, .value = value,
	};

	return ioctl_ret(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p);
}

static int setparam_flags(int dev, int cgroup_fd, __u32 flags, __s64 value)
{
	struct cgroup_gpu_param p = {
		.cgroup_fd = cgroup_fd, .flags = flags, .param = OFFSET, .value = value,
	};

	return ioctl_ret(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p);
}

/*
 * The results of the ioctls below: the value read, or ERR(errno). Values
 * are within the priority range, far from any ERR().
 */
#define ERR(e) (-1000000 - (e))

static long long getparam_flags(int dev, int cgroup_fd, __u64 param, __u32 *flags)
{
	struct cgroup_gpu_param p = {
		.cgroup_fd = cgroup_fd, .flags = *flags, .param = param,
	};

	if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_GETPARAM, &p))
		return ERR(errno);
	*flags = p.flags;
	return p.value;
}

/* The cgroup's own value, 0 if unset. */
static long long getparam(int dev, int cgroup_fd, __u64 param)
{
	__u32 flags = 0;

	return getparam_flags(dev, cgroup_fd, param, &flags);
}

static long long effective(int dev, int cgroup_fd, __u64 param)
{
	__u32 flags = CGROUP_GPU_PARAM_EFFECTIVE;

	return getparam_flags(dev, cgroup_fd, param, &flags);
}

/* 1 if the cgroup has its own value, 0 if not, or ERR(errno). */
static long long is_set(int dev, int cgroup_fd, __u64 param)
{
	__u32 flags = 0;
	long long ret = getparam_flags(dev, cgroup_fd, param, &flags);

	return ret <= ERR(0) ? ret : !!(flags & CGROUP_GPU_PARAM_IS_SET);
}

static int unset(int dev, int cgroup_fd, __u64 param)
{
	struct cgroup_gpu_param p = {
		.cgroup_fd = cgroup_fd, .flags = CGROUP_GPU_PARAM_UNSET, .param = param,
	};

	return ioctl_ret(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p);
}

/* Creates a context; returns its effective priority. */
static int ctx_create(int dev, int priority, __u32 *id)
{
	struct cgroup_gpu_ctx c = { .priority = priority };

	if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_CTX_CREATE, &c))
		return ERR(errno);
	if (id)
		*id = c.ctx_id;
	return c.effective;
}

static int ctx_get(int dev, __u32 id)
{
	struct cgroup_gpu_ctx c = { .ctx_id = id };

	return ioctl(dev, DRM_IOCTL_CGROUP_GPU_CTX_GET, &c) ? ERR(errno) : c.effective;
}

static int make_cgroup(const char *root, const char *name, char **path)
{
	*path = cg_name(root, name);
	if (!*path || cg_create(*path))
		return -1;
	return open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

FIXTURE_SETUP(uapi)
{
	int ret;

	self->a = -1;
	self->b = -1;
	self->dev[0] = -1;
	self->dev[1] = -1;
	if (cg_find_unified_root(self->root, sizeof(self->root), NULL))
		SKIP(return, "cgroup v2 is not mounted");
	unload_module(variant->module);
	ret = load_sample(variant->module);
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", variant->module, strerror(-ret));
	ASSERT_EQ(0, variant->open_devices(self->dev));
	self->a = make_cgroup(self->root, "cgroup_gpu_a", &self->cg_a);
	ASSERT_LE(0, self->a);
	self->b = make_cgroup(self->root, "cgroup_gpu_b", &self->cg_b);
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(uapi)
{
	cg_enter_current(self->root);
	close(self->a);
	close(self->b);
	close(self->dev[0]);
	close(self->dev[1]);
	if (self->cg_a)
		rmdir(self->cg_a);
	if (self->cg_b)
		rmdir(self->cg_b);
	free(self->cg_a);
	free(self->cg_b);
	unload_module(variant->module);
}

/* Reading allocates nothing; a context allocates its cgroup's accounting. */
TEST_F(uapi, defaults_allocate_nothing)
{
	EXPECT_EQ(0, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(0, getparam(self->dev[0], self->a, DISPBOOST));
	EXPECT_EQ(0, effective(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(0, core_objects(variant->module));
	ASSERT_EQ(0, cg_enter_current(self->cg_a));
	EXPECT_EQ(5, ctx_create(self->dev[0], 5, NULL));
	EXPECT_EQ(5, ctx_create(self->dev[0], 5, NULL));
	EXPECT_EQ(1, core_objects(variant->module));
}

TEST_F(uapi, set_and_get)
{
	EXPECT_EQ(0, is_set(self->dev[0], self->a, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, -200));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, DISPBOOST, 40));
	EXPECT_EQ(-200, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(40, getparam(self->dev[0], self->a, DISPBOOST));
	EXPECT_EQ(1, is_set(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(1, core_objects(variant->module));
}

/* Unset is not 0: 0 is a value, and a set 0 bounds the subtree. */
TEST_F(uapi, unset_is_not_zero)
{
	char *child;
	int cfd = make_cgroup(self->cg_a, "child", &child);

	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 0));
	EXPECT_EQ(1, is_set(self->dev[0], self->a, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[0], cfd, OFFSET, -5));
	EXPECT_EQ(-5, effective(self->dev[0], cfd, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, -300));
	EXPECT_EQ(-300, effective(self->dev[0], cfd, OFFSET));
	ASSERT_EQ(0, unset(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(0, is_set(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(0, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(-5, effective(self->dev[0], cfd, OFFSET));
	ASSERT_EQ(0, unset(self->dev[0], cfd, OFFSET));
	EXPECT_EQ(0, effective(self->dev[0], cfd, OFFSET));
	/* Unsetting where nothing is stored stores nothing. */
	EXPECT_EQ(0, unset(self->dev[1], cfd, OFFSET));
	EXPECT_EQ(2, core_objects(variant->module));
	EXPECT_EQ(-EINVAL, setparam_flags(self->dev[0], cfd, CGROUP_GPU_PARAM_EFFECTIVE, 0));
	close(cfd);
	EXPECT_EQ(0, cg_destroy(child));
	free(child);
}

/*
 * Values are hierarchical, like cpu.uclamp.max: an unset cgroup inherits,
 * a set one below the top level is capped by its parent's effective value,
 * and a top-level one gets its own.
 */
TEST_F(uapi, effective_value_is_capped_by_ancestors)
{
	char *child, *grandchild;
	int cfd = make_cgroup(self->cg_a, "child", &child);
	int gfd = make_cgroup(child, "grandchild", &grandchild);

	ASSERT_LE(0, cfd);
	ASSERT_LE(0, gfd);
	/* Nothing set: the default. */
	EXPECT_EQ(0, effective(self->dev[0], gfd, OFFSET));
	/* Below an unset top level, the default bounds. */
	ASSERT_EQ(0, setparam(self->dev[0], cfd, OFFSET, 500));
	EXPECT_EQ(0, effective(self->dev[0], cfd, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 100));
	EXPECT_EQ(100, effective(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(100, effective(self->dev[0], cfd, OFFSET));
	EXPECT_EQ(100, effective(self->dev[0], gfd, OFFSET));
	EXPECT_EQ(500, getparam(self->dev[0], cfd, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[0], gfd, OFFSET, 30));
	EXPECT_EQ(30, effective(self->dev[0], gfd, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 10));
	EXPECT_EQ(10, effective(self->dev[0], gfd, OFFSET));
	/* Negative values spread below. */
	ASSERT_EQ(0, setparam(self->dev[0], cfd, OFFSET, -100));
	EXPECT_EQ(-100, effective(self->dev[0], gfd, OFFSET));
	/* The root has none. */
	EXPECT_EQ(0, effective(self->dev[0], self->a, DISPBOOST));

	close(gfd);
	close(cfd);
	EXPECT_EQ(0, cg_destroy(grandchild));
	EXPECT_EQ(0, cg_destroy(child));
	free(grandchild);
	free(child);
}

TEST_F(uapi, devices_and_siblings_are_isolated)
{
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 300));
	EXPECT_EQ(0, getparam(self->dev[1], self->a, OFFSET));
	EXPECT_EQ(0, getparam(self->dev[0], self->b, OFFSET));
	ASSERT_EQ(0, setparam(self->dev[1], self->a, OFFSET, -300));
	EXPECT_EQ(300, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(-300, getparam(self->dev[1], self->a, OFFSET));
	EXPECT_EQ(2, core_objects(variant->module));
}

TEST_F(uapi, effective_priority_follows_the_cgroup)
{
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 100));
	ASSERT_EQ(0, setparam(self->dev[0], self->b, OFFSET, -50));

	ASSERT_EQ(0, cg_enter_current(self->cg_a));
	EXPECT_EQ(110, ctx_create(self->dev[0], 10, NULL));
	/* The other device has no offset for this cgroup. */
	EXPECT_EQ(10, ctx_create(self->dev[1], 10, NULL));
	ASSERT_EQ(0, cg_enter_current(self->cg_b));
	EXPECT_EQ(-40, ctx_create(self->dev[0], 10, NULL));

	/* Clamped to the priority range. */
	ASSERT_EQ(0, setparam(self->dev[0], self->b, OFFSET, CGROUP_GPU_PRIORITY_MAX));
	EXPECT_EQ(CGROUP_GPU_PRIORITY_MAX, ctx_create(self->dev[0], 1000, NULL));
	ASSERT_EQ(0, setparam(self->dev[0], self->b, OFFSET, CGROUP_GPU_PRIORITY_MIN));
	EXPECT_EQ(CGROUP_GPU_PRIORITY_MIN, ctx_create(self->dev[0], -1000, NULL));
}

/*
 * A context stays with the cgroup its creator was in, and follows that
 * cgroup's value as it changes; moving the creator does not move it.
 */
TEST_F(uapi, contexts_follow_their_cgroup_not_their_creator)
{
	__u32 first, second;

	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 100));
	ASSERT_EQ(0, cg_enter_current(self->cg_a));
	ASSERT_EQ(100, ctx_create(self->dev[0], 0, &first));
	ASSERT_EQ(0, cg_enter_current(self->cg_b));
	ASSERT_EQ(0, ctx_create(self->dev[0], 0, &second));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 7));

	EXPECT_EQ(7, ctx_get(self->dev[0], first));
	EXPECT_EQ(0, ctx_get(self->dev[0], second));
	EXPECT_EQ(ERR(ENOENT), ctx_get(self->dev[0], second + 1));
	/* The context keeps its cgroup after the cgroup is removed. */
	ASSERT_EQ(0, cg_enter_current(self->root));
	close(self->a);
	self->a = -1;
	ASSERT_EQ(0, rmdir(self->cg_a));
	EXPECT_EQ(7, ctx_get(self->dev[0], first));
}

TEST_F(uapi, invalid_arguments)
{
	int file, dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char v1[] = "/tmp/cgroup_gpu_v1.XXXXXX";
	__u32 unset_flag = CGROUP_GPU_PARAM_UNSET;
	int v1fd;

	file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dir);
	ASSERT_LE(0, file);
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], self->a, 99, 0));
	EXPECT_EQ(ERR(EINVAL), getparam(self->dev[0], self->a, 99));
	EXPECT_EQ(-EINVAL, setparam_flags(self->dev[0], self->a, 1 << 3, 0));
	EXPECT_EQ(-EINVAL, setparam_flags(self->dev[0], self->a, CGROUP_GPU_PARAM_IS_SET, 0));
	EXPECT_EQ(-EINVAL, setparam_flags(self->dev[0], self->a, CGROUP_GPU_PARAM_UNSET, 1));
	EXPECT_EQ(ERR(EINVAL), getparam_flags(self->dev[0], self->a, OFFSET, &unset_flag));
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], self->a, OFFSET, CGROUP_GPU_PRIORITY_MAX + 1));
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], self->a, OFFSET, CGROUP_GPU_PRIORITY_MIN - 1));
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], self->a, DISPBOOST, -1));
	EXPECT_EQ(-EINVAL,
		  setparam(self->dev[0], self->a, DISPBOOST, CGROUP_GPU_DISPBOOST_MAX + 1));
	EXPECT_EQ(-EBADF, setparam(self->dev[0], 1000, OFFSET, 1));
	EXPECT_EQ(-EBADF, setparam(self->dev[0], -1, OFFSET, 1));
	EXPECT_EQ(-ENOTDIR, setparam(self->dev[0], file, OFFSET, 1));
	EXPECT_EQ(-EBADF, setparam(self->dev[0], dir, OFFSET, 1));
	EXPECT_EQ(ERR(EINVAL),
		  ctx_create(self->dev[0], CGROUP_GPU_PRIORITY_MAX + 1, NULL));

	ASSERT_NE(NULL, mkdtemp(v1));
	ASSERT_EQ(0, mount("none", v1, "cgroup", 0, "none,name=cgroup_gpu"));
	v1fd = open(v1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, v1fd);
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], v1fd, OFFSET, 1));
	EXPECT_EQ(ERR(EINVAL), getparam(self->dev[0], v1fd, OFFSET));
	close(v1fd);
	umount(v1);
	rmdir(v1);

	EXPECT_EQ(0, core_objects(variant->module));
	close(file);
	close(dir);
}

/* Drops to TEST_UID in a child that runs @fn; @fn's result, or -1000. */
static int as_nobody(int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(TEST_UID) || setuid(TEST_UID))
			_exit(100);
		_exit(-fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1000;
	return -WEXITSTATUS(status);
}

struct setparam_args {
	int dev, cgroup_fd, value;
};

static int setparam_fn(void *arg)
{
	struct setparam_args *a = arg;

	return setparam(a->dev, a->cgroup_fd, OFFSET, a->value);
}

static int setparam_as_nobody(int dev, int cgroup_fd, int value)
{
	struct setparam_args a = { dev, cgroup_fd, value };

	return as_nobody(setparam_fn, &a);
}

static int mkdir_fn(void *path)
{
	return mkdir(path, 0755) ? -errno : 0;
}

static int ctx_create_fn(void *arg)
{
	struct setparam_args *a = arg;
	int ret = ctx_create(a->dev, a->value, NULL);

	return ret <= ERR(0) ? ret - ERR(0) : 0;
}

/* Hands @cgroup to TEST_UID as systemd delegates a cgroup. */
static int delegate(const char *cgroup)
{
	static const char * const files[] = {
		".", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", cgroup, files[i]);
		if (chown(path, TEST_UID, TEST_UID))
			return -errno;
	}
	return 0;
}

/*
 * cgroup v2 delegation: a cgroup's settings belong to whoever may write its
 * parent's directory. The delegatee owns its delegated cgroup, so it may
 * set the children it creates there, but not the cgroup itself.
 */
TEST_F(uapi, delegatee_sets_children_not_itself)
{
	char *child = cg_name(self->cg_a, "child");
	int cfd, rootfd = open(self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, rootfd);
	EXPECT_EQ(-EACCES, setparam_as_nobody(self->dev[0], self->a, 9));
	ASSERT_EQ(0, delegate(self->cg_a));
	EXPECT_EQ(-EACCES, setparam_as_nobody(self->dev[0], self->a, 9));
	EXPECT_EQ(0, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(-EACCES, setparam_as_nobody(self->dev[0], self->b, 9));

	ASSERT_EQ(0, as_nobody(mkdir_fn, child));
	cfd = open(child, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(0, setparam_as_nobody(self->dev[0], cfd, 9));
	EXPECT_EQ(9, getparam(self->dev[0], cfd, OFFSET));

	/* The root cgroup has no settings, for anyone. */
	EXPECT_EQ(-EINVAL, setparam_as_nobody(self->dev[0], rootfd, 9));
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], rootfd, OFFSET, 9));
	/* CAP_SYS_ADMIN sets anything else. */
	EXPECT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 5));
	EXPECT_EQ(5, getparam(self->dev[0], self->a, OFFSET));

	close(cfd);
	close(rootfd);
	EXPECT_EQ(0, rmdir(child));
	free(child);
}

/*
 * The delegation scenario: the owner of the parent gives a cgroup an
 * offset; the delegatee sets its children as it likes, but their effective
 * offset, and the priority of their contexts, never rise above the grant,
 * and follow it down when it is lowered.
 */
TEST_F(uapi, delegatee_cannot_rise_above_its_grant)
{
	char *child = cg_name(self->cg_a, "child");
	char *grandchild = cg_name(child, "grandchild");
	int cfd, gfd;
	__u32 id;

	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 100));
	ASSERT_EQ(0, delegate(self->cg_a));
	ASSERT_EQ(0, as_nobody(mkdir_fn, child));
	ASSERT_EQ(0, as_nobody(mkdir_fn, grandchild));
	cfd = open(child, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gfd = open(grandchild, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, cfd);
	ASSERT_LE(0, gfd);

	EXPECT_EQ(-EACCES, setparam_as_nobody(self->dev[0], self->a, 1000));
	EXPECT_EQ(0, setparam_as_nobody(self->dev[0], cfd, 1000));
	EXPECT_EQ(0, setparam_as_nobody(self->dev[0], gfd, 1000));
	EXPECT_EQ(1000, getparam(self->dev[0], gfd, OFFSET));
	EXPECT_EQ(100, effective(self->dev[0], cfd, OFFSET));
	EXPECT_EQ(100, effective(self->dev[0], gfd, OFFSET));

	ASSERT_EQ(0, cg_enter_current(grandchild));
	EXPECT_EQ(100, ctx_create(self->dev[0], 0, &id));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 20));
	EXPECT_EQ(20, ctx_get(self->dev[0], id));
	ASSERT_EQ(0, cg_enter_current(self->root));

	close(gfd);
	close(cfd);
	EXPECT_EQ(0, rmdir(grandchild));
	EXPECT_EQ(0, rmdir(child));
	free(grandchild);
	free(child);
}

/* Both samples name a cgroup by any fd of its directory, O_PATH too. */
TEST_F(uapi, o_path_names_a_cgroup)
{
	int fd = open(self->cg_a, O_PATH | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, setparam(self->dev[0], fd, OFFSET, 3));
	EXPECT_EQ(3, getparam(self->dev[0], fd, OFFSET));
	EXPECT_EQ(3, getparam(self->dev[0], self->a, OFFSET));
	close(fd);
}

struct flip {
	int dev, number, allowed, forbidden, stop;
};

static void *flip_fd(void *arg)
{
	struct flip *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		dup2(f->allowed, f->number);
		dup2(f->forbidden, f->number);
	}
	return NULL;
}

#define FLIP_SETS 20000

/* Sets FLIP_SETS times through an fd number that another thread flips. */
static int set_through_flipping_fd(void *arg)
{
	struct flip *f = arg;
	pthread_t flipper;
	int i;

	if (pthread_create(&flipper, NULL, flip_fd, f))
		return -EAGAIN;
	for (i = 0; i < FLIP_SETS; i++)
		setparam(f->dev, f->number, OFFSET, 77);
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELAXED);
	pthread_join(flipper, NULL);
	return 0;
}

/*
 * The permission check and the cgroup set come from one lookup of the fd:
 * another thread that dup2()s a forbidden cgroup onto the same number never
 * gets its value changed.
 */
TEST_F(uapi, fd_reuse_cannot_redirect_a_set)
{
	char *child = cg_name(self->cg_a, "child");
	struct flip f = { .dev = self->dev[0], .number = 200, .forbidden = self->b };
	int cfd;

	ASSERT_EQ(0, delegate(self->cg_a));
	ASSERT_EQ(0, as_nobody(mkdir_fn, child));
	cfd = open(child, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, cfd);
	f.allowed = cfd;
	EXPECT_EQ(0, as_nobody(set_through_flipping_fd, &f));
	EXPECT_EQ(77, getparam(self->dev[0], cfd, OFFSET));
	EXPECT_EQ(0, getparam(self->dev[0], self->b, OFFSET));
	EXPECT_EQ(1, core_objects(variant->module));
	close(cfd);
	EXPECT_EQ(0, rmdir(child));
	free(child);
}

/*
 * In a cgroup namespace, as with nsdelegate, the namespace's root is a
 * delegation boundary (EPERM) and cgroups outside do not exist (ENOENT).
 * Runs in a child that entered @cg_a and unshared its cgroup namespace;
 * returns 0 or the number of the first check that failed.
 */
static int check_in_namespace(int dev, const char *cg_a, int a, int b, int child_fd)
{
	if (cg_enter_current(cg_a) || unshare(CLONE_NEWCGROUP))
		return 1;
	if (setparam(dev, a, OFFSET, 1) != -EPERM)
		return 2;
	if (setparam(dev, b, OFFSET, 1) != -ENOENT)
		return 3;
	if (getparam(dev, b, OFFSET) != ERR(ENOENT))
		return 4;
	if (setparam(dev, child_fd, OFFSET, 6))
		return 5;
	if (getparam(dev, a, OFFSET) != 0)
		return 6;
	return 0;
}

TEST_F(uapi, cgroup_namespace_root_is_a_boundary)
{
	char *child;
	int status, cfd = make_cgroup(self->cg_a, "child", &child);
	pid_t pid;

	ASSERT_LE(0, cfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(check_in_namespace(self->dev[0], self->cg_a, self->a, self->b, cfd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(6, getparam(self->dev[0], cfd, OFFSET));
	close(cfd);
	EXPECT_EQ(0, cg_destroy(child));
	free(child);
}

/* As i915 and amdgpu: a priority above the default needs CAP_SYS_NICE. */
TEST_F(uapi, raising_a_priority_needs_cap_sys_nice)
{
	struct setparam_args up = { self->dev[0], -1, 1 }, zero = { self->dev[0], -1, 0 };

	EXPECT_EQ(-EPERM, as_nobody(ctx_create_fn, &up));
	EXPECT_EQ(0, as_nobody(ctx_create_fn, &zero));
	EXPECT_EQ(1, ctx_create(self->dev[0], 1, NULL));
}

/* SETPARAM is write-only: nothing is copied back to user space. */
TEST_F(uapi, setparam_copies_nothing_back)
{
	struct cgroup_gpu_param *p;

	p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p->cgroup_fd = self->a;
	p->param = OFFSET;
	p->value = 4;
	ASSERT_EQ(0, mprotect(p, getpagesize(), PROT_READ));
	EXPECT_EQ(0, ioctl(self->dev[0], DRM_IOCTL_CGROUP_GPU_SETPARAM, p));
	EXPECT_EQ(4, getparam(self->dev[0], self->a, OFFSET));
	munmap(p, getpagesize());
}

/* The number of an ioctl is its type, direction, number and size. */
TEST_F(uapi, ioctl_number_is_checked_whole)
{
	struct cgroup_gpu_param p = { .cgroup_fd = self->a, .param = OFFSET, .value = 4 };
	unsigned long nr = DRM_COMMAND_BASE + DRM_CGROUP_GPU_SETPARAM;

	if (!variant->whole_ioctl_number)
		SKIP(return, "DRM routes driver ioctls by number, as for every DRM driver");
	EXPECT_EQ(-ENOTTY, ioctl_ret(self->dev[0], _IOW('x', nr, struct cgroup_gpu_param), &p));
	EXPECT_EQ(-ENOTTY, ioctl_ret(self->dev[0],
				     _IOR(DRM_IOCTL_BASE, nr, struct cgroup_gpu_param), &p));
	EXPECT_EQ(-ENOTTY, ioctl_ret(self->dev[0], _IOW(DRM_IOCTL_BASE, nr, __u64), &p));
	EXPECT_EQ(0, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(0, ioctl(self->dev[0], DRM_IOCTL_CGROUP_GPU_SETPARAM, &p));
}

/* At most 64 devices: a count near UINT_MAX must not wrap an allocation. */
TEST_F(uapi, device_count_is_bounded)
{
	close(self->dev[0]);
	close(self->dev[1]);
	self->dev[0] = -1;
	self->dev[1] = -1;
	ASSERT_EQ(0, unload_module(variant->module));
	EXPECT_EQ(-EINVAL, load_sample_with(variant->module, "devices=4294967295"));
	EXPECT_EQ(-EINVAL, load_sample_with(variant->module, "devices=65"));
	EXPECT_EQ(0, load_sample_with(variant->module, "devices=4"));
	EXPECT_EQ(0, unload_module(variant->module));
}

TEST_F(uapi, contexts_per_file_are_bounded)
{
	int i;

	for (i = 0; i < CGROUP_GPU_MAX_CONTEXTS; i++)
		ASSERT_EQ(0, ctx_create(self->dev[0], 0, NULL));
	EXPECT_EQ(ERR(ENOSPC), ctx_create(self->dev[0], 0, NULL));
	/* Another file has its own. */
	EXPECT_EQ(0, ctx_create(self->dev[1], 0, NULL));
}

/*
 * On a kernel without the core, cgroup_driver_init_priv() returns NULL and
 * the DRM sample runs without per-cgroup settings; no_cgroup_data=1 takes
 * that path here. The Rust sample needs the core, so this is the DRM
 * sample's alone.
 */
TEST(drm_without_cgroup_data)
{
	char root[PATH_MAX], *cg = NULL;
	int dev[2], fd, kmsg;

	if (cg_find_unified_root(root, sizeof(root), NULL))
		SKIP(return, "cgroup v2 is not mounted");
	unload_module("cgroup_driver_drm");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, load_sample_with("cgroup_driver_drm", "no_cgroup_data=1"));
	ASSERT_EQ(0, open_drm_devices(dev));
	fd = make_cgroup(root, "cgroup_gpu_stubs", &cg);
	ASSERT_LE(0, fd);

	/* Arguments are checked first, as with the core. */
	EXPECT_EQ(-EINVAL, setparam(dev[0], fd, OFFSET, CGROUP_GPU_PRIORITY_MAX + 1));
	EXPECT_EQ(-EOPNOTSUPP, setparam(dev[0], fd, OFFSET, -100));
	EXPECT_EQ(-EOPNOTSUPP, unset(dev[0], fd, OFFSET));
	EXPECT_EQ(ERR(EOPNOTSUPP), getparam(dev[0], fd, DISPBOOST));
	EXPECT_EQ(ERR(EOPNOTSUPP), effective(dev[1], fd, OFFSET));
	ASSERT_EQ(0, cg_enter_current(cg));
	EXPECT_EQ(-5, ctx_create(dev[0], -5, NULL));
	EXPECT_EQ(0, ctx_create(dev[1], 0, NULL));
	ASSERT_EQ(0, cg_enter_current(root));
	EXPECT_EQ(-1, core_objects("cgroup_driver_drm"));
	/* Both devices took the path; the log says why once. */
	EXPECT_TRUE(kmsg_find(kmsg, "cgroup_gpu: no cgroup driver data"));
	EXPECT_FALSE(kmsg_find(kmsg, "cgroup_gpu: no cgroup driver data"));

	close(kmsg);
	close(fd);
	close(dev[0]);
	close(dev[1]);
	rmdir(cg);
	free(cg);
	EXPECT_EQ(0, unload_module("cgroup_driver_drm"));
}

TEST_F(uapi, freed_when_the_cgroup_goes)
{
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 1));
	ASSERT_EQ(0, setparam(self->dev[1], self->a, OFFSET, 1));
	EXPECT_EQ(2, core_objects(variant->module));
	close(self->a);
	self->a = -1;
	ASSERT_EQ(0, rmdir(self->cg_a));
	EXPECT_TRUE(wait_core_objects(variant->module, 0));
}

/* Writes @device to @op ("bind" or "unbind") of @bus_driver. */
static int bind_op(const char *bus_driver, const char *op, const char *device)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", bus_driver, op);
	return write_text(path, (char *)device, strlen(device)) < 0 ? -1 : 0;
}

/*
 * Uses @dev until it reports its device gone: exits 0 then, after writing
 * to @started once the device worked. Any other result exits non-zero.
 */
static void use_until_gone(int dev, int cgroup_fd, int started)
{
	long long value;
	int ret, effective;
	__u32 id;

	/* One context: creating one a round would reach the bound. */
	if (setparam(dev, cgroup_fd, OFFSET, 12) || ctx_create(dev, 0, &id) != 12)
		_exit(1);
	for (;;) {
		/* The device may go between any two calls. */
		ret = setparam(dev, cgroup_fd, OFFSET, 12);
		value = getparam(dev, cgroup_fd, OFFSET);
		effective = ctx_get(dev, id);
		if (ret == -ENODEV || value == ERR(ENODEV) || effective == ERR(ENODEV))
			_exit(0);
		if (ret || value != 12 || effective != 12)
			_exit(1);
		if (started >= 0 && write(started, "", 1) == 1) {
			close(started);
			started = -1;
		}
	}
}

TEST_F(uapi, device_removal_with_data)
{
	char name[64], other[64], c;
	int i, status, started[2];
	pid_t pid;

	if (!variant->bus_driver)
		SKIP(return, "the misc devices of %s go only with the module",
		     variant->module);
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 11));
	ASSERT_EQ(0, setparam(self->dev[0], self->b, OFFSET, 12));
	ASSERT_EQ(0, setparam(self->dev[1], self->a, OFFSET, 21));
	EXPECT_EQ(3, core_objects(variant->module));
	ASSERT_EQ(0, device_name(self->dev[0], name, sizeof(name)));

	/* The device goes while a file on it is open and in use. */
	ASSERT_EQ(0, pipe(started));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (cg_enter_current(self->cg_b))
			_exit(2);
		close(started[0]);
		use_until_gone(self->dev[0], self->b, started[1]);
	}
	close(started[1]);
	ASSERT_EQ(1, read(started[0], &c, 1));
	close(started[0]);
	ASSERT_EQ(0, bind_op(variant->bus_driver, "unbind", name));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(1, core_objects(variant->module));
	EXPECT_EQ(-ENODEV, setparam(self->dev[0], self->a, OFFSET, 1));
	EXPECT_EQ(ERR(ENODEV), getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(21, getparam(self->dev[1], self->a, OFFSET));

	/* Bound again, it is a new device, with the defaults. */
	ASSERT_EQ(0, bind_op(variant->bus_driver, "bind", name));
	close(self->dev[0]);
	close(self->dev[1]);
	ASSERT_EQ(0, variant->open_devices(self->dev));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, device_name(self->dev[i], other, sizeof(other)));
		EXPECT_EQ(strcmp(name, other) ? 21 : 0,
			  getparam(self->dev[i], self->a, OFFSET));
	}
	EXPECT_EQ(1, core_objects(variant->module));
}

TEST_F(uapi, unload_with_data)
{
	const int n = 50;
	char name[32], *cg;
	int i, fd;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		fd = make_cgroup(self->cg_a, name, &cg);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setparam(self->dev[i % 2], fd, OFFSET, i));
		close(fd);
		free(cg);
	}
	EXPECT_EQ(n, core_objects(variant->module));
	close(self->dev[0]);
	close(self->dev[1]);
	self->dev[0] = -1;
	self->dev[1] = -1;
	ASSERT_EQ(0, unload_module(variant->module));
	EXPECT_EQ(-1, core_objects(variant->module));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		cg = cg_name(self->cg_a, name);
		EXPECT_EQ(0, cg_destroy(cg));
		free(cg);
	}
	/* And it loads again. */
	ASSERT_EQ(0, load_sample(variant->module));
	ASSERT_EQ(0, variant->open_devices(self->dev));
	EXPECT_EQ(0, getparam(self->dev[0], self->b, OFFSET));
}

/*
 * Jobs. A plug holds the engine, so that jobs queue behind it and run in
 * the order the engine picks when it is released: each WAIT's end_seq says
 * that order, so no test here depends on timing.
 */
#define JOB_NS 1000000ULL	/* 1 ms */
#define WAIT_NS 30000000000LL	/* 30 s: emulation is slow */

/* Submits a job of @ns on context @ctx, a plug if @ns is 0; its id or -errno. */
static int submit(int dev, __u32 ctx, __u64 ns, __s32 *priority)
{
	struct cgroup_gpu_submit s = {
		.ctx_id = ctx, .duration_ns = ns,
		.flags = ns ? 0 : CGROUP_GPU_SUBMIT_PLUG,
	};

	if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_SUBMIT, &s))
		return -errno;
	if (priority)
		*priority = s.priority;
	return s.job_id;
}

/* Waits for job @id; 0 with @w filled in, or -errno. */
static int wait_job(int dev, __u32 id, __s64 timeout_ns, struct cgroup_gpu_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->job_id = id;
	w->timeout_ns = timeout_ns;
	return ioctl_ret(dev, DRM_IOCTL_CGROUP_GPU_WAIT, w);
}

/* The end_seq of job @id, which must end with @status; 0 if it did not. */
static __u64 job_end_seq(int dev, __u32 id, int status)
{
	struct cgroup_gpu_wait w;

	if (wait_job(dev, id, WAIT_NS, &w) || w.status != status)
		return 0;
	return w.end_seq;
}

static int unplug(int dev, __u32 id)
{
	struct cgroup_gpu_job j = { .job_id = id };

	return ioctl_ret(dev, DRM_IOCTL_CGROUP_GPU_UNPLUG, &j);
}

/* Creates a context on @dev as a process of @cgroup would; its id or -1. */
static long ctx_in(int dev, const char *cgroup, const char *root)
{
	__u32 id;
	int ret;

	if (cg_enter_current(cgroup))
		return -1;
	ret = ctx_create(dev, 0, &id);
	if (cg_enter_current(root) || ret < CGROUP_GPU_PRIORITY_MIN)
		return -1;
	return id;
}

TEST_F(uapi, job_runs_and_is_reported_once)
{
	struct cgroup_gpu_wait w;
	__s32 priority;
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	int id;

	ASSERT_LE(0, ctx);
	id = submit(self->dev[0], ctx, JOB_NS, &priority);
	ASSERT_LT(0, id);
	EXPECT_EQ(0, priority);
	ASSERT_EQ(0, wait_job(self->dev[0], id, WAIT_NS, &w));
	EXPECT_EQ(0, w.status);
	EXPECT_EQ(1, w.end_seq);
	EXPECT_EQ(-ENOENT, wait_job(self->dev[0], id, 0, &w));
	/* Each device has its own engine. */
	ctx = ctx_in(self->dev[1], self->cg_a, self->root);
	ASSERT_LE(0, ctx);
	id = submit(self->dev[1], ctx, JOB_NS, NULL);
	EXPECT_EQ(1, job_end_seq(self->dev[1], id, 0));
}

TEST_F(uapi, job_arguments_are_checked)
{
	struct cgroup_gpu_submit s = { .duration_ns = JOB_NS };
	struct cgroup_gpu_wait w = { .timeout_ns = 0 };
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	int plug, job;

	ASSERT_LE(0, ctx);
	EXPECT_EQ(-EINVAL, submit(self->dev[0], ctx, CGROUP_GPU_JOB_MAX_NS + 1, NULL));
	s.ctx_id = ctx;
	s.flags = CGROUP_GPU_SUBMIT_PLUG;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_SUBMIT, &s));
	s.flags = 0x2;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_SUBMIT, &s));
	s.flags = 0;
	s.duration_ns = 0;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_SUBMIT, &s));
	s.duration_ns = JOB_NS;
	s.pad = 1;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_SUBMIT, &s));
	s.pad = 0;
	s.syncobj = 12345;
	EXPECT_EQ(-(variant->bus_driver ? ENOENT : EINVAL),
		  ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_SUBMIT, &s));
	EXPECT_EQ(-ENOENT, submit(self->dev[0], ctx + 1, JOB_NS, NULL));
	/* A context is its file's: the other device's file has none. */
	EXPECT_EQ(-ENOENT, submit(self->dev[1], ctx, JOB_NS, NULL));

	plug = submit(self->dev[0], ctx, 0, NULL);
	job = submit(self->dev[0], ctx, JOB_NS, NULL);
	ASSERT_LT(0, plug);
	ASSERT_LT(0, job);
	EXPECT_EQ(-EINVAL, unplug(self->dev[0], job));
	EXPECT_EQ(-ENOENT, unplug(self->dev[0], 0));
	EXPECT_EQ(-ENOENT, unplug(self->dev[1], plug));
	EXPECT_EQ(-EINVAL, wait_job(self->dev[0], plug, -1, &w));
	w.job_id = plug;
	w.flags = 1;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_WAIT, &w));
	w.flags = 0;
	w.pad = 1;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->dev[0], DRM_IOCTL_CGROUP_GPU_WAIT, &w));
	EXPECT_EQ(-ENOENT, wait_job(self->dev[0], 0, 0, &w));
	/* A plug holds the engine until it is released. */
	EXPECT_EQ(-ETIME, wait_job(self->dev[0], job, 0, &w));
	EXPECT_EQ(-ETIME, wait_job(self->dev[0], plug, 1000000, &w));
	EXPECT_EQ(0, unplug(self->dev[0], plug));
	EXPECT_EQ(1, job_end_seq(self->dev[0], plug, 0));
	EXPECT_EQ(2, job_end_seq(self->dev[0], job, 0));
	/* Waited for, a job is forgotten. */
	EXPECT_EQ(-ENOENT, unplug(self->dev[0], plug));
}

TEST_F(uapi, jobs_per_file_are_bounded)
{
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	int i, plug, id;

	ASSERT_LE(0, ctx);
	plug = submit(self->dev[0], ctx, 0, NULL);
	ASSERT_LT(0, plug);
	for (i = 1; i < CGROUP_GPU_MAX_JOBS; i++)
		ASSERT_LT(0, submit(self->dev[0], ctx, JOB_NS, NULL));
	EXPECT_EQ(-EBUSY, submit(self->dev[0], ctx, JOB_NS, NULL));
	/* Ended is not enough: a job counts until WAIT reports it. */
	ASSERT_EQ(0, unplug(self->dev[0], plug));
	EXPECT_EQ(1, job_end_seq(self->dev[0], plug, 0));
	id = submit(self->dev[0], ctx, JOB_NS, NULL);
	EXPECT_EQ(plug, id);
	EXPECT_EQ(-EBUSY, submit(self->dev[0], ctx, JOB_NS, NULL));
}

/* A plug released before it reaches the engine ends as soon as it does. */
TEST_F(uapi, plug_released_early_ends_when_it_runs)
{
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	struct cgroup_gpu_wait w;
	int first, second;
	__u64 seq;

	ASSERT_LE(0, ctx);
	first = submit(self->dev[0], ctx, 0, NULL);
	second = submit(self->dev[0], ctx, 0, NULL);
	ASSERT_LT(0, second);
	ASSERT_EQ(0, unplug(self->dev[0], second));
	EXPECT_EQ(-ETIME, wait_job(self->dev[0], second, 0, &w));
	ASSERT_EQ(0, unplug(self->dev[0], first));
	seq = job_end_seq(self->dev[0], first, 0);
	EXPECT_NE(0, seq);
	EXPECT_EQ(seq + 1, job_end_seq(self->dev[0], second, 0));
}

/*
 * Contexts of two cgroups queue jobs behind a plug, alternately: every job
 * of the higher cgroup runs before any of the lower one's. The next jobs of
 * the same contexts follow their cgroups' values: lowering the higher
 * cgroup's ancestor below the other reverses the order. With three levels,
 * the other is at NORMAL (unset), so that there is a level below it.
 */
#define ORDERED_JOBS 6
TEST_F(uapi, priority_orders_jobs)
{
	int i, round, dev = self->dev[0], high_fd, plug, ids[2][ORDERED_JOBS];
	__u64 seq[2][ORDERED_JOBS], last_high, first_low;
	__s32 priority[2];
	char *high;
	long ctx[2];

	high_fd = make_cgroup(self->cg_a, "high", &high);
	ASSERT_LE(0, high_fd);
	ASSERT_EQ(0, setparam(dev, self->a, OFFSET, 500));
	ASSERT_EQ(0, setparam(dev, high_fd, OFFSET, 200));
	ctx[0] = ctx_in(dev, self->cg_b, self->root);
	ctx[1] = ctx_in(dev, high, self->root);
	ASSERT_LE(0, ctx[0]);
	ASSERT_LE(0, ctx[1]);

	for (round = 0; round < 2; round++) {
		plug = submit(dev, ctx[0], 0, NULL);
		ASSERT_LT(0, plug);
		for (i = 0; i < ORDERED_JOBS; i++) {
			ids[0][i] = submit(dev, ctx[0], JOB_NS, &priority[0]);
			ids[1][i] = submit(dev, ctx[1], JOB_NS, &priority[1]);
			ASSERT_LT(0, ids[0][i]);
			ASSERT_LT(0, ids[1][i]);
		}
		EXPECT_EQ(0, priority[0]);
		EXPECT_EQ(round ? -500 : 200, priority[1]);
		ASSERT_EQ(0, unplug(dev, plug));
		ASSERT_NE(0, job_end_seq(dev, plug, 0));
		last_high = 0;
		first_low = UINT64_MAX;
		for (i = 0; i < ORDERED_JOBS; i++) {
			seq[0][i] = job_end_seq(dev, ids[0][i], 0);
			seq[1][i] = job_end_seq(dev, ids[1][i], 0);
			ASSERT_NE(0, seq[0][i]);
			ASSERT_NE(0, seq[1][i]);
			/* The later cgroup's jobs run first after the change. */
			last_high = MAX(last_high, seq[!round][i]);
			first_low = MIN(first_low, seq[round][i]);
			/* First come first served within a level. */
			if (i) {
				EXPECT_LT(seq[0][i - 1], seq[0][i]);
				EXPECT_LT(seq[1][i - 1], seq[1][i]);
			}
		}
		EXPECT_LT(last_high, first_low) TH_LOG("round %d", round);
		/* Lower the high cgroup's ancestor below the low cgroup. */
		ASSERT_EQ(0, setparam(dev, self->a, OFFSET, -500));
	}
	close(high_fd);
	EXPECT_EQ(0, cg_destroy(high));
	free(high);
}

/* Two contexts of one cgroup, one level: their jobs run as they came. */
TEST_F(uapi, first_come_first_served_within_a_level)
{
	int i, dev = self->dev[0], plug, ids[8];
	long ctx[2] = {
		ctx_in(dev, self->cg_a, self->root), ctx_in(dev, self->cg_a, self->root),
	};
	__u64 last = 0, seq;

	ASSERT_LE(0, ctx[0]);
	ASSERT_LE(0, ctx[1]);
	plug = submit(dev, ctx[0], 0, NULL);
	ASSERT_LT(0, plug);
	for (i = 0; i < 8; i++)
		ids[i] = submit(dev, ctx[i % 2], JOB_NS, NULL);
	ASSERT_EQ(0, unplug(dev, plug));
	for (i = 0; i < 8; i++) {
		seq = job_end_seq(dev, ids[i], 0);
		EXPECT_LT(last, seq) TH_LOG("job %d", i);
		last = seq;
	}
}

/* Another open file of the device open as @dev. */
static int reopen(int dev)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* A syncobj of the DRM file @dev; its handle or 0. */
static __u32 syncobj_create(int dev)
{
	struct drm_syncobj_create c = { 0 };

	return ioctl(dev, DRM_IOCTL_SYNCOBJ_CREATE, &c) ? 0 : c.handle;
}

/* The fence of syncobj @handle of @dev as a sync_file; its fd or -1. */
static int syncobj_sync_file(int dev, __u32 handle)
{
	struct drm_syncobj_handle h = {
		.handle = handle,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};

	return ioctl(dev, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h) ? -1 : h.fd;
}

/* The status of sync_file @fd once it signalled: 1, or its error. */
static int sync_file_status(int fd)
{
	struct sync_file_info info = { 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, WAIT_NS / 1000000) != 1 || ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return 0;
	return info.status;
}

/* Submits a job of @ns (0: a plug) with a syncobj; its fence as a sync_file. */
static int submit_fenced(int dev, __u32 ctx, __u64 ns)
{
	struct cgroup_gpu_submit s = {
		.ctx_id = ctx, .duration_ns = ns,
		.flags = ns ? 0 : CGROUP_GPU_SUBMIT_PLUG,
		.syncobj = syncobj_create(dev),
	};

	if (!s.syncobj || ioctl(dev, DRM_IOCTL_CGROUP_GPU_SUBMIT, &s))
		return -1;
	return syncobj_sync_file(dev, s.syncobj);
}

/*
 * Closing a file ends its jobs, running or queued: more than the wait below
 * of them go with it, so the other file's job runs within it. The DRM
 * out-fences say how: -ECANCELED for the plug on the engine, -ESRCH for a
 * job still queued.
 */
TEST_F(uapi, closing_a_file_cancels_its_jobs)
{
	int other = reopen(self->dev[0]), i, id, plug = -1, queued = -1;
	long ctx, mine;

	ASSERT_LE(0, other);
	ctx = ctx_in(other, self->cg_a, self->root);
	mine = ctx_in(self->dev[0], self->cg_a, self->root);
	ASSERT_LE(0, ctx);
	ASSERT_LE(0, mine);
	if (variant->bus_driver) {
		plug = submit_fenced(other, ctx, 0);
		queued = submit_fenced(other, ctx, CGROUP_GPU_JOB_MAX_NS);
		ASSERT_LE(0, plug);
		ASSERT_LE(0, queued);
	} else {
		ASSERT_LT(0, submit(other, ctx, 0, NULL));
		ASSERT_LT(0, submit(other, ctx, CGROUP_GPU_JOB_MAX_NS, NULL));
	}
	for (i = 2; i < CGROUP_GPU_MAX_JOBS; i++)
		ASSERT_LT(0, submit(other, ctx, CGROUP_GPU_JOB_MAX_NS, NULL));
	id = submit(self->dev[0], mine, JOB_NS, NULL);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, close(other));
	EXPECT_NE(0, job_end_seq(self->dev[0], id, 0));
	if (plug >= 0) {
		EXPECT_EQ(-ECANCELED, sync_file_status(plug));
		EXPECT_EQ(-ESRCH, sync_file_status(queued));
		close(plug);
		close(queued);
	}
}

/*
 * Another file's plug holds the engine: closing a file with queued jobs
 * does not wait for it, and neither does an unbind after that.
 */
TEST_F(uapi, close_does_not_wait_for_the_engine)
{
	int other = reopen(self->dev[0]);
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	long theirs = ctx_in(other, self->cg_a, self->root);
	struct cgroup_gpu_wait w;
	int plug;

	ASSERT_LE(0, other);
	ASSERT_LE(0, ctx);
	ASSERT_LE(0, theirs);
	plug = submit(self->dev[0], ctx, 0, NULL);
	ASSERT_LT(0, plug);
	ASSERT_LT(0, submit(other, theirs, JOB_NS, NULL));
	ASSERT_EQ(0, close(other));
	EXPECT_EQ(-ETIME, wait_job(self->dev[0], plug, 0, &w));
	ASSERT_EQ(0, unplug(self->dev[0], plug));
	EXPECT_NE(0, job_end_seq(self->dev[0], plug, 0));
}

/* The DRM way: the job's out-fence in a syncobj, for DRM_IOCTL_SYNCOBJ_WAIT. */
TEST_F(uapi, drm_out_fence_is_a_syncobj)
{
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	struct drm_syncobj_wait w = { .count_handles = 1 };
	struct cgroup_gpu_submit s = { .duration_ns = JOB_NS };
	struct timespec now;
	__u32 handle;
	int plug;

	if (!variant->bus_driver)
		SKIP(return, "syncobjs are DRM's");
	ASSERT_LE(0, ctx);
	handle = syncobj_create(self->dev[0]);
	ASSERT_NE(0, handle);
	plug = submit(self->dev[0], ctx, 0, NULL);
	ASSERT_LT(0, plug);
	s.ctx_id = ctx;
	s.syncobj = handle;
	ASSERT_EQ(0, ioctl(self->dev[0], DRM_IOCTL_CGROUP_GPU_SUBMIT, &s));
	w.handles = (__u64)(uintptr_t)&handle;
	clock_gettime(CLOCK_MONOTONIC, &now);
	w.timeout_nsec = now.tv_sec * 1000000000LL + now.tv_nsec + 10000000;
	EXPECT_EQ(-ETIME, ioctl_ret(self->dev[0], DRM_IOCTL_SYNCOBJ_WAIT, &w));
	ASSERT_EQ(0, unplug(self->dev[0], plug));
	w.timeout_nsec = now.tv_sec * 1000000000LL + now.tv_nsec + WAIT_NS;
	EXPECT_EQ(0, ioctl(self->dev[0], DRM_IOCTL_SYNCOBJ_WAIT, &w));
	EXPECT_NE(0, job_end_seq(self->dev[0], s.job_id, 0));
}

/* The value of @key in the fdinfo of @fd, or -1. */
static long long fdinfo_value(int fd, const char *key)
{
	char path[64], line[256];
	long long value = -1;
	size_t len = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			value = strtoll(line + len + 1, NULL, 10);
	fclose(f);
	return value;
}

/*
 * The line that the device's debugfs lists for @cgroup (a directory), in
 * @line: 0, -1 if it lists no such cgroup, -2 if there is no listing.
 */
static int cgroup_line(int (*usage_file)(int dev, char *path, size_t size),
		       int dev, const char *cgroup, char *line, int size)
{
	char path[PATH_MAX];
	unsigned long long id;
	struct stat st;
	int ret = -1;
	FILE *f;

	if (stat(cgroup, &st) || usage_file(dev, path, sizeof(path)))
		return -2;
	f = fopen(path, "r");
	if (!f)
		return -2;
	while (ret && fgets(line, size, f))
		if (sscanf(line, "cgroup %llu ", &id) == 1 && id == st.st_ino)
			ret = 0;
	fclose(f);
	return ret;
}

/* The engine time and completed jobs of a listing's @line; -2 if it has none. */
static int line_usage(const char *line, long long *ns, long long *jobs)
{
	const char *usage = strstr(line, " engine_ns ");

	if (!usage || sscanf(usage, " engine_ns %lld jobs_done %lld", ns, jobs) != 2)
		return -2;
	return 0;
}

/* The engine time and completed jobs of @cgroup's line, as cgroup_line(). */
static int cgroup_usage(int (*usage_file)(int dev, char *path, size_t size),
			int dev, const char *cgroup, long long *ns, long long *jobs)
{
	char line[256];
	int ret = cgroup_line(usage_file, dev, cgroup, line, sizeof(line));

	return ret ?: line_usage(line, ns, jobs);
}

/*
 * Each device lists in debugfs, a line per cgroup that holds its data, the
 * cgroup's values and the engine time and completed jobs of the contexts
 * created in it, in one format for both samples.
 */
TEST_F(uapi, usage_is_listed_per_cgroup)
{
	long ctx_a = ctx_in(self->dev[0], self->cg_a, self->root);
	int other = reopen(self->dev[0]);
	long ctx_b = ctx_in(other, self->cg_b, self->root);
	long long ns, jobs;
	char line[256];
	int i, id;

	ASSERT_LE(0, ctx_a);
	ASSERT_LE(0, ctx_b);
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, -200));
	for (i = 0; i < 3; i++) {
		id = submit(self->dev[0], ctx_a, JOB_NS, NULL);
		EXPECT_NE(0, job_end_seq(self->dev[0], id, 0));
	}
	EXPECT_NE(0, job_end_seq(other, submit(other, ctx_b, JOB_NS, NULL), 0));
	close(other);
	ASSERT_EQ(0, cgroup_line(variant->usage_file, self->dev[0], self->cg_a,
				 line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, " priority_offset -200 dispboost unset engine_ns "))
		TH_LOG("%s", line);
	ASSERT_EQ(0, line_usage(line, &ns, &jobs));
	EXPECT_LE(3 * JOB_NS, ns);
	EXPECT_EQ(3, jobs);
	ASSERT_EQ(0, cgroup_usage(variant->usage_file, self->dev[0], self->cg_b, &ns, &jobs));
	EXPECT_LE(JOB_NS, ns);
	EXPECT_EQ(1, jobs);
	EXPECT_EQ(-1, cgroup_usage(variant->usage_file, self->dev[1], self->cg_a, &ns, &jobs));
}

/*
 * A listing that is open while its device and module go: its reads fail
 * from then on, and closing it is safe.
 */
TEST_F(uapi, usage_listing_open_across_unload)
{
	char path[PATH_MAX], buf[256];
	int fd, i;

	ASSERT_LE(0, ctx_in(self->dev[0], self->cg_a, self->root));
	ASSERT_EQ(0, variant->usage_file(self->dev[0], path, sizeof(path)));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, read(fd, buf, sizeof(buf)));
	for (i = 0; i < 2; i++) {
		close(self->dev[i]);
		self->dev[i] = -1;
	}
	EXPECT_EQ(0, unload_module(variant->module));
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EIO, errno);
	close(fd);
	ASSERT_EQ(0, load_sample(variant->module));
	ASSERT_EQ(0, variant->open_devices(self->dev));
}

/* Engine time per file in fdinfo, as GPU top tools read it. */
TEST_F(uapi, drm_usage_is_in_fdinfo)
{
	long ctx_a, ctx_b;
	int other, i, id;

	if (!variant->bus_driver)
		SKIP(return, "fdinfo is the DRM sample's");
	ctx_a = ctx_in(self->dev[0], self->cg_a, self->root);
	other = reopen(self->dev[0]);
	ctx_b = ctx_in(other, self->cg_b, self->root);
	ASSERT_LE(0, ctx_a);
	ASSERT_LE(0, ctx_b);
	EXPECT_EQ(0, fdinfo_value(self->dev[0], "drm-engine-render"));
	EXPECT_LE(0, fdinfo_value(self->dev[0], "drm-client-id"));
	for (i = 0; i < 3; i++) {
		id = submit(self->dev[0], ctx_a, JOB_NS, NULL);
		EXPECT_NE(0, job_end_seq(self->dev[0], id, 0));
	}
	EXPECT_NE(0, job_end_seq(other, submit(other, ctx_b, JOB_NS, NULL), 0));
	EXPECT_LE(3 * JOB_NS, fdinfo_value(self->dev[0], "drm-engine-render"));
	EXPECT_LE(JOB_NS, fdinfo_value(other, "drm-engine-render"));
	close(other);
}

/* A cgroup that is removed while its jobs run: they run on, and it goes after. */
TEST_F(uapi, cgroup_removed_while_its_jobs_run)
{
	int dev = self->dev[0], plug, job, fd;
	char *gone;
	long ctx;

	fd = make_cgroup(self->cg_a, "gone", &gone);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setparam(dev, fd, OFFSET, -10));
	close(fd);
	ctx = ctx_in(dev, gone, self->root);
	ASSERT_LE(0, ctx);
	plug = submit(dev, ctx, 0, NULL);
	job = submit(dev, ctx, JOB_NS, NULL);
	ASSERT_LT(0, job);
	ASSERT_EQ(0, cg_destroy(gone));
	EXPECT_EQ(1, core_objects(variant->module));
	ASSERT_EQ(0, unplug(dev, plug));
	EXPECT_NE(0, job_end_seq(dev, job, 0));
	/* Its context pins it: the data goes with the file. */
	close(self->dev[0]);
	self->dev[0] = -1;
	EXPECT_TRUE(wait_core_objects(variant->module, 0));
	free(gone);
}

struct waiter {
	int dev;
	__u32 id;
	int ret;
	struct cgroup_gpu_wait w;
};

static void *wait_fn(void *arg)
{
	struct waiter *w = arg;

	w->ret = wait_job(w->dev, w->id, WAIT_NS, &w->w);
	return NULL;
}

/*
 * A device unbound with jobs queued and running: each ends with -ENODEV,
 * a WAIT in progress returns, the scheduler goes, and the device bound
 * again has a new engine.
 */
TEST_F(uapi, unbind_ends_jobs_and_wakes_waiters)
{
	struct waiter w = { .dev = self->dev[0] };
	long ctx = ctx_in(self->dev[0], self->cg_a, self->root);
	char name[64];
	pthread_t t;
	int i;

	if (!variant->bus_driver)
		SKIP(return, "the misc devices of %s go only with the module",
		     variant->module);
	ASSERT_LE(0, ctx);
	w.id = submit(self->dev[0], ctx, 0, NULL);
	ASSERT_LT(0, w.id);
	for (i = 1; i < CGROUP_GPU_MAX_JOBS; i++)
		ASSERT_LT(0, submit(self->dev[0], ctx, CGROUP_GPU_JOB_MAX_NS, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_fn, &w));
	/* Not needed for the result: only gives the waiter time to wait. */
	usleep(100000);
	ASSERT_EQ(0, device_name(self->dev[0], name, sizeof(name)));
	ASSERT_EQ(0, bind_op(variant->bus_driver, "unbind", name));
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* It waited, or came after the device went. */
	EXPECT_EQ(-ENODEV, w.ret ?: w.w.status);
	EXPECT_EQ(-ENODEV, submit(self->dev[0], ctx, JOB_NS, NULL));
	ASSERT_EQ(0, bind_op(variant->bus_driver, "bind", name));
	close(self->dev[0]);
	close(self->dev[1]);
	ASSERT_EQ(0, variant->open_devices(self->dev));
	for (i = 0; i < 2; i++) {
		ctx = ctx_in(self->dev[i], self->cg_a, self->root);
		ASSERT_LE(0, ctx);
		EXPECT_LT(0, job_end_seq(self->dev[i], submit(self->dev[i], ctx, JOB_NS, NULL), 0));
	}
}

/*
 * Files of the device of @dev, each with a context in @cgroup and its most
 * jobs: a plug, then jobs queued behind it. Closing them leaves a thousand
 * dropped jobs to free.
 */
#define BUSY_FILES 16

static int open_busy_files(int dev, const char *cgroup, const char *root,
			   int files[BUSY_FILES])
{
	int i, j, n = 0;
	long ctx;

	for (i = 0; i < BUSY_FILES; i++) {
		files[i] = reopen(dev);
		ctx = ctx_in(files[i], cgroup, root);
		n += ctx >= 0 && submit(files[i], ctx, 0, NULL) > 0;
		for (j = 1; j < CGROUP_GPU_MAX_JOBS; j++)
			n += ctx >= 0 && submit(files[i], ctx, JOB_NS, NULL) > 0;
	}
	if (n == BUSY_FILES * CGROUP_GPU_MAX_JOBS)
		return 0;
	for (i = 0; i < BUSY_FILES; i++)
		close(files[i]);
	return -1;
}

/*
 * The last files closed with jobs in flight, and the module unloaded at
 * once: the DRM scheduler frees the dropped jobs from the system workqueue,
 * which each device's unbind must wait for before the scheduler, the device
 * and the module go (the kernel log and kmemleak must stay clean).
 */
TEST_F(uapi, unload_with_jobs_in_flight)
{
	int files[2][BUSY_FILES], i, j;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, open_busy_files(self->dev[i], self->cg_a, self->root, files[i]));
		close(self->dev[i]);
		self->dev[i] = -1;
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < BUSY_FILES; j++)
			close(files[i][j]);
	EXPECT_EQ(0, unload_module(variant->module));
	ASSERT_EQ(0, load_sample(variant->module));
	ASSERT_EQ(0, variant->open_devices(self->dev));
}

/*
 * Hostile input: ioctls generated at random from a fixed seed, each one bad
 * in some way or several: the cgroup fd (closed, out of range, O_PATH, not
 * cgroupfs, a cgroupfs file, a v1 cgroup, a removed cgroup, the root), the
 * parameter, the flags, the value, the context, the argument's pointer
 * (NULL, unmapped, a kernel address, read-only, running into an unmapped
 * page) and the ioctl number itself (size, direction, type, number). Each
 * must get an errno that cgroup_gpu_drm.h documents for what is wrong with
 * it; the kernel log must stay clean (make check scans it).
 */
enum fd_kind {
	FD_CGROUP, FD_CGROUP_PATH, FD_ROOT, FD_GONE, FD_V1, FD_CLOSED,
	FD_NEGATIVE, FD_HUGE, FD_DIR, FD_DIR_PATH, FD_FILE, FD_CGROUP_FILE,
	FD_SOCKET, FD_KINDS
};

enum ptr_kind {
	PTR_OK, PTR_READONLY, PTR_NULL, PTR_UNMAPPED, PTR_KERNEL, PTR_PARTIAL,
	PTR_KINDS
};

/* Three pages: read-write, unmapped, read-only. */
struct hostile {
	int fd[FD_KINDS];
	char v1[32];
	char *gone;
	char *page;
	char *unmapped;
	char *readonly;
};

/* What cgroup_driver_cgroup_from_fd() gives @kind: 0 or a negative errno. */
static int fd_errno(enum fd_kind kind, bool configure)
{
	switch (kind) {
	case FD_CGROUP:
	case FD_CGROUP_PATH:
		return 0;
	case FD_ROOT:
		return configure ? -EINVAL : 0;
	case FD_GONE:
		return -ENOENT;
	case FD_V1:
		return -EINVAL;
	case FD_FILE:
	case FD_CGROUP_FILE:
	case FD_SOCKET:
		return -ENOTDIR;
	default:
		return -EBADF;
	}
}

static __u64 rnd(__u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static __u64 pick(__u64 *state, const __u64 *values, int n)
{
	return values[rnd(state) % n];
}

#define PICK(state, ...) ({						\
	const __u64 __v[] = { __VA_ARGS__ };				\
	pick(state, __v, ARRAY_SIZE(__v));				\
})

#define BIT(e) (1ULL << (e))

/* Kinds that are numbers with no open file behind them. */
static bool is_bad_number(int kind)
{
	return kind == FD_CLOSED || kind == FD_NEGATIVE || kind == FD_HUGE;
}

static int hostile_setup(struct hostile *h, const char *root, const char *cg_a)
{
	char path[PATH_MAX];
	int closed, i;

	h->page = mmap(NULL, 3 * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->page == MAP_FAILED)
		return -1;
	h->unmapped = h->page + getpagesize();
	h->readonly = h->page + 2 * getpagesize();
	if (mprotect(h->readonly, getpagesize(), PROT_READ) ||
	    munmap(h->unmapped, getpagesize()))
		return -1;
	h->fd[FD_CGROUP] = open(cg_a, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h->fd[FD_CGROUP_PATH] = open(cg_a, O_PATH | O_CLOEXEC);
	h->fd[FD_ROOT] = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h->gone = cg_name(cg_a, "gone");
	if (!h->gone || cg_create(h->gone))
		return -1;
	h->fd[FD_GONE] = open(h->gone, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rmdir(h->gone))
		return -1;
	snprintf(h->v1, sizeof(h->v1), "/tmp/cgroup_gpu_v1.XXXXXX");
	if (!mkdtemp(h->v1) || mount("none", h->v1, "cgroup", 0, "none,name=cgroup_gpu_h"))
		return -1;
	h->fd[FD_V1] = open(h->v1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	closed = open("/", O_RDONLY | O_CLOEXEC);
	close(closed);
	h->fd[FD_CLOSED] = closed;
	h->fd[FD_NEGATIVE] = -1;
	h->fd[FD_HUGE] = INT_MAX;
	h->fd[FD_DIR] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h->fd[FD_DIR_PATH] = open("/", O_PATH | O_CLOEXEC);
	h->fd[FD_FILE] = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_a);
	h->fd[FD_CGROUP_FILE] = open(path, O_RDONLY | O_CLOEXEC);
	h->fd[FD_SOCKET] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < FD_KINDS; i++)
		if (h->fd[i] < 0 && !is_bad_number(i))
			return -1;
	return 0;
}

static void hostile_teardown(struct hostile *h)
{
	int i;

	for (i = 0; i < FD_KINDS; i++)
		if (!is_bad_number(i))
			close(h->fd[i]);
	umount(h->v1);
	rmdir(h->v1);
	free(h->gone);
	munmap(h->page, getpagesize());
	munmap(h->readonly, getpagesize());
}

/* Where the argument of @size bytes goes, filled with @arg, for @ptr. */
static void *hostile_arg(struct hostile *h, enum ptr_kind ptr, const void *arg,
			 size_t size)
{
	char *p;

	switch (ptr) {
	case PTR_OK:
		memcpy(h->page, arg, size);
		return h->page;
	case PTR_READONLY:
		mprotect(h->readonly, getpagesize(), PROT_READ | PROT_WRITE);
		memcpy(h->readonly, arg, size);
		mprotect(h->readonly, getpagesize(), PROT_READ);
		return h->readonly;
	case PTR_NULL:
		return NULL;
	case PTR_UNMAPPED:
		return h->unmapped;
	case PTR_KERNEL:
		return (void *)0xffffffff81000000UL;
	default:
		/* The first 8 bytes are mapped, the rest is not. */
		p = h->unmapped - 8;
		memcpy(p, arg, 8);
		return p;
	}
}

/* The errnos of a SUBMIT with arguments @s on a DRM device or not. */
static __u64 submit_allowed(const struct cgroup_gpu_submit *s, bool drm)
{
	bool plug = s->flags & CGROUP_GPU_SUBMIT_PLUG;

	if (s->pad || s->flags & ~CGROUP_GPU_SUBMIT_PLUG ||
	    (plug ? s->duration_ns != 0 :
	     !s->duration_ns || s->duration_ns > CGROUP_GPU_JOB_MAX_NS) ||
	    (!drm && s->syncobj))
		return BIT(EINVAL);
	return BIT(0) | BIT(ENOENT) | BIT(EBUSY);
}

/*
 * One generated input on @dev: what it was in @what, the errnos the uAPI
 * allows for it in @allowed (bit 0: success); the errno it got, 0 for none.
 * Jobs it submits are short, and waits do not wait.
 */
static int hostile_one(struct hostile *h, int dev, bool whole_number, __u64 *state,
		       char *what, size_t size, __u64 *allowed)
{
	static const unsigned long cmds[] = {
		DRM_IOCTL_CGROUP_GPU_SETPARAM, DRM_IOCTL_CGROUP_GPU_GETPARAM,
		DRM_IOCTL_CGROUP_GPU_CTX_CREATE, DRM_IOCTL_CGROUP_GPU_CTX_GET,
		DRM_IOCTL_CGROUP_GPU_SUBMIT, DRM_IOCTL_CGROUP_GPU_WAIT,
		DRM_IOCTL_CGROUP_GPU_UNPLUG,
	};
	const int ncmds = ARRAY_SIZE(cmds);
	enum fd_kind fd = rnd(state) % FD_KINDS;
	enum ptr_kind ptr = rnd(state) % 4 ? PTR_OK : rnd(state) % PTR_KINDS;
	int which = rnd(state) % ncmds, exact = -1, i;
	unsigned long cmd = cmds[which];
	struct cgroup_gpu_param p = {
		.cgroup_fd = h->fd[fd],
		.flags = PICK(state, 0, CGROUP_GPU_PARAM_UNSET, CGROUP_GPU_PARAM_EFFECTIVE,
			      CGROUP_GPU_PARAM_IS_SET, 0x8, rnd(state)),
		.param = PICK(state, OFFSET, DISPBOOST, 0, 3, rnd(state)),
		.value = PICK(state, 0, 1, -1, CGROUP_GPU_PRIORITY_MAX,
			      CGROUP_GPU_PRIORITY_MAX + 1, CGROUP_GPU_PRIORITY_MIN,
			      CGROUP_GPU_PRIORITY_MIN - 1, CGROUP_GPU_DISPBOOST_MAX + 1,
			      INT64_MAX, INT64_MIN, rnd(state)),
	};
	struct cgroup_gpu_ctx c = {
		.priority = PICK(state, 0, 1, -1, CGROUP_GPU_PRIORITY_MAX,
				 CGROUP_GPU_PRIORITY_MAX + 1, CGROUP_GPU_PRIORITY_MIN,
				 CGROUP_GPU_PRIORITY_MIN - 1, INT32_MAX, INT32_MIN),
		.ctx_id = PICK(state, 0, 1, 1023, 1024, UINT32_MAX, rnd(state)),
		.pad = rnd(state) % 4 ? 0 : rnd(state),
	};
	struct cgroup_gpu_submit sub = {
		.ctx_id = c.ctx_id,
		.flags = PICK(state, 0, 0, CGROUP_GPU_SUBMIT_PLUG, 0x2, rnd(state)),
		.duration_ns = PICK(state, 1, 1000, 0, CGROUP_GPU_JOB_MAX_NS + 1,
				    UINT64_MAX, rnd(state)),
		.syncobj = PICK(state, 0, 0, 1, rnd(state)),
		.pad = c.pad,
	};
	struct cgroup_gpu_wait w = {
		.job_id = PICK(state, 0, 1, CGROUP_GPU_MAX_JOBS, UINT32_MAX, rnd(state)),
		.flags = PICK(state, 0, 0, 1, rnd(state)),
		.timeout_ns = PICK(state, 0, 0, 1, -1, INT64_MIN),
		.pad = c.pad,
	};
	struct cgroup_gpu_job j = { .job_id = w.job_id, .pad = c.pad };
	const void *args[] = { &p, &p, &c, &c, &sub, &w, &j };
	const size_t sizes[] = {
		sizeof(p), sizeof(p), sizeof(c), sizeof(c), sizeof(sub), sizeof(w), sizeof(j),
	};
	bool bad_arg;
	void *arg;

	/* A third of the inputs have an ioctl number that is not the uAPI's. */
	if (rnd(state) % 3 == 0)
		cmd = _IOC(PICK(state, _IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE),
			   PICK(state, DRM_IOCTL_BASE, 'x', rnd(state) & 0xff),
			   DRM_COMMAND_BASE + rnd(state) % 10,
			   PICK(state, 0, 8, 16, 24, 32, 4096, _IOC_SIZEMASK));
	for (i = 0; i < ncmds; i++)
		if (cmd == cmds[i])
			exact = i;
	/* A number made at random may be a real one: its argument then. */
	if (exact >= 0)
		which = exact;
	arg = hostile_arg(h, ptr, args[which], sizes[which]);
	snprintf(what, size,
		 "cmd %#lx fd kind %d ptr kind %d flags %#x param %llu value %lld priority %d ctx %u pad %u submit flags %#x ns %llu syncobj %u wait job %u flags %#x timeout %lld",
		 cmd, fd, ptr, p.flags, (unsigned long long)p.param, (long long)p.value,
		 c.priority, c.ctx_id, c.pad, sub.flags, (unsigned long long)sub.duration_ns,
		 sub.syncobj, w.job_id, w.flags, (long long)w.timeout_ns);

	if (exact < 0) {
		int nr = _IOC_NR(cmd) - DRM_COMMAND_BASE;

		if (whole_number || _IOC_TYPE(cmd) != DRM_IOCTL_BASE)
			*allowed = BIT(ENOTTY);
		else if (nr >= ncmds)
			*allowed = BIT(EINVAL);
		else	/* DRM resizes the argument: any answer of that ioctl. */
			*allowed = BIT(0) | BIT(EFAULT) | BIT(EINVAL) | BIT(EBADF) |
				   BIT(ENOTDIR) | BIT(ENOENT) | BIT(EPERM) |
				   BIT(EACCES) | BIT(ENOSPC) | BIT(EBUSY) | BIT(ETIME);
	} else if (ptr != PTR_OK && ptr != PTR_READONLY &&
		   !(ptr == PTR_PARTIAL && sizes[which] <= 8)) {
		/* The mapped part of PTR_PARTIAL holds an 8-byte argument whole. */
		*allowed = BIT(EFAULT);
	} else {
		switch (exact) {
		case 0:
			bad_arg = (p.param != OFFSET && p.param != DISPBOOST) ||
				  p.flags & ~CGROUP_GPU_PARAM_UNSET ||
				  (p.flags ? p.value != 0 :
				   p.value < (p.param == OFFSET ? CGROUP_GPU_PRIORITY_MIN : 0) ||
				   p.value > (p.param == OFFSET ? CGROUP_GPU_PRIORITY_MAX :
					      CGROUP_GPU_DISPBOOST_MAX));
			*allowed = BIT(-fd_errno(fd, true)) | (bad_arg ? BIT(EINVAL) : 0);
			if (bad_arg && !fd_errno(fd, true))
				*allowed &= ~BIT(0);
			break;
		case 1:
			bad_arg = (p.param != OFFSET && p.param != DISPBOOST) ||
				  p.flags & ~CGROUP_GPU_PARAM_EFFECTIVE;
			*allowed = BIT(-fd_errno(fd, false)) | (bad_arg ? BIT(EINVAL) : 0);
			if (bad_arg && !fd_errno(fd, false))
				*allowed &= ~BIT(0);
			break;
		case 2:
			bad_arg = c.pad || c.priority < CGROUP_GPU_PRIORITY_MIN ||
				  c.priority > CGROUP_GPU_PRIORITY_MAX;
			*allowed = bad_arg ? BIT(EINVAL) : BIT(0) | BIT(ENOSPC);
			break;
		case 3:
			*allowed = c.pad ? BIT(EINVAL) : BIT(0) | BIT(ENOENT);
			break;
		case 4:
			*allowed = submit_allowed(&sub, !whole_number);
			break;
		case 5:
			*allowed = w.flags || w.pad || w.timeout_ns < 0 ? BIT(EINVAL) :
				   BIT(0) | BIT(ENOENT) | BIT(ETIME);
			break;
		default:
			*allowed = j.pad ? BIT(EINVAL) : BIT(0) | BIT(ENOENT) | BIT(EINVAL);
			break;
		}
		/* An _IOWR argument that cannot be written back. */
		if (ptr == PTR_READONLY && _IOC_DIR(cmd) & _IOC_READ)
			*allowed |= BIT(EFAULT);
	}
	return ioctl(dev, cmd, arg) ? errno : 0;
}

TEST_F_TIMEOUT(uapi, hostile_inputs, 600)
{
	const char *env = getenv("CGDRV_HOSTILE_INPUTS");
	int i, n = env ? atoi(env) : 50000, bad = 0, err;
	__u64 state = 0x9e3779b97f4a7c15ULL, allowed;
	long answers[64] = { 0 };
	struct hostile h;
	char what[256];

	ASSERT_EQ(0, hostile_setup(&h, self->root, self->cg_a));
	for (i = 0; i < n; i++) {
		err = hostile_one(&h, self->dev[0], variant->whole_ioctl_number, &state,
				  what, sizeof(what), &allowed);
		if (err < 64)
			answers[err]++;
		if (err >= 64 || !(allowed & BIT(err))) {
			if (bad++ < 10)
				TH_LOG("input %d: %s: %s (allowed %#llx)", i, what,
				       err ? strerror(err) : "success",
				       (unsigned long long)allowed);
		}
	}
	hostile_teardown(&h);
	printf("# figure: hostile_inputs_%s %d\n", variant->module, n);
	for (i = 0; i < 64; i++)
		if (answers[i])
			printf("# hostile answers %s: %ld\n", i ? strerror(i) : "success",
			       answers[i]);
	EXPECT_EQ(0, bad);
}

TEST_HARNESS_MAIN
