// SPDX-License-Identifier: GPL-2.0

//! Driver-specific data on cgroups.
//!
//! A driver registers once per device with `cgroup_driver_init()` and gets a
//! [`CgroupDriver`] (`struct cgroup_driver` to C), which has the lowest index
//! that no other live registration has. Each cgroup of the default hierarchy
//! points to a [`Table`], allocated when the cgroup gets its first object,
//! whose slot at a registration's index holds that registration's object: a
//! hit is the same few loads however many registrations there are.
//!
//! Lookups read tables under RCU and take no lock. Objects enter and leave
//! a table, and their registration's list, only under `cgroup_mutex`; a
//! table too small for an index is replaced by a bigger copy, and the old
//! one freed after a grace period. An object leaves them either when its
//! cgroup is freed or when its registration is released; whichever of the
//! two unlinks it under the mutex owns it and hands it back to the driver
//! once the mutex is dropped.
//!
//! A hand-back may lead to a release: drivers' objects hold references on
//! their devices, whose last put releases a registration. So no hand-back
//! is made while the core holds anything that a release waits for: objects
//! are handed back one at a time, each recorded as a callback in flight
//! that holds a reference on its registration. A release waits only for the
//! callbacks of its registration that other threads are in, and the
//! registration's memory goes with its last reference.
//!
//! C API: `include/linux/cgroup_driver.h`.
//! Documentation: `Documentation/core-api/cgroup-driver-data.rst`.
//!
//! This file is the C ABI. The pieces below it hold the `unsafe` of their
//! C boundaries: [`lock`] (`cgroup_mutex` and what it guards), [`list`]
//! (C's `list_head`), [`table`] (a cgroup's table and its RCU reads),
//! [`object`] and [`callback`] (calls into drivers, and the waits for
//! them), [`module`], and [`registration`], the logic above them.

#[path = "cgroup_driver/callback.rs"]
mod callback;
#[path = "cgroup_driver/list.rs"]
mod list;
#[path = "cgroup_driver/lock.rs"]
mod lock;
#[path = "cgroup_driver/module.rs"]
mod module;
#[path = "cgroup_driver/object.rs"]
mod object;
#[path = "cgroup_driver/registration.rs"]
mod registration;
#[path = "cgroup_driver/table.rs"]
mod table;

use core::{
    ffi::{c_int, c_void},
    ptr,
};
use kernel::{bindings, c_str, error::code::EINVAL, ffi::c_char, prelude::*, types::ARef};
use registration::CgroupDriver;
use table::{Cgroup, Data, InRcu};

/// The prefix of this file's kernel log messages (`pr_warn!`).
const __LOG_PREFIX: &[u8] = b"cgroup_driver\0";

/// `IS_ERR`, without a call into C on every lookup.
#[inline]
fn is_err<T>(p: *const T) -> bool {
    p as usize >= (bindings::MAX_ERRNO as usize).wrapping_neg()
}

/// A mismatch between a definition of this file and its declaration in
/// `<linux/cgroup_driver.h>` is a compile error: an array's elements have
/// one type.
macro_rules! declared_in_c {
    ($($f:ident),* $(,)?) => {
        $(const _: () = {
            let _ = [bindings::$f, $f];
        };)*
    };
}

declared_in_c!(
    cgroup_driver_init,
    cgroup_driver_init_priv,
    cgroup_driver_priv,
    cgroup_driver_release,
);

/// Registers a driver, or one device of it, with `private` as the context
/// that its callbacks get from `cgroup_driver_priv()`.
///
/// Returns a handle, `ERR_PTR(-EINVAL)` when `funcs` or its `alloc_data` is
/// NULL, or `ERR_PTR(-ENOMEM)`.
///
/// # Safety
///
/// `funcs` is NULL or valid for reads during the call.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_init_priv(
    funcs: *const bindings::cgroup_driver_funcs,
    private: *mut c_void,
) -> *mut bindings::cgroup_driver {
    // SAFETY: `funcs` is NULL or valid.
    unsafe { funcs.as_ref() }
        .ok_or(EINVAL)
        .and_then(|funcs| CgroupDriver::register(funcs, private))
        .unwrap_or_else(Error::to_ptr)
}

