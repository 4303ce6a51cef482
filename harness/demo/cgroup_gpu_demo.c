// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's client of the GPU-like samples:
 *   cgroup_gpu_demo DEVICE set CGROUP_DIR OFFSET
 *   cgroup_gpu_demo DEVICE ctx PRIORITY
 *   cgroup_gpu_demo DEVICE load batch|interactive SECONDS [LATENCIES_FILE]
 *
 * load is a workload of the caller's cgroup: batch keeps the engine busy
 * with two 20 ms jobs in flight at all times; interactive submits a 1 ms
 * job, waits for it and pauses 4 ms, and measures each job's latency, from
 * submission to the end of its WAIT. Each prints one line: its jobs, its
 * share of the engine (its jobs' time over the run's) and, interactive,
 * the median and 99th percentile of its latencies, which it can also write
 * one per line, in ns, to LATENCIES_FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_gpu_drm.h"

#define BATCH_NS 20000000ULL
#define INTERACTIVE_NS 1000000ULL
#define PAUSE_US 4000
#define WAIT_NS 10000000000LL

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int submit(int dev, __u32 ctx, __u64 ns, __u32 *id)
{
	struct cgroup_gpu_submit s = { .ctx_id = ctx, .duration_ns = ns };

	if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_SUBMIT, &s)) {
		perror("SUBMIT");
		return -1;
	}
	*id = s.job_id;
	return 0;
}

static int wait_done(int dev, __u32 id)
{
	struct cgroup_gpu_wait w = { .job_id = id, .timeout_ns = WAIT_NS };

	if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_WAIT, &w)) {
		perror("WAIT");
		return -1;
	}
	return w.status;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int load(int dev, const char *role, int seconds, const char *out)
{
	int batch = !strcmp(role, "batch"), n = 0, cap = seconds * 1000;
	long long start = now_ns(), end = start + seconds * 1000000000LL, t0;
	__u64 ns = batch ? BATCH_NS : INTERACTIVE_NS;
	struct cgroup_gpu_ctx c = { .priority = 0 };
	long long *lat = calloc(cap, sizeof(*lat));
	__u32 id = 0, next;
	FILE *f;
	int i;

	if (!lat || ioctl(dev, DRM_IOCTL_CGROUP_GPU_CTX_CREATE, &c)) {
		perror("CTX_CREATE");
		return 1;
	}
	if (batch && submit(dev, c.ctx_id, ns, &id))
		return 1;
	while (now_ns() < end && n < cap) {
		if (batch) {
			if (submit(dev, c.ctx_id, ns, &next) || wait_done(dev, id))
				return 1;
			id = next;
		} else {
			t0 = now_ns();
			if (submit(dev, c.ctx_id, ns, &id) || wait_done(dev, id))
				return 1;
			lat[n] = now_ns() - t0;
			usleep(PAUSE_US);
		}
		n++;
	}
	if (batch && wait_done(dev, id))
		return 1;
	printf("%-12s jobs %5d  engine share %3lld%%", role, n,
	       (long long)(n * ns * 100 / (now_ns() - start)));
	if (!batch && n) {
		qsort(lat, n, sizeof(*lat), cmp_ll);
		printf("  latency median %6.2f ms  p99 %6.2f ms", lat[n / 2] / 1e6,
		       lat[(n * 99) / 100] / 1e6);
		f = out ? fopen(out, "w") : NULL;
		for (i = 0; f && i < n; i++)
			fprintf(f, "%lld\n", lat[i]);
		if (f)
			fclose(f);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	int dev;

	if (argc < 4)
		goto usage;
	dev = open(argv[1], O_RDWR);
	if (dev < 0) {
		perror(argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "set") && argc == 5) {
		struct cgroup_gpu_param p = {
			.cgroup_fd = open(argv[3], O_RDONLY | O_DIRECTORY),
			.param = CGROUP_GPU_PARAM_PRIORITY_OFFSET,
			.value = atoll(argv[4]),
		};

		if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_SETPARAM, &p)) {
			perror("SETPARAM");
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[2], "ctx")) {
		struct cgroup_gpu_ctx c = { .priority = atoi(argv[3]) };

		if (ioctl(dev, DRM_IOCTL_CGROUP_GPU_CTX_CREATE, &c)) {
			perror("CTX_CREATE");
			return 1;
		}
		printf("context %u: asked %d, effective %d\n", c.ctx_id,
		       c.priority, c.effective);
		return 0;
	}
	if (!strcmp(argv[2], "load") && argc >= 5)
		return load(dev, argv[3], atoi(argv[4]), argc > 5 ? argv[5] : NULL);
usage:
	fprintf(stderr,
		"usage: %s DEVICE set CGROUP_DIR OFFSET | DEVICE ctx PRIORITY | DEVICE load batch|interactive SECONDS [FILE]\n",
		argv[0]);
	return 2;
}
