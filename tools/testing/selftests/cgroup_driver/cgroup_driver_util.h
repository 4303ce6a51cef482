/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the cgroup driver data selftests. */
#ifndef CGROUP_DRIVER_UTIL_H
#define CGROUP_DRIVER_UTIL_H

#include <stdbool.h>

#define CORE_REGISTRATIONS "/sys/kernel/debug/cgroup_driver/registrations"

/* The cgroup core frees a removed cgroup from a workqueue: poll for it. */
#define SETTLE_TRIES 200
#define SETTLE_USEC 50000

int load_module(const char *path, const char *params);
int unload_module(const char *name);
long core_objects(const char *owner);
bool wait_core_objects(const char *owner, long objects);
int kmsg_open(void);
bool kmsg_find(int fd, const char *text);

#endif
