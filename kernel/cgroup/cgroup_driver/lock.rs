// SPDX-License-Identifier: GPL-2.0

//! `cgroup_mutex`, which guards every change of the core's state: a guard
//! that proves it is held, and the cells that only its holder reaches.

use core::{cell::UnsafeCell, marker::PhantomData, ptr};
use kernel::bindings;

/// Proof that this thread holds `cgroup_mutex`, released on drop.
///
/// The core is built in and takes the mutex itself: `cgroup_lock()` is an
/// inline function, and a Rust helper for it would export the mutex to every
/// module.
///
/// # Invariants
///
/// The thread that made the guard holds `cgroup_mutex` until the guard is
/// dropped, on the same thread: the guard is not `Send`.
pub(crate) struct CgroupLock(PhantomData<*mut ()>);

impl CgroupLock {
    /// Takes `cgroup_mutex`; the caller may sleep.
    pub(crate) fn lock() -> Self {
        // SAFETY: `cgroup_mutex` is a static, initialised mutex; every caller
        // may sleep, and the guard unlocks.
        unsafe { bindings::mutex_lock(ptr::addr_of_mut!(bindings::cgroup_mutex)) };
        // INVARIANT: The mutex was taken just now, by this thread.
        CgroupLock(PhantomData)
    }
}

impl Drop for CgroupLock {
    fn drop(&mut self) {
        // SAFETY: This thread holds the mutex (type invariant).
        unsafe { bindings::mutex_unlock(ptr::addr_of_mut!(bindings::cgroup_mutex)) };
    }
}

/// A value that only the holder of `cgroup_mutex` reaches: by copy with a
/// shared guard, as a `Cell` is used, or by reference with the guard
/// borrowed exclusively, so that no two references to it coexist.
///
/// # Invariants
///
/// The value is reached only through the methods below, each with a guard.
pub(crate) struct Guarded<T>(UnsafeCell<T>);

// SAFETY: Only the thread that holds `cgroup_mutex` reaches the value, so
// it is shared between threads the way a `T` is sent from one to another.
unsafe impl<T: Send> Sync for Guarded<T> {}

impl<T> Guarded<T> {
    /// `value`, guarded from now on.
    pub(crate) const fn new(value: T) -> Self {
        Guarded(UnsafeCell::new(value))
    }

    /// The value, which the exclusive borrow of the guard keeps from being
    /// reached otherwise meanwhile.
    pub(crate) fn get_mut<'a>(&'a self, _lock: &'a mut CgroupLock) -> &'a mut T {
        // SAFETY: The mutex is held, and every other way to the value needs
        // the guard, which this borrow holds exclusively.
        unsafe { &mut *self.0.get() }
    }
}

impl<T: Copy> Guarded<T> {
    /// A copy of the value.
    pub(crate) fn get(&self, _lock: &CgroupLock) -> T {
        // SAFETY: The mutex is held, and no reference to the value exists:
        // `get_mut` would need the guard that `_lock` borrows.
        unsafe { *self.0.get() }
    }

    /// Stores `value`, and returns the value it replaced.
    pub(crate) fn replace(&self, lock: &CgroupLock, value: T) -> T {
        let old = self.get(lock);
        // SAFETY: As in `get`.
        unsafe { *self.0.get() = value };
        old
    }
}
