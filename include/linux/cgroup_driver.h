/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driver-specific data attached to cgroups.
 *
 * A driver registers once per device with cgroup_driver_init() and then finds,
 * or lazily allocates, its own object for any cgroup of the default (v2)
 * hierarchy with cgroup_driver_get_data(). The core frees an object when its
 * cgroup is released and frees all of a registration's objects in
 * cgroup_driver_release(). See Documentation/core-api/cgroup-driver-data.rst.
 */
#ifndef _LINUX_CGROUP_DRIVER_H
#define _LINUX_CGROUP_DRIVER_H

#include <linux/err.h>
#include <linux/list.h>
#include <linux/types.h>

struct cgroup;
struct cgroup_driver;
struct module;

/**
 * struct cgroup_driver_data - header of a driver's per-cgroup object
 * @drv: registration this object belongs to
 * @cgrp: cgroup whose table holds this object, in the slot of @drv; NULL
 *	once the object is handed back, so @free_data must not expect it:
 *	by then the cgroup may already be freed
 * @drivernode: node in the registration's list, used to free on release
 *
 * Drivers embed this in their own per-cgroup structure and convert with
 * container_of(). The fields belong to the core.
 */
struct cgroup_driver_data {
	struct cgroup_driver *drv;
	struct cgroup *cgrp;
	struct list_head drivernode;
};

/**
 * struct cgroup_driver_funcs - how a driver allocates and frees its data
 * @alloc_data: allocates a new, zeroed or initialised, object for a cgroup.
 *	Called without any cgroup lock held, so it may sleep. Returns the
 *	embedded header, or an ERR_PTR() which cgroup_driver_get_data() passes
 *	on; NULL is taken as -ENOMEM. cgroup_driver_priv() gives the
 *	registration's context.
 * @free_data: frees an object. Optional: when NULL the object is kvfree()'d,
 *	so it must then start with its struct cgroup_driver_data. It may drop
 *	the last reference that leads to cgroup_driver_release() of this or of
 *	another registration (see cgroup_driver_release()).
 * @owner: the module that the callbacks live in, THIS_MODULE; whatever it
 *	leaves registered is released when it goes. NULL means built in, or,
 *	for drivers written before this member, the module that holds
 *	@alloc_data. It follows the two callbacks so that positional
 *	initialisers of them still compile.
 */
struct cgroup_driver_funcs {
	struct cgroup_driver_data *(*alloc_data)(struct cgroup_driver *drv);
	void (*free_data)(struct cgroup_driver_data *data);
	struct module *owner;
};

#ifdef CONFIG_CGROUP_DRIVER_CORE

/**
 * cgroup_driver_init - register a driver, or one device of it
 * @funcs: how the driver allocates and frees its data; copied, so it may be
 *	a constant or go away once the call returns
 *
 * A driver that manages several devices registers once per device; the
 * registrations never see each other's data. The registration's context
 * (cgroup_driver_priv()) is NULL: see cgroup_driver_init_priv().
 *
 * Context: Process context. May sleep.
 * Return: The handle of the registration, ERR_PTR(-EINVAL) if @funcs or
 * its @alloc_data is NULL, ERR_PTR(-ENOMEM) if no memory is left.
 */
struct cgroup_driver *cgroup_driver_init(const struct cgroup_driver_funcs *funcs);

/**
 * cgroup_driver_init_priv - register a device with a context of its own
 * @funcs: as for cgroup_driver_init()
 * @priv: the driver's context of the registration, typically its device,
 *	which the callbacks get back from cgroup_driver_priv()
 *
 * Context: Process context. May sleep.
 * Return: As cgroup_driver_init().
 */
struct cgroup_driver *cgroup_driver_init_priv(const struct cgroup_driver_funcs *funcs,
					      void *priv);

/**
 * cgroup_driver_priv - the context that a registration was created with
 * @drv: a live handle
 *
 * Context: Any context.
 * Return: The @priv of cgroup_driver_init_priv(), NULL for
 * cgroup_driver_init().
 */
void *cgroup_driver_priv(const struct cgroup_driver *drv);

/**
 * cgroup_driver_release - free all data of a registration, then the handle
 * @drv: the handle; NULL and error pointers are ignored
 *
 * Frees each object of @drv exactly once, through @free_data or kvfree(),
 * including objects on cgroups that are being removed at the same time.
 * Once it returns no callback of @drv starts again and none runs on another
 * thread, so the module may be unloaded. The driver must have stopped
 * looking @drv up; a reader that found an object inside an RCU read-side
 * critical section may read it until the section ends, as release waits for
 * a grace period before it frees anything.
 *
 * Objects may hold references that lead here: a @free_data, of @drv or of
 * any other registration, on any path that hands objects back (the cgroup
 * free path, this function, the release of what a going module left), may
 * call cgroup_driver_release(). That call returns without waiting for the
 * callback that its own thread is in, and @drv's memory lives until that
 * callback has returned. Objects on the root cgroup are freed only here, so
 * an object there that pins its own registration keeps it forever. A
 * @free_data must not wait, directly or through a release, for a thread
 * that waits for it, and a caller must not hold a lock that @free_data
 * takes: two registrations released from each other's @free_data on two
 * threads at once deadlock.
 *
 * Context: Process context. Sleeps (waits for an RCU grace period and for
 * callbacks that other threads are in).
 */
