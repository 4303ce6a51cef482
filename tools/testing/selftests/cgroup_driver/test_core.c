// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the cgroup driver data core that need real cgroups: freeing when
 * a cgroup goes away, release, the concurrent-miss race, the v1 hierarchy and
 * module unload. They drive the cgroup_driver_kselftest module (test_module/)
 * through debugfs and read the core's counts in
 * /sys/kernel/debug/cgroup_driver/registrations.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "cgroup_driver_util.h"

#define MODULE_NAME "cgroup_driver_kselftest"
#define DEBUGFS "/sys/kernel/debug/"
#define CONTROL DEBUGFS MODULE_NAME "/control"
#define STATS DEBUGFS MODULE_NAME "/stats"

struct stats {
	int allocs, frees, news, live;
};

static int load(void)
{
	const char *path = getenv("CGDRV_KSELFTEST_MODULE");

	return load_module(path ? path : "test_module/" MODULE_NAME ".ko", "");
}

static int unload(void)
{
	return unload_module(MODULE_NAME);
}

/* Writes one command; returns 0 or the negative errno of the write. */
static int control(const char *fmt, ...)
{
	char cmd[64];
	va_list ap;
	int fd, ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open(CONTROL, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, cmd, strlen(cmd)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static struct stats read_stats(void)
{
	struct stats s = { -1, -1, -1, -1 };
	FILE *f = fopen(STATS, "r");

	if (f) {
		if (fscanf(f, "allocs %d frees %d new %d live %d", &s.allocs,
			   &s.frees, &s.news, &s.live) != 4)
			s.allocs = -1;
		fclose(f);
	}
	return s;
}

static long objects(void)
{
	return core_objects(MODULE_NAME);
}

static int wait_for_frees(int frees)
{
	int i;

	for (i = 0; i < SETTLE_TRIES; i++) {
		if (read_stats().frees >= frees)
			return read_stats().frees;
		usleep(SETTLE_USEC);
	}
	return read_stats().frees;
}

static int get_data(int cgroup_fd)
{
	return control("get %d", cgroup_fd);
}

FIXTURE(core) {
	char root[PATH_MAX];
	char *cg;
	int fd;
};

FIXTURE_SETUP(core)
{
	int ret;

	if (cg_find_unified_root(self->root, sizeof(self->root), NULL))
		SKIP(return, "cgroup v2 is not mounted");
	ret = load();
	if (ret == -EEXIST) {
		ASSERT_EQ(0, unload());
		ret = load();
	}
	ASSERT_EQ(0, ret) TH_LOG("loading the test module: %s", strerror(-ret));
	ASSERT_EQ(0, control("register"));
	self->cg = cg_name(self->root, "cgroup_driver_test");
	ASSERT_NE(NULL, self->cg);
	ASSERT_EQ(0, cg_create(self->cg));
	self->fd = open(self->cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(core)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->cg)
		rmdir(self->cg);
	free(self->cg);
	unload();
}

TEST_F(core, lookup_allocates_once)
{
	struct stats s;

	ASSERT_EQ(0, get_data(self->fd));
	ASSERT_EQ(0, get_data(self->fd));
	s = read_stats();
	EXPECT_EQ(1, s.allocs);
	EXPECT_EQ(1, s.news);
	EXPECT_EQ(1, objects());
}

TEST_F(core, freed_after_rmdir)
{
	ASSERT_EQ(0, get_data(self->fd));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, rmdir(self->cg));
	EXPECT_EQ(1, wait_for_frees(1));
	EXPECT_EQ(0, objects());
}

/* An open directory fd holds the kernfs node, not the cgroup. */
TEST_F(core, open_dir_fd_does_not_pin)
{
	ASSERT_EQ(0, get_data(self->fd));
	ASSERT_EQ(0, rmdir(self->cg));
	EXPECT_EQ(1, wait_for_frees(1));
	EXPECT_EQ(0, objects());
}

/* A socket holds a reference on the cgroup its creator was in. */
TEST_F(core, socket_pins_until_closed)
{
	int sock;

	ASSERT_EQ(0, cg_enter_current(self->cg));
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, cg_enter_current(self->root));
	ASSERT_EQ(0, get_data(self->fd));
	ASSERT_EQ(0, rmdir(self->cg));

	/* Give the cgroup a chance to be freed, wrongly. */
	sleep(1);
	EXPECT_EQ(0, read_stats().frees);
	EXPECT_EQ(1, objects());

	close(sock);
	EXPECT_EQ(1, wait_for_frees(1));
	EXPECT_EQ(0, objects());
}

TEST_F(core, concurrent_miss_stores_one)
{
	const int threads = 16;
	struct stats s;

	ASSERT_EQ(0, control("race %d %d", self->fd, threads));
	s = read_stats();
	EXPECT_EQ(threads, s.allocs);
	EXPECT_EQ(1, s.news);
	EXPECT_EQ(threads - 1, s.frees);
	EXPECT_EQ(1, s.live);
	EXPECT_EQ(1, objects());
}

TEST_F(core, not_a_cgroup_is_ebadf)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, get_data(fd));
	close(fd);
	EXPECT_EQ(0, read_stats().allocs);
}

