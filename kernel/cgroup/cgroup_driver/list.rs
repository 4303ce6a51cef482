// SPDX-License-Identifier: GPL-2.0

//! Lists on C's `struct list_head`, guarded by `cgroup_mutex`.
//!
//! The ABI fixes the links of a driver's objects as a `list_head`
//! (`drivernode`), which 6.12's `kernel::list` cannot use, and the same
//! lists link registrations and callbacks in flight. A list owns its items
//! through the pointer type that it holds, as an `Arc` or a `KBox` does.

use super::lock::CgroupLock;
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ptr,
    sync::atomic::{AtomicUsize, Ordering},
};
use kernel::bindings;

type ListHead = bindings::list_head;

/// A pointer that a [`List`] can own: it hands its target over to the
/// list, which links the target through a `list_head` inside it, and the
/// list hands it back.
///
/// # Safety
///
/// `LINKS` is the offset in `Target` of a `list_head` that only the list
/// that holds the item uses, through raw pointers, and that is in an
/// `UnsafeCell` if shared references to a target may exist meanwhile.
/// From `into_raw` until `from_raw` takes it back, the target stays valid
/// and where it is.
pub(crate) unsafe trait ListItem {
    type Target;
    const LINKS: usize;

    /// Gives the target up to a list.
    fn into_raw(self) -> *mut Self::Target;

    /// Takes back a target that `into_raw` gave up.
    ///
    /// # Safety
    ///
    /// `target` came from `into_raw`, and is taken back once.
    unsafe fn from_raw(target: *mut Self::Target) -> Self;
}

/// A list of the targets of `P`s.
///
/// # Invariants
///
/// `head` is all zeroes, an empty list, until it is first used; from then
/// on it is an initialised list head, which stays where it is, of `len`
/// nodes, each the links of a target that `P::into_raw` gave up. All of it
/// changes only under `cgroup_mutex`; `len` may be read without it, for
/// statistics.
pub(crate) struct List<P: ListItem> {
    head: UnsafeCell<ListHead>,
    len: AtomicUsize,
    _items: PhantomData<P>,
}

// SAFETY: Every access to the list is made with `cgroup_mutex` held: it
// moves items between threads as a `P` that is sent would, and shares
// targets only as `&P::Target`.
unsafe impl<P: ListItem + Send> Sync for List<P> where P::Target: Sync {}

impl<P: ListItem> List<P> {
    /// An empty list.
    ///
    /// # Safety
    ///
    /// Once any other method is called on it, the list is not moved again.
    /// It is empty when it is dropped: a list does not drop its items.
    pub(crate) const unsafe fn new() -> Self {
        List {
            head: UnsafeCell::new(ListHead {
                next: ptr::null_mut(),
                prev: ptr::null_mut(),
            }),
            len: AtomicUsize::new(0),
            _items: PhantomData,
        }
    }

    /// The links of `target`, found without dereferencing it.
    fn links(target: *mut P::Target) -> *mut ListHead {
        target.wrapping_byte_add(P::LINKS).cast()
    }

    /// The target of `links`, found without dereferencing them.
    fn target(links: *mut ListHead) -> *mut P::Target {
        links.wrapping_byte_sub(P::LINKS).cast()
    }

    /// The head, initialised on first use.
    fn head(&self, _lock: &CgroupLock) -> *mut ListHead {
        let head = self.head.get();
        // SAFETY: The mutex that guards the head is held, and the head
        // stays where it is once used (safety requirement of `new`).
        unsafe {
            if (*head).next.is_null() {
                bindings::INIT_LIST_HEAD(head);
            }
        }
        head
    }

    /// The length of the list: exact under `cgroup_mutex`, a snapshot
    /// without.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the list has no items: exact under `cgroup_mutex`.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `item`, which the list owns until it is taken off.
    pub(crate) fn push_back(&self, lock: &CgroupLock, item: P) {
        let links = Self::links(item.into_raw());
        // SAFETY: `links` is the target's, which only this list uses from
        // now on (`ListItem`); the head is initialised, and the mutex held.
        unsafe { bindings::list_add_tail(links, self.head(lock)) };
        self.len.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes the first item off the list.
    pub(crate) fn pop_front(&self, lock: &CgroupLock) -> Option<P> {
        let head = self.head(lock);
        // SAFETY: The head is initialised, and the mutex that guards it held.
        let first = unsafe { (*head).next };
        // SAFETY: A node other than the head is the links of a target on
        // this list (type invariant).
        (first != head).then(|| unsafe { self.remove(lock, Self::target(first)) })
    }

    /// Takes `target` off the list.
    ///
    /// # Safety
    ///
    /// `target` is on this list.
    pub(crate) unsafe fn remove(&self, _lock: &CgroupLock, target: *mut P::Target) -> P {
        // SAFETY: `target` is linked in this list, which the mutex guards.
        unsafe { bindings::list_del_init(Self::links(target)) };
        self.len.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: The target came from `into_raw` when it was pushed, and
        // is off the list now.
        unsafe { P::from_raw(target) }
    }

    /// Whether `f` holds for a target, which it is called on in order
    /// until it does. The guard is borrowed exclusively, so the list does
    /// not change meanwhile. Only targets that may be shared are shown: a
    /// driver's object is not, since the ABI gives its links no cell.
    pub(crate) fn any(&self, lock: &mut CgroupLock, mut f: impl FnMut(&P::Target) -> bool) -> bool
    where
        P::Target: Sync,
    {
        let head = self.head(lock);
        // SAFETY: The head is initialised and stable while the guard is
        // borrowed.
        let mut pos = unsafe { (*head).next };
        while pos != head {
            // SAFETY: `pos` is the links of a valid target, which no one
            // but this list changes, and only through the links' cell.
            if f(unsafe { &*Self::target(pos) }) {
                return true;
            }
            // SAFETY: As for the head.
            pos = unsafe { (*pos).next };
        }
        false
    }
}

impl<P: ListItem> Drop for List<P> {
    fn drop(&mut self) {
        debug_assert!(self.is_empty());
    }
}
