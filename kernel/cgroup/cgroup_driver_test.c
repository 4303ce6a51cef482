// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the cgroup driver data core: what can be reached from inside
 * the kernel without creating cgroups. Userspace drives the rest through
 * tools/testing/selftests/cgroup_driver.
 */
#include <kunit/test.h>
#include <linux/cgroup.h>
#include <linux/cgroup_driver.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "cgroup-internal.h"

struct test_data {
	struct cgroup_driver_data base;
	struct test_driver *td;
	int value;
};

/* What the test driver's functions saw: the context of its registrations. */
struct test_driver {
	struct cgroup_driver_funcs funcs;
	struct kunit *test;
	int allocs;
	int frees;
	struct cgroup_driver_data *(*result)(struct test_driver *td);
	/* For the nested release: the registration, and the one after it. */
	struct cgroup_driver *released, *taker;
};

static struct cgroup_driver_data *test_alloc(struct test_driver *td)
{
	struct test_data *data = kzalloc(sizeof(*data), GFP_KERNEL);

	if (!data)
		return ERR_PTR(-ENOMEM);
	data->td = td;
	return &data->base;
}

static struct cgroup_driver_data *test_alloc_data(struct cgroup_driver *drv)
{
	struct test_driver *td = cgroup_driver_priv(drv);

	/*
	 * Called with no core lock held: sleeping is allowed. Once an earlier
	 * report has turned lockdep off, it answers "held" for every lock.
	 */
	if (IS_ENABLED(CONFIG_LOCKDEP) && debug_locks)
		KUNIT_EXPECT_FALSE(td->test, lockdep_is_held(&cgroup_mutex));
	might_sleep();
	fsleep(1000);
	td->allocs++;
	return td->result ? td->result(td) : test_alloc(td);
}

static void test_free_data(struct cgroup_driver_data *data)
{
	struct test_data *d = container_of(data, struct test_data, base);

	d->td->frees++;
	kfree(d);
}

static struct test_driver *test_driver_new(struct kunit *test, bool with_free)
{
	struct test_driver *td = kunit_kzalloc(test, sizeof(*td), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, td);
	td->test = test;
	td->funcs.alloc_data = test_alloc_data;
	if (with_free)
		td->funcs.free_data = test_free_data;
	return td;
}

static struct cgroup_driver *test_register(struct kunit *test,
					   struct test_driver *td)
{
	struct cgroup_driver *drv = cgroup_driver_init_priv(&td->funcs, td);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drv);
	return drv;
}

static struct cgroup *root(void)
{
	return &cgrp_dfl_root.cgrp;
}

static void init_rejects_missing_funcs(struct kunit *test)
{
	struct cgroup_driver_funcs no_alloc = { .free_data = test_free_data };

	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_init(NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_init(&no_alloc)), -EINVAL);
}

static void get_data_rejects_bad_arguments(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv = test_register(test, td);
	bool is_new = true;

	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_get_data(NULL, root(), &is_new)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(cgroup_driver_get_data(ERR_PTR(-ENOMEM), root(), &is_new)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_get_data(drv, NULL, &is_new)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, td->allocs, 0);
	cgroup_driver_release(drv);
	KUNIT_EXPECT_EQ(test, td->frees, 0);
}

