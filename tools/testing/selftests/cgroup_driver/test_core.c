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
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "cgroup_driver_util.h"

#define MODULE_NAME KSELFTEST
#define SHARED_NAME KSELFTEST_SHARED
#define RFC_NAME "cgroup_driver_rfc"
#define RUST_NAME "rust_cgroup_driver_kselftest"
#define RUST_DEV "/dev/cgroup_driver_rust_kselftest"
#define RUST_CYCLE _IO('c', 1)
#define RUST_DROPPED _IO('c', 2)
#define DEBUGFS "/sys/kernel/debug/"
#define CONTROL DEBUGFS MODULE_NAME "/control"
#define STATS DEBUGFS MODULE_NAME "/stats"

/* What the test module counted: see its stats file. */
struct stats {
	int allocs, frees, news, live, by_release, by_cgroup, doubles;
	int devs_freed, dangling, busy, late, nested;
};

static int load(void)
{
	return load_kselftest();
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
	struct stats s = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	FILE *f = fopen(STATS, "r");

	if (f) {
		if (fscanf(f,
			   "allocs %d frees %d new %d live %d release %d cgroup %d double %d devfree %d dangling %d busy %d late %d nested %d",
			   &s.allocs, &s.frees, &s.news, &s.live, &s.by_release,
			   &s.by_cgroup, &s.doubles, &s.devs_freed, &s.dangling,
			   &s.busy, &s.late, &s.nested) != 12)
			s.allocs = -1;
		fclose(f);
	}
	return s;
}

static long objects(void)
{
	return core_objects(MODULE_NAME);
}

/* Waits until the test module has freed @frees objects; the count then. */
static int wait_for_frees(int frees)
{
	wait_until(read_stats().frees >= frees);
	return read_stats().frees;
}

static int get_data(int cgroup_fd)
{
	return control("get %d", cgroup_fd);
}

/* A new child @name of @dir with data; 0 or -1. */
static int child_with_data(int dir, const char *name)
{
	int fd, ret;

	if (mkdirat(dir, name, 0755))
		return -1;
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = get_data(fd);
	close(fd);
	return ret ? -1 : 0;
}

/* The cgroups below @cg that were removed and are not yet released. */
static long dying(const char *cg)
{
	return cg_read_key_long(cg, "cgroup.stat", "nr_dying_descendants ");
}

/*
 * Waits until the cgroups removed below @cg (open as @dir) so far are gone,
 * but for @pinned that something still holds: until the others are
 * released, then until a sentinel child with data, released after them, is
 * freed; the cgroup core queues its free behind theirs. It adds one object
 * to the counts: the sentinel's, freed by the cgroup path.
 */
static bool removed_cgroups_freed(const char *cg, int dir, long pinned)
{
	int frees = read_stats().frees;

	if (!wait_until(dying(cg) == pinned))
		return false;
	if (child_with_data(dir, "sentinel") || unlinkat(dir, "sentinel", AT_REMOVEDIR))
		return false;
	return wait_until(read_stats().frees == frees + 1);
}

/*
 * The longest wait for @lock, in microseconds as /proc/lock_stat prints it,
 * by any task while @fn runs: lock statistics are on only meanwhile. The
 * result is @fn's; "-" in @wait if lock statistics are not available.
 */
static int longest_wait(const char *lock, int (*fn)(void), char *wait, size_t size)
{
	char line[512], name[128], class[128], max[32];
	FILE *f;
	int ret;

	snprintf(wait, size, "-");
	if (write_file("/proc/lock_stat", "0") || write_file("/proc/sys/kernel/lock_stat", "1"))
		return fn();
	ret = fn();
	write_file("/proc/sys/kernel/lock_stat", "0");
	f = fopen("/proc/lock_stat", "r");
	if (!f)
		return ret;
	snprintf(name, sizeof(name), "%s:", lock);
	/* The class, con-bounces, contentions, waittime-min, waittime-max. */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %127s %*s %*s %*s %31s", class, max) == 2 &&
		    !strcmp(class, name)) {
			snprintf(wait, size, "%s", max);
			break;
		}
	fclose(f);
	return ret;
}

