// SPDX-License-Identifier: GPL-2.0
/*
 * What lib/cgroup_driver_benchmark.c measures the core's lookup against,
 * built in beside the core so that every case is the same call across the
 * module boundary: the floor, the cheapest lookup such an API can offer, and
 * the baseline, a lookup done the way RFC v2 did it. Only with
 * CONFIG_CGROUP_DRIVER_BENCH, and exported to the benchmark's namespace
 * only: nothing else has a use for them.
 */
#include <linux/atomic.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/export.h>
#include <linux/rcupdate.h>

#include "cgroup-internal.h"

/**
 * cgroup_driver_bench_floor() - The cheapest lookup of a cgroup's data
 * @drv: unused: a lookup's key, passed as the core's lookup is passed it
 * @cgrp: a cgroup that the caller holds a reference on
 *
 * One RCU-protected load of the cgroup's pointer, in a function that is not
 * inlined into its caller, which then does the one compare every lookup
 * needs: whether there was anything to find.
 *
 * Return: the cgroup's table of data, or NULL if it has none.
 */
noinline void *cgroup_driver_bench_floor(struct cgroup_driver *drv,
					 struct cgroup *cgrp)
{
	struct cgroup_driver_table *table;

	rcu_read_lock();
	table = rcu_dereference(cgrp->driver_data);
	rcu_read_unlock();
	return table;
}
EXPORT_SYMBOL_NS_GPL(cgroup_driver_bench_floor, CGROUP_DRIVER_BENCH);

/**
 * cgroup_driver_bench_helpers() - The floor, with Rust's calls to enter RCU
 * @drv: unused, as for cgroup_driver_bench_floor()
 * @cgrp: a cgroup that the caller holds a reference on
 *
 * Rust code cannot inline C's rcu_read_lock() and rcu_read_unlock(): it
 * calls them through rust/helpers/rcu.c, which is why the core's lookups
 * enter RCU in C. This is the floor with those two calls in place of the
 * inline functions, so that the difference between the two is what the
 * calls would cost on every lookup.
 *
 * Return: as cgroup_driver_bench_floor().
 */
noinline void *cgroup_driver_bench_helpers(struct cgroup_driver *drv,
					   struct cgroup *cgrp)
{
	struct cgroup_driver_table *table;

	rust_helper_rcu_read_lock();
	table = rcu_dereference(cgrp->driver_data);
	rust_helper_rcu_read_unlock();
	return table;
}
EXPORT_SYMBOL_NS_GPL(cgroup_driver_bench_helpers, CGROUP_DRIVER_BENCH);

/**
 * cgroup_driver_bench_rfc() - A lookup as RFC v2 did it
 * @drv: the registration whose data is looked up
 * @cgrp: a cgroup that the caller holds a reference on
 *
 * RFC v2's cgroup_driver_get_data() checked that @cgrp is on the default
 * hierarchy and then took cgroup_mutex around the walk of the cgroup's
 * table, for hits too. This does the same around the core's own walk, so
 * that it differs from the core's lookup by the lock alone.
 *
 * Return: as cgroup_driver_find_data().
 */
noinline struct cgroup_driver_data *
cgroup_driver_bench_rfc(struct cgroup_driver *drv, struct cgroup *cgrp)
{
	struct cgroup_driver_data *data;

	if (!cgroup_on_dfl(cgrp))
		return ERR_PTR(-EINVAL);
	mutex_lock(&cgroup_mutex);
	data = cgroup_driver_find_data(drv, cgrp);
	mutex_unlock(&cgroup_mutex);
	return data;
}
EXPORT_SYMBOL_NS_GPL(cgroup_driver_bench_rfc, CGROUP_DRIVER_BENCH);

/**
 * cgroup_driver_bench_take_release_hold() - Read and reset the longest hold
 *
 * Return: the longest time, in nanoseconds, that cgroup_driver_release() has
 * held cgroup_mutex at once since the last call.
 */
u64 cgroup_driver_bench_take_release_hold(void)
{
	return xchg(&cgroup_driver_release_max_hold_ns, 0);
}
EXPORT_SYMBOL_NS_GPL(cgroup_driver_bench_take_release_hold, CGROUP_DRIVER_BENCH);
