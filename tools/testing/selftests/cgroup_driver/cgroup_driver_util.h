/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the cgroup driver data selftests. */
#ifndef CGROUP_DRIVER_UTIL_H
#define CGROUP_DRIVER_UTIL_H

#include <stdbool.h>
#include <time.h>

#define KSELFTEST "cgroup_driver_kselftest"
#define KSELFTEST_SHARED "cgroup_driver_kselftest_shared"
#define CORE_REGISTRATIONS "/sys/kernel/debug/cgroup_driver/registrations"
#define CORE_RELEASE_MAX_HOLD "/sys/kernel/debug/cgroup_driver/release_max_hold_ns"

/*
 * The cgroup core frees a removed cgroup from a workqueue, after an RCU
 * grace period: tests poll for what it does, every POLL_USEC, and give up
 * after DEADLINE_SEC. wait_until(cond) is the last value of @cond.
 */
#define POLL_USEC 10000
#define DEADLINE_SEC 60
#define wait_until(cond) ({						\
	struct timespec __deadline = deadline_in(DEADLINE_SEC);	\
	bool __ok;							\
									\
	while (!(__ok = (cond)) && !past(&__deadline))			\
		usleep(POLL_USEC);					\
	__ok;								\
})

struct timespec deadline_in(int seconds);
bool past(const struct timespec *deadline);
int write_file(const char *path, const char *text);
long read_number(const char *path, const char *format);
int load_module(const char *path, const char *params);
int load_sample_with(const char *module, const char *params);
int load_sample(const char *module);
int load_test_module(const char *name);
int load_kselftest(void);
int unload_module(const char *name);
long core_objects(const char *owner);
bool wait_core_objects(const char *owner, long objects);
int kmsg_open(void);
bool kmsg_find(int fd, const char *text);

#endif
