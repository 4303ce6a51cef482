// SPDX-License-Identifier: GPL-2.0

#include <linux/cgroup.h>

/* <linux/cgroup.h> declares these only with cgroups. */
#ifdef CONFIG_CGROUPS

void rust_helper_cgroup_get(struct cgroup *cgrp)
{
	cgroup_get(cgrp);
}

void rust_helper_cgroup_put(struct cgroup *cgrp)
{
	cgroup_put(cgrp);
}

u64 rust_helper_cgroup_id(const struct cgroup *cgrp)
{
	return cgroup_id(cgrp);
}

bool rust_helper_cgroup_tryget(struct cgroup *cgrp)
{
	return cgroup_tryget(cgrp);
}

struct cgroup *rust_helper_task_dfl_cgroup(struct task_struct *task)
{
	return task_dfl_cgroup(task);
}

struct cgroup *rust_helper_cgroup_parent(struct cgroup *cgrp)
{
	return cgroup_parent(cgrp);
}

#endif /* CONFIG_CGROUPS */
