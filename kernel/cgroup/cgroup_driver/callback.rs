// SPDX-License-Identifier: GPL-2.0

//! Callbacks in flight: hand-backs of objects to their drivers, and
//! releases, which may hand objects back at any time until they return.
//!
//! A hand-back may lead to a release: drivers' objects hold references on
//! their devices, whose last put releases a registration. So the core
//! calls into a driver only with `cgroup_mutex` dropped, and records each
//! call in [`CALLBACKS`] meanwhile, with a reference on its registration:
//! a release waits for the callbacks of its registration that other
//! threads are in, and a going module for those into its code.

use super::{
    list::{List, ListItem},
    lock::CgroupLock,
    registration::CgroupDriver,
};
use core::{
    cell::UnsafeCell,
    ffi::{c_int, c_void},
    mem::offset_of,
    ptr::{self, NonNull},
    sync::atomic::{fence, AtomicU64, Ordering},
};
use kernel::{bindings, types::ARef};

/// A callback in flight, linked in [`CALLBACKS`] from the stack of the
/// thread that makes it.
pub(crate) struct Callback {
    links: UnsafeCell<bindings::list_head>,
    /// The thread in the callback; only compared.
    task: *mut bindings::task_struct,
    pub(crate) drv: ARef<CgroupDriver>,
    /// Whether the callback is a release.
    pub(crate) release: bool,
}

// SAFETY: Other threads read an entry only under the mutex, and nothing but
// its links changes while it is linked; `task` is only compared.
unsafe impl Sync for Callback {}

/// A [`Callback`] in [`CALLBACKS`].
///
/// # Invariants
///
/// The entry stays valid and where it is, untouched but through its links,
/// while the list holds it.
struct Entry(NonNull<Callback>);

// SAFETY: `links` is a `list_head` in a cell, which only the list uses;
// the entry stays where it is meanwhile (type invariant).
unsafe impl ListItem for Entry {
    type Target = Callback;
    const LINKS: usize = offset_of!(Callback, links);

    fn into_raw(self) -> *mut Callback {
        self.0.as_ptr()
    }

    unsafe fn from_raw(target: *mut Callback) -> Self {
        // SAFETY: `target` came from `into_raw`, so it is not NULL.
        Entry(unsafe { NonNull::new_unchecked(target) })
    }
}

// SAFETY: An entry is read by other threads only under the mutex, and its
// registration is shared between threads.
unsafe impl Send for Entry {}

/// The callbacks in flight, each linked by the frame of its thread.
// SAFETY: A static never moves.
static CALLBACKS: List<Entry> = unsafe { List::new() };

/// How many callbacks have returned; changes under `cgroup_mutex`, and is
/// the variable that threads waiting for callbacks wait on.
static RETURNED: AtomicU64 = AtomicU64::new(0);

/// Calls `f` as a callback of `drv` in flight, `release` or not, and
/// passes the guard through: `f` may drop it meanwhile. The caller's
/// reference keeps `drv` valid for the call, which may release it.
pub(crate) fn in_flight(
    lock: CgroupLock,
    drv: &ARef<CgroupDriver>,
    release: bool,
    f: impl FnOnce(CgroupLock) -> CgroupLock,
) -> CgroupLock {
    let call = Callback {
        links: UnsafeCell::new(bindings::list_head {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        }),
        // SAFETY: `get_current` has no precondition.
        task: unsafe { bindings::get_current() },
        drv: drv.clone(),
        release,
    };
    // INVARIANT: `call` stays in this frame, unmoved, and the list alone
    // touches its links, until it is removed below.
    CALLBACKS.push_back(&lock, Entry(NonNull::from(&call)));
    let lock = f(lock);
    // SAFETY: `call` was pushed above, and only this frame removes it.
    let _ = unsafe { CALLBACKS.remove(&lock, ptr::from_ref(&call).cast_mut()) };
    RETURNED.fetch_add(1, Ordering::Relaxed);
    // `wake_up_var()` looks for sleepers without a barrier: order the count
    // before it, as the waiter orders its sleep before the count.
    fence(Ordering::SeqCst);
    // SAFETY: Any address may be woken.
    unsafe { bindings::wake_up_var(ptr::from_ref(&RETURNED).cast_mut().cast()) };
    lock
}

/// Whether a thread other than the caller is in a callback that `matches`.
fn other_callbacks(lock: &mut CgroupLock, mut matches: impl FnMut(&Callback) -> bool) -> bool {
    // SAFETY: `get_current` has no precondition.
    let current = unsafe { bindings::get_current() };
    CALLBACKS.any(lock, |call| call.task != current && matches(call))
}

/// Waits until no other thread is in a callback that `matches`; the mutex
/// is dropped while it waits.
pub(crate) fn wait_for_callbacks(
    mut lock: CgroupLock,
    mut matches: impl FnMut(&Callback) -> bool,
) -> CgroupLock {
    while other_callbacks(&mut lock, &mut matches) {
        // Callbacks return under the mutex: none returns unseen.
        let seen = RETURNED.load(Ordering::Relaxed);
        drop(lock);
        wait_var(&RETURNED, || RETURNED.load(Ordering::Relaxed) != seen);
        lock = CgroupLock::lock();
    }
    lock
}

/// `wait_var_event(var, done())`: sleeps until `done()`, checked after each
/// `wake_up_var(var)`.
fn wait_var(var: &AtomicU64, done: impl Fn() -> bool) {
    let var = ptr::from_ref(var).cast_mut().cast::<c_void>();
    let mut storage = bindings::wait_bit_queue_entry::default();
    // The queue links the entry: only raw pointers reach it meanwhile.
    let entry = ptr::addr_of_mut!(storage);
    // SAFETY: Any address has a wait queue, and `entry` is ours; it stays
    // where it is until `finish_wait` takes it off the queue, before it
    // goes out of scope.
    unsafe {
        let queue = bindings::__var_waitqueue(var);
        bindings::init_wait_var_entry(entry, var, 0);
        loop {
            bindings::prepare_to_wait_event(
                queue,
                ptr::addr_of_mut!((*entry).wq_entry),
                bindings::TASK_UNINTERRUPTIBLE as c_int,
            );
            if done() {
                break;
            }
            // No lock is held, and the caller may sleep.
            bindings::schedule();
        }
        bindings::finish_wait(queue, ptr::addr_of_mut!((*entry).wq_entry));
    }
}