static int release(void)
{
	return control("release");
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
	char *child = cg_name(self->cg, "pinned");
	int sock;

	ASSERT_NE(NULL, child);
	ASSERT_EQ(0, child_with_data(self->fd, "pinned"));
	ASSERT_EQ(0, cg_enter_current(child));
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, cg_enter_current(self->root));
	free(child);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, unlinkat(self->fd, "pinned", AT_REMOVEDIR));

	/* A cgroup removed after it is freed; the pinned one is not. */
	ASSERT_TRUE(removed_cgroups_freed(self->cg, self->fd, 1));
	EXPECT_EQ(1, read_stats().frees);
	EXPECT_EQ(1, dying(self->cg));
	EXPECT_EQ(1, objects());

	close(sock);
	EXPECT_EQ(2, wait_for_frees(2));
	EXPECT_EQ(2, read_stats().by_cgroup);
	EXPECT_EQ(0, objects());
}

/*
 * A removed cgroup that a driver still holds is a cgroup: a miss on it
 * stores data, a lookup finds it, and it is freed with the cgroup.
 */
TEST_F(core, removed_but_held_cgroup_keeps_data)
{
	struct stats s;
	int fd;

	ASSERT_EQ(0, mkdirat(self->fd, "held", 0755));
	fd = openat(self->fd, "held", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, control("hold %d", fd));
	close(fd);
	ASSERT_EQ(0, unlinkat(self->fd, "held", AT_REMOVEDIR));
	ASSERT_EQ(1, dying(self->cg));

	ASSERT_EQ(0, control("get-held"));
	ASSERT_EQ(0, control("get-held"));
	s = read_stats();
	EXPECT_EQ(1, s.allocs);
	EXPECT_EQ(1, s.news);
	EXPECT_EQ(0, s.frees);
	EXPECT_EQ(1, objects());

	ASSERT_EQ(0, control("put"));
	EXPECT_EQ(1, wait_for_frees(1));
	EXPECT_EQ(1, read_stats().by_cgroup);
	EXPECT_EQ(0, objects());
	EXPECT_TRUE(wait_until(dying(self->cg) == 0));
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
	EXPECT_EQ(1, read_stats().by_release);
	EXPECT_EQ(-1, objects());
}

TEST_F_TIMEOUT(core, release_frees_10000_cgroups, 900)
{
	const int n = 10000;
	char name[32], cmd[32], wait[32];
	struct stats s;
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
	/* What release held, and what anyone waited meanwhile. */
	ASSERT_EQ(0, write_file(CORE_RELEASE_MAX_HOLD, "0"));
	ASSERT_EQ(0, longest_wait("cgroup_mutex", release, wait, sizeof(wait)));
	printf("# figure: release_10000_longest_cgroup_mutex_hold_us %.1f\n",
	       read_number(CORE_RELEASE_MAX_HOLD, "%ld") / 1000.0);
	printf("# figure: release_10000_longest_cgroup_mutex_wait_us %s\n", wait);
	s = read_stats();
	EXPECT_EQ(n, s.frees);
	EXPECT_EQ(n, s.by_release);
	EXPECT_EQ(0, s.live);
	EXPECT_EQ(-1, objects());

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		EXPECT_EQ(0, unlinkat(self->fd, name, AT_REMOVEDIR));
	}
	/* Their frees find no data: only the sentinel's is freed. */
	ASSERT_EQ(0, control("register"));
	ASSERT_TRUE(removed_cgroups_freed(self->cg, self->fd, 0));
	s = read_stats();
	EXPECT_EQ(n + 1, s.allocs);
	EXPECT_EQ(n + 1, s.frees);
	EXPECT_EQ(1, s.by_cgroup);
	EXPECT_EQ(0, s.doubles);
}

