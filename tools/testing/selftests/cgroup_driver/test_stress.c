// SPDX-License-Identifier: GPL-2.0
/*
 * Stress with fault injection: for $CGDRV_STRESS_SEC seconds (default 60),
 * workers create and remove cgroups, move themselves between them, set
 * parameters, create contexts and submit jobs on both samples and look up
 * through the test module, while a registrar registers and releases the test module's
 * driver and a reloader unbinds and rebinds DRM devices and unloads and
 * reloads both samples. The workers' calls into the samples and the test
 * module fail allocations at random (failslab and fail_page_alloc, scoped
 * to the calling task with /proc/thread-self/make-it-fail): each failure
 * must come back as ENOMEM, every other answer must be one the call
 * documents, and afterwards the core holds what it held before. make check
 * then scans the kernel log and kmemleak.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_gpu_drm.h"

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "cgroup_driver_util.h"

#define CONTROL "/sys/kernel/debug/" KSELFTEST "/control"
#define FAILSLAB "/sys/kernel/debug/failslab/"
#define FAIL_PAGE "/sys/kernel/debug/fail_page_alloc/"
#define BUS_DRIVER "/sys/bus/platform/drivers/cgroup_gpu/"
#define WORKERS 3
/* Faults each fault attribute may inject, counted down by the kernel. */
#define FAULT_BUDGET 1000000

static const char * const samples[] = { "cgroup_driver_drm", "rust_cgroup_driver" };

/* What the processes did, in memory shared with the parent. */
struct figures {
	long ops, cgroups, moves, enomem, table_enomem, init_enomem;
	long reloads, unbinds, unexpected;
	char first_unexpected[160];
};

static struct figures *fig;

static void unexpected(const char *what, int err)
{
	if (__sync_fetch_and_add(&fig->unexpected, 1) == 0)
		snprintf(fig->first_unexpected, sizeof(fig->first_unexpected),
			 "%s: %s", what, strerror(err));
}

/* Counts @err, the answer of @what, against the errnos it may have. */
static void answer(const char *what, int err, unsigned long long allowed)
{
	__sync_fetch_and_add(&fig->ops, 1);
	if (err == ENOMEM)
		__sync_fetch_and_add(&fig->enomem, 1);
	else if (err && (err >= 64 || !(allowed & (1ULL << err))))
		unexpected(what, err);
}

#define ERRNOS(...) ({							\
	const int __e[] = { __VA_ARGS__ };				\
	unsigned long long __m = 0;					\
	unsigned int __i;						\
									\
	for (__i = 0; __i < ARRAY_SIZE(__e); __i++)			\
		__m |= 1ULL << __e[__i];				\
	__m;								\
})

static int make_it_fail = -1;

/* Lets faults(true) fail this task's allocations; once per process. */
static void faults_init(void)
{
	make_it_fail = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	if (make_it_fail < 0)
		unexpected("open make-it-fail", errno);
}

/* Allocations of this task fail at random while @on. */
static void faults(bool on)
{
	if (make_it_fail >= 0 && pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1)
		unexpected("make-it-fail", errno);
}

static int faulty_ioctl(int dev, unsigned long cmd, void *arg)
{
	int ret;

	faults(true);
	ret = ioctl(dev, cmd, arg) ? errno : 0;
	faults(false);
	return ret;
}