/// Registers a driver, or one device of it: the RFC's function, with no
/// context.
///
/// # Safety
///
/// `funcs` is NULL or valid for reads during the call.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_init(
    funcs: *const bindings::cgroup_driver_funcs,
) -> *mut bindings::cgroup_driver {
    // SAFETY: Per the safety requirements.
    unsafe { cgroup_driver_init_priv(funcs, ptr::null_mut()) }
}

/// The context of a registration; NULL for NULL or an error pointer.
///
/// # Safety
///
/// `drv` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_priv(drv: *const bindings::cgroup_driver) -> *mut c_void {
    // SAFETY: `drv` is a live handle during the call.
    unsafe { CgroupDriver::from_handle(drv) }.map_or(ptr::null_mut(), CgroupDriver::private)
}

/// Checks the arguments of a lookup and finds the object of `drv` for
/// `cgrp` without taking a lock: NULL if there is none, `ERR_PTR(-EINVAL)`
/// as `cgroup_driver_get_data()` answers.
///
/// `cgroup_driver_find_data()` and `cgroup_driver_get_data()`, in
/// cgroup_driver_exports.c, call it inside an RCU read-side critical
/// section that they enter inline: Rust would reach `rcu_read_lock()` and
/// `rcu_read_unlock()` through two calls to C helpers, which would make a
/// hit 1.8 times as slow (BENCHMARKS.md).
///
/// # Safety
///
/// The caller is in an RCU read-side critical section; `drv` is NULL, an
/// error pointer or a live handle; `cgrp` is NULL or a cgroup that the
/// caller holds a reference on.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_lookup_rcu(
    drv: *mut bindings::cgroup_driver,
    cgrp: *mut bindings::cgroup,
) -> *mut Data {
    // SAFETY: `drv` is NULL, an error pointer or live during the call.
    let Some(registration) = (unsafe { CgroupDriver::from_handle(drv) }) else {
        return EINVAL.to_ptr();
    };
    if cgrp.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: The caller holds a reference on `cgrp`.
    let cgrp = unsafe { Cgroup::from_raw(cgrp) };
    if !cgrp.is_on_default_hierarchy() {
        return EINVAL.to_ptr();
    }
    // SAFETY: The caller's critical section lasts the call.
    registration.lookup(cgrp, &unsafe { InRcu::assume() })
}

/// The miss of `cgroup_driver_get_data()`: allocates the object of `drv`
/// for `cgrp` and stores it, or returns the one that another caller stored
/// first. `*is_new`, when `is_new` is not NULL, says whether this call
/// stored it.
///
/// # Safety
///
/// [`cgroup_driver_lookup_rcu`] found nothing for the same `drv` and
/// `cgrp`, so both are valid; the caller may sleep; `is_new` is NULL or
/// valid.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_store_data(
    drv: *mut bindings::cgroup_driver,
    cgrp: *mut bindings::cgroup,
    is_new: *mut bool,
) -> *mut Data {
    // SAFETY: `drv` is live and the caller holds a reference on `cgrp`; the
    // reference taken keeps `drv` valid even if a `free_data` releases it.
    let (drv, cgrp) = unsafe { (CgroupDriver::from_handle(drv), Cgroup::from_raw(cgrp)) };
    // The answer of the lookup, for a caller that skipped it.
    let Some(drv) = drv.map(ARef::from) else {
        return EINVAL.to_ptr();
    };
    let (data, new) = match CgroupDriver::store(&drv, cgrp) {
        Ok(stored) => stored,
        Err(e) => return e,
    };
    // SAFETY: `is_new` is valid when not NULL.
    if let Some(is_new) = unsafe { is_new.as_mut() } {
        *is_new = new;
    }
    data
}

