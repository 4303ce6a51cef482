// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup that a driver's ioctl names by an open directory, and whether
 * the caller may configure it, under cgroup v2's delegation rules
 * (Documentation/admin-guide/cgroup-v2.rst, "Delegation").
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/dcache.h>
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>

#include "cgroup-internal.h"

/*
 * The knobs of a cgroup belong to whoever may create and remove it: write
 * access to its parent's directory. A delegatee owns its own directory, so
 * that is not enough.
 */
static int cgroup_driver_may_configure(struct file *f, struct cgroup *cgrp,
				       struct cgroup *ns_root)
{
	struct dentry *parent;
	int ret;

	if (!cgroup_parent(cgrp))
		return -EINVAL;
	/* A cgroup namespace's root is a delegation boundary (nsdelegate). */
	if (cgrp == ns_root)
		return -EPERM;
	/* A cgroup directory's dentry parent is its parent cgroup's. */
	parent = dget_parent(f->f_path.dentry);
	ret = inode_permission(file_mnt_idmap(f), d_inode(parent), MAY_WRITE);
	dput(parent);
	/* Last, so that an allowed caller leaves no audit record. */
	if (ret && capable(CAP_SYS_ADMIN))
		ret = 0;
	return ret ? -EACCES : 0;
}

/**
 * cgroup_driver_cgroup_from_fd - the cgroup of an open cgroup directory
 * @fd: a file descriptor of the calling task, open on a cgroup v2 directory
 *	(O_PATH is enough)
 * @configure: whether the caller is about to change the cgroup's settings
 *
 * Looks @fd up once and takes everything from that one file, so another
 * thread that reuses the number cannot make the check pass on one cgroup and
 * the caller act on another. With @configure, applies cgroup v2's delegation
 * rules: the caller must be able to write the directory of the cgroup's
 * parent, or be capable(CAP_SYS_ADMIN); the root cgroup has no settings, and
 * the root of the caller's cgroup namespace cannot be configured from inside.
 *
 * Context: Process context.
 * Return: The cgroup, with a reference the caller drops with cgroup_put(),
 * or an ERR_PTR(): -EBADF if @fd is not open or not a cgroup directory,
 * -ENOTDIR if it is not a directory, -EINVAL if the cgroup is not on the
 * default hierarchy, -ENOENT if it is outside the caller's cgroup namespace
 * or being removed; with @configure, -EINVAL for the root cgroup, -EPERM for
 * the root of the caller's cgroup namespace and -EACCES without permission.
 */
struct cgroup *cgroup_driver_cgroup_from_fd(int fd, bool configure)
{
	CLASS(fd_raw, f)(fd);
	struct cgroup *cgrp, *ns_root;
	int ret = 0;

	if (fd_empty(f))
		return ERR_PTR(-EBADF);
	if (!S_ISDIR(file_inode(fd_file(f))->i_mode))
		return ERR_PTR(-ENOTDIR);
	cgrp = cgroup_v1v2_get_from_file(fd_file(f));
	if (IS_ERR(cgrp))
		return cgrp;

	ns_root = current->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
	if (!cgroup_on_dfl(cgrp))
		ret = -EINVAL;
	else if (!cgroup_is_descendant(cgrp, ns_root))
		ret = -ENOENT;
	else if (configure)
		ret = cgroup_driver_may_configure(fd_file(f), cgrp, ns_root);
	if (ret) {
		cgroup_put(cgrp);
		return ERR_PTR(ret);
	}
	return cgrp;
}
EXPORT_SYMBOL_GPL(cgroup_driver_cgroup_from_fd);