static int faulty_control(const char *cmd)
{
	int fd = open(CONTROL, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return errno;
	faults(true);
	ret = write(fd, cmd, strlen(cmd)) < 0 ? errno : 0;
	faults(false);
	close(fd);
	return ret;
}

static long test_module_allocs(void)
{
	return read_number("/sys/kernel/debug/" KSELFTEST "/stats", "allocs %ld");
}

/* A device of a random sample, or -1 if that sample is not there now. */
static int open_device(unsigned int *seed)
{
	char path[64];
	int n = rand_r(seed) % 2;

	if (rand_r(seed) % 2)
		snprintf(path, sizeof(path), "/dev/cgroup_gpu_rust%d", n);
	else
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", 128 + n);
	return open(path, O_RDWR | O_CLOEXEC);
}

/*
 * A job of the context @ctx of @dev: a short one or a plug, waited for
 * briefly or not at all; what is left ends when the file is closed.
 */
static void submit_round(int dev, __u32 ctx, unsigned int *seed)
{
	struct cgroup_gpu_submit s = {
		.ctx_id = ctx, .duration_ns = 1 + rand_r(seed) % 1000000,
	};
	struct cgroup_gpu_wait w = { .timeout_ns = rand_r(seed) % 2 * 2000000 };
	int err;

	if (rand_r(seed) % 4 == 0) {
		s.flags = CGROUP_GPU_SUBMIT_PLUG;
		s.duration_ns = 0;
	}
	err = faulty_ioctl(dev, DRM_IOCTL_CGROUP_GPU_SUBMIT, &s);
	answer("SUBMIT", err, ERRNOS(ENODEV));
	if (err || rand_r(seed) % 2)
		return;
	w.job_id = s.job_id;
	answer("WAIT", faulty_ioctl(dev, DRM_IOCTL_CGROUP_GPU_WAIT, &w),
	       ERRNOS(ENODEV, ETIME));
}

/*
 * One round of a worker in cgroup @name below @parent: create it, look up,
 * set a parameter, move in, create a context, move out, submit jobs to it,
 * remove the cgroup while they may run, close the device.
 */
static void worker_round(const char *parent, const char *name, unsigned int *seed,
			 int lock)
{
	struct cgroup_gpu_param p = {
		.param = CGROUP_GPU_PARAM_PRIORITY_OFFSET,
		.value = rand_r(seed) % 200 - 100,
	};
	struct cgroup_gpu_ctx c = { .priority = -(rand_r(seed) % 100) };
	char cmd[32], path[PATH_MAX];
	int fd, dev, err;
	long allocs;

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	if (mkdir(path, 0755)) {
		unexpected("mkdir", errno);
		return;
	}
	__sync_fetch_and_add(&fig->cgroups, 1);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		unexpected("open cgroup", errno);
		rmdir(path);
		return;
	}
	/*
	 * A miss on a new cgroup: alloc_data, then the cgroup's table. An
	 * ENOMEM after alloc_data counted an object is the table's; the lock
	 * keeps the other workers' lookups out of the count.
	 */
	snprintf(cmd, sizeof(cmd), "get %d", fd);
	flock(lock, LOCK_EX);
	allocs = test_module_allocs();
	err = faulty_control(cmd);
	if (err == ENOMEM && allocs >= 0 && test_module_allocs() > allocs)
		__sync_fetch_and_add(&fig->table_enomem, 1);
	flock(lock, LOCK_UN);
	answer("get", err, ERRNOS(ENOENT));

	dev = open_device(seed);
	if (dev >= 0) {
		p.cgroup_fd = fd;
		answer("SETPARAM", faulty_ioctl(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p),
		       ERRNOS(ENODEV));
		if (!cg_enter_current(path)) {
			__sync_fetch_and_add(&fig->moves, 1);
			err = faulty_ioctl(dev, DRM_IOCTL_CGROUP_GPU_CTX_CREATE, &c);
			answer("CTX_CREATE", err, ERRNOS(ENODEV));
			if (cg_enter_current(parent))
				unexpected("leave cgroup", errno);
			if (!err)
				submit_round(dev, c.ctx_id, seed);
		}
	}
	close(fd);
	if (rmdir(path))
		unexpected("rmdir", errno);
	if (dev >= 0)
		close(dev);
}

static void worker(const char *parent, int id, time_t end)
{
	int lock = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned int seed = id;
	char name[32];
	long round;

	faults_init();
	for (round = 0; time(NULL) < end; round++) {
		snprintf(name, sizeof(name), "w%d-%ld", id, round);
		worker_round(parent, name, &seed, lock);
	}
}

/* Registers and releases; an ENOMEM is cgroup_driver_init()'s. */
static void registrar(time_t end)
{
	int err;

	faults_init();
	while (time(NULL) < end) {
		err = faulty_control("register");
		answer("register", err, ERRNOS(EBUSY));
		if (err == ENOMEM)
			__sync_fetch_and_add(&fig->init_enomem, 1);
		answer("release", faulty_control("release"), ERRNOS(ENOENT));
	}
	/* The workers' lookups need a registration to the end. */
	faulty_control("register");
}

/* Unbinds and rebinds a DRM device, then reloads a sample once it may go. */
static void reloader(time_t end)
{
	int i, ret;

	for (i = 0; time(NULL) < end; i++) {
		if (!write_file(BUS_DRIVER "unbind", "cgroup_gpu.0")) {
			__sync_fetch_and_add(&fig->unbinds, 1);
			if (write_file(BUS_DRIVER "bind", "cgroup_gpu.0"))
				unexpected("bind", errno);
		}
		/* Busy while a worker has a device open: try again later. */
		ret = unload_module(samples[i % 2]);
		if (ret == -EBUSY || ret == -EAGAIN)
			continue;
		if (ret)
			unexpected("unload", -ret);
		else if (load_sample(samples[i % 2]))
			unexpected("reload", errno);
		else
			__sync_fetch_and_add(&fig->reloads, 1);
	}
}

/* Sets the attribute @name of fault capability @dir; 0 or -1. */
static int fault_attr(const char *dir, const char *name, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return write_file(path, value) ? -1 : 0;
}

static long faults_left(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%stimes", dir);
	return read_number(path, "%ld");
}

