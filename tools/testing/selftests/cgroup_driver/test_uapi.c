// SPDX-License-Identifier: GPL-2.0
/*
 * The uAPI of the GPU-like samples (include/uapi/drm/cgroup_gpu_drm.h), run
 * against both: the C DRM driver (render nodes) and the Rust misc-device
 * driver. Each test loads the sample with two devices and unloads it after.
 * $CGDRV_SAMPLES names the directory of the samples' .ko files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <libgen.h>
#include <unistd.h>

#include <drm/cgroup_gpu_drm.h>

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
};

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
};

FIXTURE_VARIANT_ADD(uapi, rust) {
	.module = "rust_cgroup_driver",
	.open_devices = open_rust_devices,
};

static int load_sample(const char *module)
{
	const char *dir = getenv("CGDRV_SAMPLES");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.ko", dir ? dir : ".", module);
	return load_module(path, "devices=2");
}

static int setparam(int dev, int cgroup_fd, __u64 param, __s64 value)
{
	struct cgroup_gpu_param p = {
		.cgroup_fd = cgroup_fd, .param = param, .value = value,
	};

	return ioctl(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p) ? -errno : 0;
}

static int setparam_flags(int dev, int cgroup_fd, __u32 flags)
{
	struct cgroup_gpu_param p = {
		.cgroup_fd = cgroup_fd, .flags = flags, .param = OFFSET,
	};

	return ioctl(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p) ? -errno : 0;
}

/*
 * The results of the ioctls below: the value read, or ERR(errno). Values
 * are within the priority range, far from any ERR().
 */
#define ERR(e) (-1000000 - (e))

static long long getparam(int dev, int cgroup_fd, __u64 param)
{
	struct cgroup_gpu_param p = { .cgroup_fd = cgroup_fd, .param = param };

	return ioctl(dev, DRM_IOCTL_CGROUP_GPU_GETPARAM, &p) ? ERR(errno) : p.value;
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

TEST_F(uapi, defaults_allocate_nothing)
{
	EXPECT_EQ(0, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(0, getparam(self->dev[0], self->a, DISPBOOST));
	ASSERT_EQ(0, cg_enter_current(self->cg_a));
	EXPECT_EQ(5, ctx_create(self->dev[0], 5, NULL));
	EXPECT_EQ(0, core_objects(variant->module));
}

TEST_F(uapi, set_and_get)
{
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, -200));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, DISPBOOST, 40));
	EXPECT_EQ(-200, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(40, getparam(self->dev[0], self->a, DISPBOOST));
	EXPECT_EQ(1, core_objects(variant->module));
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

TEST_F(uapi, migration_changes_only_new_contexts)
{
	__u32 first, second;

	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 100));
	ASSERT_EQ(0, cg_enter_current(self->cg_a));
	ASSERT_EQ(100, ctx_create(self->dev[0], 0, &first));
	ASSERT_EQ(0, cg_enter_current(self->cg_b));
	ASSERT_EQ(0, ctx_create(self->dev[0], 0, &second));
	ASSERT_EQ(0, setparam(self->dev[0], self->a, OFFSET, 7));

	EXPECT_EQ(100, ctx_get(self->dev[0], first));
	EXPECT_EQ(0, ctx_get(self->dev[0], second));
	EXPECT_EQ(ERR(ENOENT), ctx_get(self->dev[0], second + 1));
}

TEST_F(uapi, invalid_arguments)
{
	int file, dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char v1[] = "/tmp/cgroup_gpu_v1.XXXXXX";
	int v1fd;

	file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dir);
	ASSERT_LE(0, file);
	EXPECT_EQ(-EINVAL, setparam(self->dev[0], self->a, 99, 0));
	EXPECT_EQ(ERR(EINVAL), getparam(self->dev[0], self->a, 99));
	EXPECT_EQ(-EINVAL, setparam_flags(self->dev[0], self->a, 1));
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

/* Runs setparam on @cgroup_fd as an unprivileged user; its result. */
static int setparam_as_nobody(int dev, int cgroup_fd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(TEST_UID) || setuid(TEST_UID))
			_exit(100);
		_exit(-setparam(dev, cgroup_fd, OFFSET, 9));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1000;
	return -WEXITSTATUS(status);
}

TEST_F(uapi, unprivileged_needs_delegation)
{
	EXPECT_EQ(-EACCES, setparam_as_nobody(self->dev[0], self->a));
	EXPECT_EQ(0, getparam(self->dev[0], self->a, OFFSET));

	/* Delegating the cgroup hands its directory to the user. */
	ASSERT_EQ(0, chown(self->cg_a, TEST_UID, -1));
	EXPECT_EQ(0, setparam_as_nobody(self->dev[0], self->a));
	EXPECT_EQ(9, getparam(self->dev[0], self->a, OFFSET));
	EXPECT_EQ(-EACCES, setparam_as_nobody(self->dev[0], self->b));
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

/* The name of the bus device behind the character device open as @dev. */
static int device_name(int dev, char *name, size_t size)
{
	char link[64], target[PATH_MAX];
	struct stat st;
	ssize_t len;

	if (fstat(dev, &st))
		return -1;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		return -1;
	target[len] = '\0';
	snprintf(name, size, "%s", basename(target));
	return 0;
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
	int ret;

	for (;;) {
		ret = setparam(dev, cgroup_fd, OFFSET, 12);
		value = getparam(dev, cgroup_fd, OFFSET);
		if (ret == -ENODEV || value == ERR(ENODEV))
			_exit(0);
		if (ret || value != 12 || ctx_create(dev, 0, NULL) != 12)
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

TEST_HARNESS_MAIN
