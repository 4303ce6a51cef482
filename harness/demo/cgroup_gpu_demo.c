// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's client of the GPU-like samples:
 *   cgroup_gpu_demo DEVICE set CGROUP_DIR OFFSET
 *   cgroup_gpu_demo DEVICE ctx PRIORITY
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cgroup_gpu_drm.h"

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
usage:
	fprintf(stderr, "usage: %s DEVICE set CGROUP_DIR OFFSET | DEVICE ctx PRIORITY\n",
		argv[0]);
	return 2;
}