/* Failslab and fail_page_alloc on the tasks that ask, 1 in @every calls. */
static int faults_setup(const char *every)
{
	static const char * const dirs[] = { FAILSLAB, FAIL_PAGE };
	char budget[16];
	int i, bad = 0;

	snprintf(budget, sizeof(budget), "%d", FAULT_BUDGET);
	for (i = 0; i < 2; i++) {
		bad |= fault_attr(dirs[i], "task-filter", "Y");
		bad |= fault_attr(dirs[i], "ignore-gfp-wait", "N");
		bad |= fault_attr(dirs[i], "verbose", "0");
		bad |= fault_attr(dirs[i], "interval", "1");
		bad |= fault_attr(dirs[i], "times", budget);
		bad |= fault_attr(dirs[i], "probability", every);
	}
	bad |= fault_attr(FAIL_PAGE, "ignore-gfp-highmem", "N");
	bad |= fault_attr(FAIL_PAGE, "min-order", "0");
	return bad;
}

/* The core's registrations file, to compare before and after. */
static int core_registrations(char *buf, size_t size)
{
	int fd = open(CORE_REGISTRATIONS, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static pid_t spawn(void (*fn)(time_t), time_t end)
{
	pid_t pid = fork();

	if (pid == 0) {
		fn(end);
		_exit(0);
	}
	return pid;
}

FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, with_fault_injection, 3600)
{
	const char *env = getenv("CGDRV_STRESS_SEC");
	int seconds = env ? atoi(env) : 60, i, status, n = 0;
	char root[PATH_MAX], *parent, before[4096], after[4096];
	pid_t pids[WORKERS + 2];
	time_t end;

	if (cg_find_unified_root(root, sizeof(root), NULL))
		SKIP(return, "cgroup v2 is not mounted");
	if (access(FAILSLAB, F_OK) || access(FAIL_PAGE, F_OK))
		SKIP(return, "no failslab and fail_page_alloc in debugfs");
	fig = mmap(NULL, sizeof(*fig), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fig);
	memset(fig, 0, sizeof(*fig));

	for (i = 0; i < 2; i++)
		unload_module(samples[i]);
	unload_module(KSELFTEST);
	ASSERT_EQ(0, core_registrations(before, sizeof(before)));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, load_sample(samples[i]));
	ASSERT_EQ(0, load_kselftest());
	ASSERT_EQ(0, faulty_control("register"));
	parent = cg_name(root, "cgroup_driver_stress");
	ASSERT_NE(NULL, parent);
	ASSERT_EQ(0, cg_create(parent));
	ASSERT_EQ(0, cg_enter_current(parent));
	ASSERT_EQ(0, access("/proc/self/make-it-fail", W_OK));
	ASSERT_EQ(0, faults_setup("20"));

	end = time(NULL) + seconds;
	for (i = 0; i < WORKERS; i++) {
		pids[n] = fork();
		if (pids[n] == 0) {
			worker(parent, i, end);
			_exit(0);
		}
		n++;
	}
	pids[n++] = spawn(registrar, end);
	pids[n++] = spawn(reloader, end);
	for (i = 0; i < n; i++) {
		ASSERT_LT(0, pids[i]);
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	fault_attr(FAILSLAB, "probability", "0");
	fault_attr(FAIL_PAGE, "probability", "0");

	printf("# figure: stress_seconds %d\n", seconds);
	printf("# figure: stress_operations %ld\n", fig->ops);
	printf("# figure: stress_cgroups_created_and_removed %ld\n", fig->cgroups);
	printf("# figure: stress_task_moves %ld\n", fig->moves);
	printf("# figure: stress_sample_reloads %ld\n", fig->reloads);
	printf("# figure: stress_device_unbinds %ld\n", fig->unbinds);
	printf("# figure: faults_injected %ld\n",
	       2L * FAULT_BUDGET - faults_left(FAILSLAB) - faults_left(FAIL_PAGE));
	printf("# figure: stress_enomem_answers %ld\n", fig->enomem);
	printf("# figure: stress_table_allocation_enomem %ld\n", fig->table_enomem);
	printf("# figure: stress_cgroup_driver_init_enomem %ld\n", fig->init_enomem);
	EXPECT_EQ(0, fig->unexpected) TH_LOG("first: %s", fig->first_unexpected);
	/* Faults reached the core's and the samples' allocations. */
	EXPECT_LT(0, fig->enomem);
	EXPECT_LT(0, fig->table_enomem);
	EXPECT_LT(0, fig->init_enomem);
	EXPECT_LT(0, fig->reloads);
	EXPECT_LT(0, fig->unbinds);

	/* Everything goes, and the core holds what it held before. */
	ASSERT_EQ(0, cg_enter_current(root));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, unload_module(samples[i]));
	EXPECT_EQ(0, unload_module(KSELFTEST));
	EXPECT_EQ(0, cg_destroy(parent));
	free(parent);
	ASSERT_EQ(0, core_registrations(after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_HARNESS_MAIN