/* Creates cgroups "0" to "@n - 1" in @dir, each with data; 0 or -1. */
static int children_with_data(int dir, int n)
{
	char name[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i);
		if (child_with_data(dir, name))
			return -1;
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

/*
 * Release while the cgroups are being removed and freed: each object is
 * freed once, by release or by its cgroup's free, whichever unlinks it
 * first, and both do so here: release starts once the cgroup free path has
 * freed some, while the rest are still being removed.
 */
TEST_F_TIMEOUT(core, release_races_cgroup_removal, 600)
{
	const int n = 1000;
	struct stats s;
	int status;
	pid_t pid;

	ASSERT_EQ(0, children_with_data(self->fd, n));
	EXPECT_EQ(n, objects());

	pid = remove_children(self->fd, n);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_until(read_stats().frees >= n / 20));
	EXPECT_EQ(0, control("release"));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-1, objects());

	ASSERT_EQ(0, control("register"));
	ASSERT_TRUE(removed_cgroups_freed(self->cg, self->fd, 0));
	s = read_stats();
	printf("# figure: race_freed_by_release %d\n", s.by_release);
	printf("# figure: race_freed_by_cgroup %d\n", s.by_cgroup - 1);
	EXPECT_LT(0, s.by_release);
	EXPECT_LE(n / 20, s.by_cgroup - 1);
	EXPECT_EQ(n, s.by_release + s.by_cgroup - 1);
	EXPECT_EQ(n + 1, s.allocs);
	EXPECT_EQ(n + 1, s.frees);
	EXPECT_EQ(0, s.doubles);
	/* Neither path hands an object back with its cgroup pointer set. */
	EXPECT_EQ(0, s.dangling);
}

/*
 * Lookups on every CPU walk through the objects of other registrations,
 * which are released meanwhile, over and over, and each must find our
 * object. Each round a reader on another CPU holds an object of a
 * registration being released inside an RCU read-side critical section, as
 * such a lookup may: release must not free it before the reader leaves
 * (the module answers EIO if it did), which a missing grace period fails.
 */
TEST_F_TIMEOUT(core, lookups_while_others_release, 300)
{
	const char *env = getenv("CGDRV_RCU_STRESS_SEC");
	int msecs = 1000 * (env ? atoi(env) : 10);
	struct stats s;

	ASSERT_EQ(0, control("rcu %d %d", self->fd, msecs));
	s = read_stats();
	printf("# figure: rcu_objects_released_under_lookups %d\n", s.by_release);
	EXPECT_LT(0, s.by_release);
	EXPECT_EQ(s.allocs - 1, s.by_release);
	EXPECT_EQ(1, s.live);
	EXPECT_EQ(0, s.doubles);
	EXPECT_EQ(1, objects());
}

/*
 * A cgroup's table is replaced by a bigger one while a reader on another
 * CPU holds it: the old one must outlive the reader (a KASAN report
 * otherwise), and every object stays where it was.
 */
TEST_F(core, replaced_table_outlives_its_readers)
{
	struct stats s;

	ASSERT_EQ(0, control("grow %d", self->fd));
	s = read_stats();
	EXPECT_EQ(s.allocs - 1, s.by_release);
	EXPECT_EQ(1, s.live);
	EXPECT_EQ(0, s.doubles);
	EXPECT_EQ(1, objects());
}

/* The core's warning when a module goes with registrations left. */
#define LEFT "module " MODULE_NAME " left "
#define LEFT_TWO LEFT "2 registration(s); released them"

/* The module goes away while cgroups still hold its data. */
TEST_F(core, unload_with_data)
{
	int kmsg = kmsg_open();

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, child_with_data(self->fd, "child"));
	EXPECT_EQ(1, objects());
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-1, objects());
	/* It released what it registered: the core had nothing to do. */
	EXPECT_FALSE(kmsg_find(kmsg, LEFT));
	close(kmsg);
	/* The cgroup's free must not call into the unloaded module (KASAN). */
	ASSERT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	ASSERT_EQ(0, load());
	ASSERT_EQ(0, control("register"));
	EXPECT_TRUE(removed_cgroups_freed(self->cg, self->fd, 0));
	EXPECT_EQ(1, read_stats().frees);
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

/*
 * The cgroup free path has taken an object and is in its free_data, which
 * sleeps, when the registration is released: the release must wait for it
 * (the module answers EBUSY if a free_data still runs after it returned).
 */
TEST_F(core, release_waits_for_the_free_path)
{
	struct stats s;

	ASSERT_EQ(0, child_with_data(self->fd, "child"));
	ASSERT_EQ(0, control("slow 2000"));
	ASSERT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	ASSERT_TRUE(wait_until(read_stats().busy == 1));
	EXPECT_EQ(0, release());
	s = read_stats();
	EXPECT_EQ(0, s.busy);
	EXPECT_EQ(1, s.frees);
	EXPECT_EQ(1, s.by_cgroup);
	EXPECT_EQ(-1, objects());
	EXPECT_EQ(0, control("slow 0"));
}