void cgroup_driver_release(struct cgroup_driver *drv);

/**
 * cgroup_driver_get_data - find, or allocate, a driver's data for a cgroup
 * @drv: the handle from cgroup_driver_init()
 * @cgrp: a cgroup of the default hierarchy that the caller holds a
 *	reference on
 * @is_new: if not NULL, set to whether this call stored the object
 *
 * A hit takes no lock. On a miss @alloc_data is called with no lock held
 * and the object is stored, unless a concurrent call stored one first: then
 * that one is returned and ours is freed. The object stays valid while the
 * caller holds a reference on @cgrp and has not released @drv; the core
 * frees it when @cgrp is freed. A removed @cgrp that the caller still holds
 * is no different: its object, found or stored, goes when it is freed.
 *
 * Context: Process context. May sleep on a miss, which takes cgroup_mutex:
 * not under cpus_read_lock() or mmap_lock, nor any lock that is taken under
 * cgroup_mutex (see Documentation/core-api/cgroup-driver-data.rst). Every
 * call, a hit too, tells might_sleep() and lockdep so, so that a wrong
 * context is reported before the day a lookup misses there.
 * Return: The driver's object for @cgrp; ERR_PTR(-EINVAL) for a NULL or
 * error @drv, a NULL @cgrp or one not on the default hierarchy; the error
 * that @alloc_data returned, or ERR_PTR(-ENOMEM) if it returned NULL.
 */
struct cgroup_driver_data *cgroup_driver_get_data(struct cgroup_driver *drv,
						  struct cgroup *cgrp,
						  bool *is_new);

/**
 * cgroup_driver_find_data - find a driver's data for a cgroup, if any
 * @drv: the handle from cgroup_driver_init()
 * @cgrp: a cgroup of the default hierarchy that the caller holds a
 *	reference on
 *
 * Like cgroup_driver_get_data() but never allocates: for readers that
 * treat a cgroup without data as having the defaults. Takes no lock.
 *
 * Context: Any context.
 * Return: The driver's object for @cgrp, NULL if it has none, or
 * ERR_PTR(-EINVAL) as cgroup_driver_get_data().
 */
struct cgroup_driver_data *cgroup_driver_find_data(struct cgroup_driver *drv,
						   struct cgroup *cgrp);

struct cgroup *cgroup_driver_cgroup_from_fd(int fd, bool configure);

#if IS_ENABLED(CONFIG_CGROUP_DRIVER_BENCH)
/* For lib/cgroup_driver_benchmark.c only: kernel/cgroup/cgroup_driver_bench.c */
void *cgroup_driver_bench_floor(struct cgroup_driver *drv, struct cgroup *cgrp);
void *cgroup_driver_bench_helpers(struct cgroup_driver *drv, struct cgroup *cgrp);
struct cgroup_driver_data *cgroup_driver_bench_rfc(struct cgroup_driver *drv,
						   struct cgroup *cgrp);
u64 cgroup_driver_bench_take_release_hold(void);
#endif

#else /* !CONFIG_CGROUP_DRIVER_CORE */

static inline struct cgroup_driver *
cgroup_driver_init(const struct cgroup_driver_funcs *funcs)
{
	return NULL;
}

static inline struct cgroup_driver *
cgroup_driver_init_priv(const struct cgroup_driver_funcs *funcs, void *priv)
{
	return NULL;
}

static inline void *cgroup_driver_priv(const struct cgroup_driver *drv)
{
	return NULL;
}

static inline void cgroup_driver_release(struct cgroup_driver *drv) {}

static inline struct cgroup_driver_data *
cgroup_driver_get_data(struct cgroup_driver *drv, struct cgroup *cgrp,
		       bool *is_new)
{
	return ERR_PTR(-EINVAL);
}

static inline struct cgroup_driver_data *
cgroup_driver_find_data(struct cgroup_driver *drv, struct cgroup *cgrp)
{
	return ERR_PTR(-EINVAL);
}

static inline struct cgroup *cgroup_driver_cgroup_from_fd(int fd, bool configure)
{
	return ERR_PTR(-EINVAL);
}

#endif /* !CONFIG_CGROUP_DRIVER_CORE */

#endif /* _LINUX_CGROUP_DRIVER_H */