/* What is not a handle is not taken for one: a live registration survives. */
static void release_ignores_non_handles(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv = test_register(test, td);
	struct cgroup_driver_data *data;

	data = cgroup_driver_get_data(drv, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	cgroup_driver_release(NULL);
	cgroup_driver_release(ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_find_data(drv, root()), data);
	KUNIT_EXPECT_EQ(test, td->frees, 0);
	cgroup_driver_release(drv);
	KUNIT_EXPECT_EQ(test, td->frees, 1);
}

static void get_data_allocates_once(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv = test_register(test, td);
	struct cgroup_driver_data *first, *again;
	bool is_new = false;

	first = cgroup_driver_get_data(drv, root(), &is_new);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, first);
	KUNIT_EXPECT_TRUE(test, is_new);
	KUNIT_EXPECT_PTR_EQ(test, first->drv, drv);

	again = cgroup_driver_get_data(drv, root(), &is_new);
	KUNIT_EXPECT_PTR_EQ(test, again, first);
	KUNIT_EXPECT_FALSE(test, is_new);
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_get_data(drv, root(), NULL), first);
	KUNIT_EXPECT_EQ(test, td->allocs, 1);

	cgroup_driver_release(drv);
	KUNIT_EXPECT_EQ(test, td->frees, 1);
}

struct lookup {
	struct cgroup_driver *drv;
	struct cgroup_driver_data *found;
	struct completion done;
};

static int lookup_thread(void *arg)
{
	struct lookup *l = arg;

	l->found = cgroup_driver_get_data(l->drv, root(), NULL);
	complete(&l->done);
	return 0;
}

/* A hit must not wait for cgroup_mutex, which the RFC took on every lookup. */
static void hit_takes_no_lock(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct lookup l = { .drv = test_register(test, td) };
	struct cgroup_driver_data *data;
	struct task_struct *task;
	bool done;

	data = cgroup_driver_get_data(l.drv, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	init_completion(&l.done);

	cgroup_lock();
	task = kthread_run(lookup_thread, &l, "cgroup_driver_hit");
	done = !IS_ERR(task) && wait_for_completion_timeout(&l.done, 10 * HZ);
	cgroup_unlock();
	if (!IS_ERR(task) && !done)
		wait_for_completion(&l.done);

	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_PTR_EQ(test, l.found, data);
	cgroup_driver_release(l.drv);
	KUNIT_EXPECT_EQ(test, td->allocs, 1);
}

static void find_data_never_allocates(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv = test_register(test, td);
	struct cgroup_driver_data *data;

	KUNIT_EXPECT_NULL(test, cgroup_driver_find_data(drv, root()));
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_find_data(NULL, root())), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_find_data(drv, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, td->allocs, 0);

	data = cgroup_driver_get_data(drv, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_find_data(drv, root()), data);
	cgroup_driver_release(drv);
	KUNIT_EXPECT_EQ(test, td->frees, 1);
}

static void registrations_are_isolated(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *a = test_register(test, td);
	struct cgroup_driver *b = test_register(test, td);
	struct cgroup_driver_data *da, *db;

	KUNIT_EXPECT_PTR_NE(test, a, b);
	da = cgroup_driver_get_data(a, root(), NULL);
	db = cgroup_driver_get_data(b, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, da);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, db);
	KUNIT_EXPECT_PTR_NE(test, da, db);
	container_of(da, struct test_data, base)->value = 1;
	container_of(db, struct test_data, base)->value = 2;

	cgroup_driver_release(a);
	KUNIT_EXPECT_EQ(test, td->frees, 1);
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_get_data(b, root(), NULL), db);
	KUNIT_EXPECT_EQ(test, container_of(db, struct test_data, base)->value, 2);
	cgroup_driver_release(b);
	KUNIT_EXPECT_EQ(test, td->frees, 2);
	KUNIT_EXPECT_EQ(test, td->allocs, 2);
}

#define CHURN_ROUNDS 3