TEST_F(core, v1_hierarchy_is_einval)
{
	char dir[] = "/tmp/cgroup_driver_v1.XXXXXX";
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("none", dir, "cgroup", 0, "none,name=cgroup_driver"))
		TH_LOG("mounting a named v1 hierarchy: %s", strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, get_data(fd));
	EXPECT_EQ(0, read_stats().allocs);
	close(fd);
	umount(dir);
	rmdir(dir);
}

TEST_F(core, root_cgroup_until_release)
{
	int fd = open(self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get_data(fd));
	close(fd);
	EXPECT_EQ(1, objects());
	ASSERT_EQ(0, control("release"));
	EXPECT_EQ(1, read_stats().frees);
	EXPECT_EQ(-1, objects());
}

TEST_F_TIMEOUT(core, release_frees_10000_cgroups, 900)
{
	const int n = 10000;
	char name[32], cmd[32];
	int i, fd, ctl;

	/* One control fd and paths relative to the parent: 10,000 of each. */
	ctl = open(CONTROL, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		ASSERT_EQ(0, mkdirat(self->fd, name, 0755));
		fd = openat(self->fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		snprintf(cmd, sizeof(cmd), "get %d", fd);
		ASSERT_EQ(strlen(cmd), write(ctl, cmd, strlen(cmd)));
		close(fd);
	}
	close(ctl);
	EXPECT_EQ(n, objects());
	ASSERT_EQ(0, control("release"));
	EXPECT_EQ(n, read_stats().frees);
	EXPECT_EQ(0, read_stats().live);
	EXPECT_EQ(-1, objects());

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		EXPECT_EQ(0, unlinkat(self->fd, name, AT_REMOVEDIR));
	}
	EXPECT_EQ(n, read_stats().frees);
}

/* Creates cgroups "0" to "@n - 1" in @dir, each with data; 0 or -1. */
static int children_with_data(int dir, int n)
{
	char name[16];
	int i, fd;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		if (mkdirat(dir, name, 0755))
			return -1;
		fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || get_data(fd)) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* Forks a process that removes those cgroups; its pid, or -1. */
static pid_t remove_children(int dir, int n)
{
	char name[16];
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		if (unlinkat(dir, name, AT_REMOVEDIR))
			_exit(1);
	}
	_exit(0);
}

/* Each object is freed once, by release or by its cgroup, whichever wins. */
TEST_F_TIMEOUT(core, release_races_cgroup_removal, 300)
{
	const int n = 500;
	int status;
	pid_t pid;

	ASSERT_EQ(0, children_with_data(self->fd, n));
	EXPECT_EQ(n, objects());

	pid = remove_children(self->fd, n);
	ASSERT_LE(0, pid);
	EXPECT_EQ(0, control("release"));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	EXPECT_EQ(n, wait_for_frees(n));
	/* Removed cgroups are freed late: give a double free time to show. */
	sleep(1);
	EXPECT_EQ(n, read_stats().frees);
	EXPECT_EQ(0, read_stats().live);
	EXPECT_EQ(-1, objects());
}

/* The core's warning when a module goes with registrations left. */
#define LEFT "module " MODULE_NAME " left "
#define LEFT_TWO LEFT "2 registration(s); released them"

/* The module goes away while cgroups still hold its data. */
TEST_F(core, unload_with_data)
{
	int kmsg = kmsg_open();

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, get_data(self->fd));
	EXPECT_EQ(1, objects());
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-1, objects());
	/* It released what it registered: the core had nothing to do. */
	EXPECT_FALSE(kmsg_find(kmsg, LEFT));
	close(kmsg);
	/* The cgroup's free must not call into the unloaded module. */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, rmdir(self->cg));
	usleep(SETTLE_USEC);
	EXPECT_EQ(0, load());
	EXPECT_EQ(0, control("register"));
	EXPECT_EQ(0, objects());
}

/*
 * A module that leaks its registrations (a C driver's bug, or mem::forget()
 * of a Rust registration) goes away with data on live cgroups: the core
 * releases every one of them before the module's code goes, naming the
 * module once, while the cgroups are being removed. A cgroup freed later must not
 * call into the unloaded module (KASAN), and each object is freed once
 * (KASAN, kmemleak).
 */
TEST_F(core, leaked_registration_released_when_module_goes)
{
	const int n = 200;
	int kmsg = kmsg_open(), status;
	pid_t pid;

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, children_with_data(self->fd, n));
	EXPECT_EQ(n, objects());
	ASSERT_EQ(0, control("leak"));
	/* A second registration, leaked too, with data on the parent. */
	ASSERT_EQ(0, control("register"));
	ASSERT_EQ(0, get_data(self->fd));
	EXPECT_EQ(n + 1, objects());
	ASSERT_EQ(0, control("leak"));

	pid = remove_children(self->fd, n);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, unload());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-1, objects());
	EXPECT_TRUE(kmsg_find(kmsg, LEFT_TWO));
	close(kmsg);
	/* And it loads again. */
	EXPECT_EQ(0, load());
	EXPECT_EQ(0, control("register"));
	EXPECT_EQ(0, objects());
}

TEST_HARNESS_MAIN
