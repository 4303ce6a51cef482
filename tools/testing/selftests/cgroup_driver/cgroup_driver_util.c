// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_driver_util.h"

/* Writes @text to the file at @path; 0 or a negative errno. */
int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The number that @format (one %ld) finds at the start of file @path, or -1. */
long read_number(const char *path, const char *format)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (f) {
		if (fscanf(f, format, &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Loads the module at @path; 0 or a negative errno. */
int load_module(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret ? -errno : 0;
}

/*
 * Loads sample @module with @params from $CGDRV_SAMPLES (the directory of
 * the samples' .ko files) or the current directory; 0 or a negative errno.
 */
int load_sample_with(const char *module, const char *params)
{
	const char *dir = getenv("CGDRV_SAMPLES");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.ko", dir ? dir : ".", module);
	return load_module(path, params);
}

/* Loads sample @module with two devices. */
int load_sample(const char *module)
{
	return load_sample_with(module, "devices=2");
}

/* Loads module @name of test_module/, where $CGDRV_KSELFTEST_MODULE is. */
int load_test_module(const char *name)
{
	const char *path = getenv("CGDRV_KSELFTEST_MODULE");
	const char *slash = path ? strrchr(path, '/') : NULL;
	char ko[PATH_MAX];

	if (slash)
		snprintf(ko, sizeof(ko), "%.*s%s.ko", (int)(slash + 1 - path), path, name);
	else
		snprintf(ko, sizeof(ko), "test_module/%s.ko", name);
	return load_module(ko, "");
}

/* The test module, and the module it needs, which stays loaded. */
int load_kselftest(void)
{
	int ret = load_test_module(KSELFTEST_SHARED);

	return ret && ret != -EEXIST ? ret : load_test_module(KSELFTEST);
}

int unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * The objects that the core holds for the registrations of module @owner,
 * -1 if it has none, -2 if the core's debugfs file cannot be read.
 */
long core_objects(const char *owner)
{
	char line[256], match[80];
	long objects = -1, n;
	FILE *f = fopen(CORE_REGISTRATIONS, "r");

	if (!f)
		return -2;
	snprintf(match, sizeof(match), " owner=%s ", owner);
	while (fgets(line, sizeof(line), f)) {
		char *count = strstr(line, " objects=");

		if (strstr(line, match) && count &&
		    sscanf(count, " objects=%ld", &n) == 1)
			objects = (objects < 0 ? 0 : objects) + n;
	}
	fclose(f);
	return objects;
}

/* Waits until module @owner holds @objects objects; false on giving up. */
bool wait_core_objects(const char *owner, long objects)
{
	return wait_until(core_objects(owner) == objects);
}

struct timespec deadline_in(int seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += seconds;
	return t;
}

bool past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* /dev/kmsg, positioned after the records logged so far; -1 on failure. */
int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether a record logged since kmsg_open() contains @text. */
bool kmsg_find(int fd, const char *text)
{
	char record[1024];
	ssize_t n;

	for (;;) {
		n = read(fd, record, sizeof(record) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			return false;
		record[n] = '\0';
		if (strstr(record, text))
			return true;
	}
}