static void many_registrations_share_a_table(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv[40], *again[ARRAY_SIZE(drv) / 2];
	struct cgroup_driver_data *data[ARRAY_SIZE(drv)];
	int i, j, round;
	bool is_new;
	size_t len;

	/* The root's table grows, copied, as higher indexes store objects. */
	for (i = 0; i < ARRAY_SIZE(drv); i++) {
		drv[i] = test_register(test, td);
		data[i] = cgroup_driver_get_data(drv[i], root(), NULL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data[i]);
	}
	for (i = 0; i < ARRAY_SIZE(drv); i++)
		KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_find_data(drv[i], root()), data[i]);
	len = cgroup_driver_table_len(root());
	for (i = 0; i < ARRAY_SIZE(drv); i += 2)
		cgroup_driver_release(drv[i]);
	/*
	 * New registrations take the freed indexes, whose slots are empty, round
	 * after round: the table does not grow, as it would by half the
	 * registrations a round if indexes were not reused.
	 */
	for (round = 0; round < CHURN_ROUNDS; round++) {
		for (j = 0; j < ARRAY_SIZE(again); j++) {
			again[j] = test_register(test, td);
			KUNIT_EXPECT_NULL(test, cgroup_driver_find_data(again[j], root()));
			KUNIT_EXPECT_NOT_ERR_OR_NULL(test,
						     cgroup_driver_get_data(again[j], root(),
									    &is_new));
			KUNIT_EXPECT_TRUE(test, is_new);
		}
		for (j = 0; j < ARRAY_SIZE(again); j++)
			cgroup_driver_release(again[j]);
	}
	KUNIT_EXPECT_EQ(test, cgroup_driver_table_len(root()), len);
	for (i = 1; i < ARRAY_SIZE(drv); i += 2)
		KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_get_data(drv[i], root(), NULL),
				    data[i]);
	for (i = 1; i < ARRAY_SIZE(drv); i += 2)
		cgroup_driver_release(drv[i]);
	KUNIT_EXPECT_EQ(test, td->allocs,
			ARRAY_SIZE(drv) + CHURN_ROUNDS * ARRAY_SIZE(again));
	KUNIT_EXPECT_EQ(test, td->frees,
			ARRAY_SIZE(drv) + CHURN_ROUNDS * ARRAY_SIZE(again));
}

/*
 * The last free_data of a release registers a driver, which takes the index
 * that the release gave back, and releases the registration again, as a
 * device's last put would: the nested release must give nothing back a
 * second time, or the next registration would share the index.
 */
static void free_then_release_again(struct cgroup_driver_data *data)
{
	struct test_data *d = container_of(data, struct test_data, base);
	struct test_driver *td = d->td;

	kfree(d);
	if (td->frees++)
		return;
	td->taker = cgroup_driver_init_priv(&td->funcs, td);
	cgroup_driver_release(td->released);
}

static void nested_release_gives_the_index_back_once(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, false);
	struct cgroup_driver_data *mine, *theirs;
	struct cgroup_driver *other;

	td->funcs.free_data = free_then_release_again;
	td->released = test_register(test, td);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cgroup_driver_get_data(td->released, root(), NULL));
	cgroup_driver_release(td->released);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, td->taker);
	KUNIT_EXPECT_EQ(test, td->frees, 1);
	other = test_register(test, td);
	mine = cgroup_driver_get_data(td->taker, root(), NULL);
	theirs = cgroup_driver_get_data(other, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mine);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, theirs);
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_find_data(td->taker, root()), mine);
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_find_data(other, root()), theirs);
	cgroup_driver_release(other);
	cgroup_driver_release(td->taker);
	KUNIT_EXPECT_EQ(test, td->frees, 3);
}

static struct cgroup_driver_data *alloc_null(struct test_driver *td)
{
	return NULL;
}

static void alloc_null_is_enomem(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv = test_register(test, td);
	bool is_new = true;

	td->result = alloc_null;
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_get_data(drv, root(), &is_new)),
			-ENOMEM);
	/* Nothing was stored: the next lookup allocates again. */
	td->result = NULL;
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, cgroup_driver_get_data(drv, root(), &is_new));
	KUNIT_EXPECT_TRUE(test, is_new);
	KUNIT_EXPECT_EQ(test, td->allocs, 2);
	cgroup_driver_release(drv);
	KUNIT_EXPECT_EQ(test, td->frees, 1);
}

