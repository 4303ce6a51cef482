// SPDX-License-Identifier: GPL-2.0

#include <linux/rcupdate.h>

/* Each leaves its read-side critical section to its caller: tell sparse. */

void rust_helper_rcu_read_lock(void)
	__acquires(RCU)
{
	rcu_read_lock();
}

void rust_helper_rcu_read_unlock(void)
	__releases(RCU)
{
	rcu_read_unlock();
}

void rust_helper_rcu_read_lock_sched(void)
	__acquires(RCU_SCHED)
{
	rcu_read_lock_sched();
}

void rust_helper_rcu_read_unlock_sched(void)
	__releases(RCU_SCHED)
{
	rcu_read_unlock_sched();
}
