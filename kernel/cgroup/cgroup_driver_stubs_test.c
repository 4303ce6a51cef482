// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of the !CONFIG_CGROUP_DRIVER_CORE stubs of
 * <linux/cgroup_driver.h>, compiled here with the option hidden so that the
 * stubs, not the core, are what this file calls.
 */
#undef CONFIG_CGROUP_DRIVER_CORE
#include <linux/cgroup_driver.h>

#include <kunit/test.h>

static struct cgroup_driver_data *stub_alloc_data(struct cgroup_driver *drv)
{
	return ERR_PTR(-EIO);
}

static void stubs_match_the_rfc(struct kunit *test)
{
	struct cgroup_driver_funcs funcs = { .alloc_data = stub_alloc_data };
	struct cgroup_driver *drv = cgroup_driver_init(&funcs);
	bool is_new = true;

	KUNIT_EXPECT_NULL(test, drv);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_get_data(drv, NULL, &is_new)),
			-EINVAL);
	KUNIT_EXPECT_TRUE(test, is_new);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_find_data(drv, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cgroup_driver_cgroup_from_fd(0, true)), -EINVAL);
	cgroup_driver_release(drv);
}

static struct kunit_case cgroup_driver_stubs_cases[] = {
	KUNIT_CASE(stubs_match_the_rfc),
	{}
};

static struct kunit_suite cgroup_driver_stubs_suite = {
	.name = "cgroup_driver_stubs",
	.test_cases = cgroup_driver_stubs_cases,
};

kunit_test_suite(cgroup_driver_stubs_suite);

MODULE_DESCRIPTION("KUnit test of the cgroup driver data stubs");
MODULE_LICENSE("GPL");