static struct cgroup_driver_data *alloc_eio(struct test_driver *td)
{
	return ERR_PTR(-EIO);
}

static void alloc_error_is_passed_on(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, true);
	struct cgroup_driver *drv = test_register(test, td);

	td->result = alloc_eio;
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_get_data(drv, root(), NULL)), -EIO);
	cgroup_driver_release(drv);
	KUNIT_EXPECT_EQ(test, td->frees, 0);
}

/* vmalloc()ed, unlike a small kvzalloc(): only kvfree() frees it right. */
static struct cgroup_driver_data *alloc_vmalloc(struct test_driver *td)
{
	struct test_data *data = vzalloc(sizeof(*data));

	return data ? &data->base : ERR_PTR(-ENOMEM);
}

/*
 * Without free_data the core kvfree()s: a kfree() would be a KASAN report,
 * which fails the running case, and no free at all a kmemleak report.
 */
static void release_kvfrees_without_free_data(struct kunit *test)
{
	struct test_driver *td = test_driver_new(test, false);
	struct cgroup_driver *drv = test_register(test, td);
	struct cgroup_driver_data *data;

	td->result = alloc_vmalloc;
	data = cgroup_driver_get_data(drv, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(data));
	cgroup_driver_release(drv);
}

/* Set only in a boot of its own (harness/guest-rcu.sh): it makes a report. */
static bool misuse_rcu;
module_param(misuse_rcu, bool, 0);
MODULE_PARM_DESC(misuse_rcu, "Look a cgroup's data up outside RCU, for lockdep to report");

/*
 * The Rust walk reads tables with acquire loads in place of
 * rcu_dereference(): with PROVE_RCU it must report, as the C macro does, a
 * read that no RCU read-side critical section protects.
 */
static void lookup_outside_rcu_is_reported(struct kunit *test)
{
	struct cgroup_driver_data *data;
	struct cgroup_driver *drv;

	if (!IS_ENABLED(CONFIG_PROVE_RCU) || !misuse_rcu)
		kunit_skip(test, "needs PROVE_RCU and cgroup_driver_test.misuse_rcu=1");
	drv = test_register(test, test_driver_new(test, true));
	data = cgroup_driver_get_data(drv, root(), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, data);
	KUNIT_EXPECT_PTR_EQ(test, cgroup_driver_lookup_rcu(drv, root()), data);
	cgroup_driver_release(drv);
}

static struct kunit_case cgroup_driver_cases[] = {
	KUNIT_CASE(init_rejects_missing_funcs),
	KUNIT_CASE(get_data_rejects_bad_arguments),
	KUNIT_CASE(release_ignores_non_handles),
	KUNIT_CASE(get_data_allocates_once),
	KUNIT_CASE(hit_takes_no_lock),
	KUNIT_CASE(find_data_never_allocates),
	KUNIT_CASE(registrations_are_isolated),
	KUNIT_CASE(many_registrations_share_a_table),
	KUNIT_CASE(nested_release_gives_the_index_back_once),
	KUNIT_CASE(alloc_null_is_enomem),
	KUNIT_CASE(alloc_error_is_passed_on),
	KUNIT_CASE(release_kvfrees_without_free_data),
	{}
};

static struct kunit_suite cgroup_driver_suite = {
	.name = "cgroup_driver",
	.test_cases = cgroup_driver_cases,
};

static struct kunit_case cgroup_driver_rcu_cases[] = {
	KUNIT_CASE(lookup_outside_rcu_is_reported),
	{}
};

/* A suite of its own, so that its boot runs nothing else. */
static struct kunit_suite cgroup_driver_rcu_suite = {
	.name = "cgroup_driver_rcu",
	.test_cases = cgroup_driver_rcu_cases,
};

kunit_test_suites(&cgroup_driver_suite, &cgroup_driver_rcu_suite);

MODULE_DESCRIPTION("KUnit tests of cgroup driver data");
MODULE_LICENSE("GPL");