/*
 * Devices whose objects hold references on them, as a DRM driver's objects
 * hold drm_dev_get(): the last object's free_data drops the last reference,
 * which releases the device's registration from inside that free_data.
 */

/*
 * Each object was handed back once, with its cgroup pointer cleared, and
 * none after its device's release returned.
 */
static void expect_handed_back_cleanly(struct __test_metadata *_metadata,
				       struct stats s)
{
	EXPECT_EQ(0, s.doubles);
	EXPECT_EQ(0, s.dangling);
	EXPECT_EQ(0, s.late);
}

/* Device 0 pins itself; its objects live on "child". */
static int pinned_device_with_data(int dir, int *child)
{
	if (control("dev 0 0") || mkdirat(dir, "child", 0755))
		return -1;
	*child = openat(dir, "child", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*child < 0 || control("dev-get 0 %d", *child))
		return -1;
	return 0;
}

/* On the cgroup free workqueue: it must not wait for its own callback. */
TEST_F_TIMEOUT(core, release_from_free_data_on_cgroup_free, 120)
{
	struct stats s;
	int child;

	ASSERT_EQ(0, pinned_device_with_data(self->fd, &child));
	close(child);
	ASSERT_EQ(0, control("dev-put 0"));
	EXPECT_EQ(0, read_stats().devs_freed);
	ASSERT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	ASSERT_TRUE(wait_until(read_stats().devs_freed == 1));
	s = read_stats();
	EXPECT_EQ(1, s.by_cgroup);
	expect_handed_back_cleanly(_metadata, s);
	/* Two new registrations on the same cgroup each keep their own. */
	ASSERT_EQ(0, control("dev 1 -1"));
	ASSERT_EQ(0, control("dev 2 -1"));
	ASSERT_EQ(0, get_data(self->fd));
	ASSERT_EQ(0, control("dev-get 1 %d", self->fd));
	ASSERT_EQ(0, control("dev-get 2 %d", self->fd));
	EXPECT_EQ(3, objects());
	EXPECT_EQ(0, control("dev-put 1"));
	/* Device 2's object is still where a lookup finds it. */
	s = read_stats();
	EXPECT_EQ(0, control("dev-get 2 %d", self->fd));
	EXPECT_EQ(s.allocs, read_stats().allocs);
	EXPECT_EQ(0, control("dev-put 2"));
	EXPECT_EQ(3, read_stats().devs_freed);
}

/* From inside cgroup_driver_release() of the same registration. */
TEST_F(core, release_from_free_data_in_release)
{
	struct stats s;
	int child;

	ASSERT_EQ(0, pinned_device_with_data(self->fd, &child));
	ASSERT_EQ(0, control("dev-get 0 %d", self->fd));
	close(child);
	EXPECT_EQ(2, objects());
	ASSERT_EQ(0, control("dev-release 0"));
	s = read_stats();
	EXPECT_EQ(1, s.devs_freed);
	EXPECT_EQ(2, s.frees);
	expect_handed_back_cleanly(_metadata, s);
	EXPECT_EQ(0, objects());
	EXPECT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
}

/*
 * Device 1's objects pin device 0, which has an object on the same cgroup
 * in a later slot: the cgroup free path hands device 1's object back, whose
 * free_data releases device 0 while device 0's object is still in the
 * cgroup's table. The release must take it, not wait for it.
 */
TEST_F_TIMEOUT(core, release_of_another_registration_from_free_data, 120)
{
	struct stats s;
	int child;

	/*
	 * Device 1 takes the index below device 0's: the one that device 2
	 * held, which device 2, freed with no objects, gives back.
	 */
	ASSERT_EQ(0, release());
	ASSERT_EQ(0, control("dev 2 -1"));
	ASSERT_EQ(0, control("dev 0 -1"));
	ASSERT_EQ(0, control("dev-put 2"));
	ASSERT_EQ(1, read_stats().devs_freed);
	ASSERT_EQ(0, control("dev 1 0"));
	ASSERT_EQ(0, mkdirat(self->fd, "child", 0755));
	child = openat(self->fd, "child", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, child);
	ASSERT_EQ(0, control("dev-get 0 %d", child));
	ASSERT_EQ(0, control("dev-get 1 %d", child));
	close(child);
	ASSERT_EQ(0, control("dev-put 0"));
	ASSERT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	ASSERT_TRUE(wait_until(read_stats().devs_freed == 2));
	s = read_stats();
	EXPECT_EQ(2, s.frees);
	EXPECT_EQ(2, s.by_cgroup);
	/* Device 0's object was still in the table: its release took it. */
	EXPECT_EQ(1, s.nested);
	expect_handed_back_cleanly(_metadata, s);
	EXPECT_EQ(0, control("dev-put 1"));
	EXPECT_EQ(3, read_stats().devs_freed);
	EXPECT_EQ(-1, objects());
}