/// Frees every object of `drv`, then drops the registration. Once it
/// returns, no callback of `drv` starts and none runs on another thread.
///
/// It unlinks the objects from their tables in batches and drops
/// `cgroup_mutex` between them, so that however many objects a registration
/// holds, no cgroup operation of the system waits for more than one batch;
/// the cgroup free path may take the objects left meanwhile. One grace
/// period covers them all; then they are handed back one at a time.
///
/// A hand-back may release `drv` again, on this thread (from inside its
/// `free_data`) or on another (the cgroup free path's): each call frees what
/// is left, gives the index back once, and waits only for callbacks that
/// other threads are in; the first call drops the registration's own
/// reference, and the memory goes with the last one.
///
/// # Safety
///
/// `drv` is NULL, an error pointer or a live handle that the driver no
/// longer looks up.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_release(drv: *mut bindings::cgroup_driver) {
    // SAFETY: `drv` is NULL, an error pointer or live at the call, and the
    // reference taken keeps it so.
    if let Some(drv) = unsafe { CgroupDriver::from_handle(drv) } {
        registration::release(drv.into());
    }
}

/// Releases what `module` left registered, before its code goes: called by
/// the module notifier at `MODULE_STATE_GOING`, after the module's exit
/// function ran or its init failed. Safe Rust can leak a registration
/// (`mem::forget`), and a C driver can forget to release one; either way the
/// core must never call into a module that is gone. Then waits for the
/// callbacks into the module that other threads are in, and for releases
/// that may still make some.
///
/// # Safety
///
/// `module` is going: none of its code runs or will run again but for the
/// callbacks in flight, so none of its registrations is in use.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_module_going(module: *mut bindings::module) {
    let left = registration::release_module(module);
    if left > 0 {
        // SAFETY: A going module is freed only after its notifiers ran.
        let name = unsafe { module::name_of(module) };
        pr_warn!(
            "module {} left {} registration(s); released them\n",
            module::name_str(&name),
            left
        );
    }
}

/// Frees the objects of `cgrp`. Called by the cgroup core when the cgroup's
/// last reference is gone, before the cgroup is freed.
///
/// The objects are handed back one at a time, each in a slot emptied under
/// the mutex: a `free_data` that releases a registration with an object
/// still in the table lets that release take it.
///
/// # Safety
///
/// `cgrp` is valid and unreachable: nobody can look its objects up.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_cgroup_free(cgrp: *mut bindings::cgroup) {
    // SAFETY: `cgrp` is valid and unreachable during the call.
    unsafe { registration::free_cgroup(Cgroup::from_raw(cgrp)) };
}

/// The number of slots of `cgrp`'s table, 0 if it has none: the KUnit
/// tests check that churn reuses indexes rather than growing tables.
///
/// # Safety
///
/// `cgrp` is a cgroup that the caller holds a reference on.
#[cfg(CONFIG_CGROUP_DRIVER_KUNIT_TEST)]
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_table_len(cgrp: *mut bindings::cgroup) -> usize {
    // SAFETY: The caller holds a reference on `cgrp`.
    let cgrp = unsafe { Cgroup::from_raw(cgrp) };
    let lock = lock::CgroupLock::lock();
    cgrp.table(&lock).map_or(0, table::Table::len)
}

/// Shows the live registrations in debugfs, one a line: its id, the module
/// that registered and how many objects it holds.
///
/// # Safety
///
/// `m` is a valid seq_file.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_debugfs_show(
    m: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    registration::for_each(|drv| {
        // SAFETY: `m` is valid, the format matches the arguments, and the
        // owner's name is NUL-terminated.
        unsafe {
            bindings::seq_printf(
                m,
                c_str!("id=%llu owner=%s objects=%zu\n").as_char_ptr(),
                drv.id(),
                drv.owner().as_ptr().cast::<c_char>(),
                drv.objects(),
            )
        };
    });
    0
}