/*
 * The module goes with a device that only its objects keep: the core's
 * cleanup releases its registration, whose last free_data releases it
 * again, on the same thread (KASAN: nothing used after it is freed).
 */
TEST_F(core, release_from_free_data_when_module_goes)
{
	int kmsg = kmsg_open(), child;

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, pinned_device_with_data(self->fd, &child));
	close(child);
	ASSERT_EQ(0, control("dev-put 0"));
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-1, objects());
	EXPECT_TRUE(kmsg_find(kmsg, LEFT "1 registration(s); released them"));
	close(kmsg);
	EXPECT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	EXPECT_EQ(0, load());
}

/*
 * alloc_data lives in another module: the registration is still the test
 * module's (.owner), released when it goes, and its cgroup's free later
 * never calls into it.
 */
TEST_F(core, owner_not_alloc_data_decides_the_module)
{
	int kmsg = kmsg_open();

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, release());
	ASSERT_EQ(0, control("shared"));
	ASSERT_EQ(0, child_with_data(self->fd, "child"));
	EXPECT_EQ(1, objects());
	EXPECT_EQ(-1, core_objects(SHARED_NAME));
	ASSERT_EQ(0, control("leak"));
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-1, objects());
	EXPECT_EQ(-1, core_objects(SHARED_NAME));
	EXPECT_TRUE(kmsg_find(kmsg, LEFT "1 registration(s); released them"));
	close(kmsg);
	EXPECT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	EXPECT_EQ(0, load());
}

/* A driver written against the RFC builds, registers, stores and releases. */
TEST_F(core, rfc_driver_runs_unchanged)
{
	ASSERT_EQ(0, load_test_module(RFC_NAME));
	EXPECT_EQ(-1, core_objects(RFC_NAME));
	EXPECT_EQ(0, unload_module(RFC_NAME));
}

/*
 * A Rust device whose data on a cgroup holds an Arc of it, while it owns the
 * data's Registration: safe code, a cycle. Freeing the cgroup drops the
 * data, whose drop drops the device and with it the registration, from
 * inside the core's hand-back on the cgroup free workqueue. A cycle on a
 * live cgroup goes when the module does.
 */
TEST_F_TIMEOUT(core, rust_arc_cycle_through_cgroup_data, 120)
{
	int kmsg = kmsg_open(), dev, child;

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, load_test_module(RUST_NAME));
	dev = open(RUST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, mkdirat(self->fd, "child", 0755));
	child = openat(self->fd, "child", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, child);
	ASSERT_EQ(0, ioctl(dev, RUST_CYCLE, child));
	close(child);
	EXPECT_EQ(0, ioctl(dev, RUST_DROPPED));
	EXPECT_EQ(1, core_objects(RUST_NAME));
	ASSERT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
	EXPECT_TRUE(wait_until(ioctl(dev, RUST_DROPPED) == 1));
	/* The device counts its drop before its registration goes. */
	EXPECT_TRUE(wait_core_objects(RUST_NAME, -1));

	ASSERT_EQ(0, mkdirat(self->fd, "child", 0755));
	child = openat(self->fd, "child", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, child);
	ASSERT_EQ(0, ioctl(dev, RUST_CYCLE, child));
	close(child);
	close(dev);
	EXPECT_EQ(0, unload_module(RUST_NAME));
	EXPECT_EQ(-1, core_objects(RUST_NAME));
	EXPECT_TRUE(kmsg_find(kmsg, "module " RUST_NAME " left 1 registration(s)"));
	close(kmsg);
	EXPECT_EQ(0, unlinkat(self->fd, "child", AT_REMOVEDIR));
}

TEST_HARNESS_MAIN
