// SPDX-License-Identifier: GPL-2.0

//! The table of a cgroup: its objects, by the index of their registration.
//!
//! Lookups read tables under RCU and take no lock. Slots change, and tables
//! are allocated or replaced, only under `cgroup_mutex`: a table too small
//! for an index is replaced by a bigger copy, and the old one freed after a
//! grace period.

use super::lock::CgroupLock;
#[cfg(CONFIG_PROVE_RCU)]
use core::sync::atomic::AtomicBool;
use core::{
    alloc::Layout,
    marker::PhantomData,
    mem::{align_of, size_of},
    ptr::{self, NonNull},
    slice,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{
    alloc::{allocator::Kmalloc, flags, Allocator},
    bindings, container_of,
    prelude::*,
    types::Opaque,
};

pub(crate) type Data = bindings::cgroup_driver_data;

/// The fewest slots a table has.
const MIN_SLOTS: usize = 4;

/// A context in which tables may be read: the lifetime of a borrow of it
/// bounds the tables read.
///
/// # Safety
///
/// While a value of the type is borrowed, a table that a cgroup pointed to
/// during the borrow is not freed.
pub(crate) unsafe trait ReadSide {}

// SAFETY: Only `Cgroup::table_for` replaces a table and only
// `Cgroup::free_table` frees one, and both need the guard borrowed
// exclusively.
unsafe impl ReadSide for CgroupLock {}

/// Proof that the thread is in an RCU read-side critical section.
///
/// # Invariants
///
/// The critical section lasts as long as the value, which stays on its
/// thread.
pub(crate) struct InRcu(PhantomData<*mut ()>);

impl InRcu {
    /// Proof of the caller's RCU read-side critical section, whose entry is
    /// inline C (`cgroup_driver_find_data()`).
    ///
    /// # Safety
    ///
    /// The caller is in an RCU read-side critical section, which it neither
    /// leaves nor sleeps in while the value exists.
    pub(crate) unsafe fn assume() -> Self {
        #[cfg(CONFIG_PROVE_RCU)]
        report_outside_rcu();
        // INVARIANT: Per the safety requirements.
        InRcu(PhantomData)
    }
}

/// Reports, once, a claim of RCU that lockdep does not see: what
/// `rcu_dereference()` checks in C, which the acquire loads of tables stand
/// for.
#[cfg(CONFIG_PROVE_RCU)]
fn report_outside_rcu() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    // SAFETY: The queries of lockdep have no precondition.
    let outside = unsafe {
        bindings::debug_lockdep_rcu_enabled() != 0 && bindings::rcu_read_lock_held() == 0
    };
    if outside && !REPORTED.swap(true, Ordering::Relaxed) {
        // SAFETY: Both strings are static and NUL-terminated.
        unsafe {
            bindings::lockdep_rcu_suspicious(
                kernel::c_str!(file!()).as_char_ptr(),
                line!() as _,
                kernel::c_str!(
                    "cgroup driver table read outside an RCU read-side critical section"
                )
                .as_char_ptr(),
            )
        };
    }
}

// SAFETY: A replaced table is freed after a grace period, which waits for
// the critical section (type invariant).
unsafe impl ReadSide for InRcu {}

/// A cgroup, borrowed: `struct cgroup`.
///
/// # Invariants
///
/// The cgroup is valid for as long as it is borrowed.
#[repr(transparent)]
pub(crate) struct Cgroup(Opaque<bindings::cgroup>);

impl Cgroup {
    /// The cgroup at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid cgroup for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::cgroup) -> &'a Cgroup {
        // INVARIANT: Per the safety requirements.
        // SAFETY: Per the safety requirements; the type is transparent.
        unsafe { &*ptr.cast() }
    }

    /// The C `struct cgroup`.
    pub(crate) fn as_raw(&self) -> *mut bindings::cgroup {
        self.0.get()
    }

    /// Whether the cgroup is on cgroup v2's hierarchy, where drivers keep
    /// data.
    #[inline]
    pub(crate) fn is_on_default_hierarchy(&self) -> bool {
        // SAFETY: The cgroup is valid, and its root never changes.
        unsafe { (*self.as_raw()).root == ptr::addr_of_mut!(bindings::cgrp_dfl_root) }
    }

    /// `driver_data`: the cgroup's table, which lookups load with acquire
    /// as `rcu_dereference()` does and writers store with release as
    /// `rcu_assign_pointer()` does.
    #[inline]
    fn table_ptr(&self) -> &AtomicPtr<Table> {
        // SAFETY: The cgroup is valid; `driver_data` is a pointer that only
        // this file writes, always atomically, and `AtomicPtr` has its layout.
        unsafe { AtomicPtr::from_ptr(ptr::addr_of_mut!((*self.as_raw()).driver_data).cast()) }
    }

    /// Whether the cgroup has a table: exact under `cgroup_mutex`, or once
    /// nobody can look the cgroup up any more.
    pub(crate) fn has_table(&self) -> bool {
        !self.table_ptr().load(Ordering::Relaxed).is_null()
    }

    /// The cgroup's table, if it has one.
    #[inline]
    pub(crate) fn table<'a>(&'a self, _guard: &'a impl ReadSide) -> Option<&'a Table> {
        // SAFETY: A table that the cgroup points to is valid, and stays so
        // while `_guard` is borrowed (`ReadSide`).
        unsafe { self.table_ptr().load(Ordering::Acquire).as_ref() }
    }

    /// The cgroup's table, to change its slots.
    pub(crate) fn table_mut<'a>(&'a self, lock: &'a mut CgroupLock) -> Option<TableMut<'a>> {
        // INVARIANT: `lock` is borrowed exclusively for `'a`.
        self.table(lock).map(TableMut)
    }

    /// The cgroup's table, with a slot for `index`: allocated if the cgroup
    /// has none yet, or replaced by a bigger copy if it is too small.
    pub(crate) fn table_for<'a>(
        &'a self,
        lock: &'a mut CgroupLock,
        index: usize,
    ) -> Result<TableMut<'a>> {
        let old = self.table(lock);
        if let Some(old) = old.filter(|old| index < old.len) {
            // INVARIANT: `lock` is borrowed exclusively for `'a`.
            return Ok(TableMut(old));
        }
        let len = (index + 1).next_power_of_two().max(MIN_SLOTS);
        let table = Table::new(len)?;
        // SAFETY: The table is fresh, and no other thread sees it before it
        // is published below.
        let new = unsafe { table.as_ref() };
        if let Some(old) = old {
            for (to, from) in new.slots().iter().zip(old.slots()) {
                to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        self.table_ptr().store(table.as_ptr(), Ordering::Release);
        if let Some(old) = old {
            // SAFETY: New lookups find the new table; the callback frees the
            // old one once the lookups that may still read it are done, and
            // nothing else queues it.
            unsafe { bindings::call_rcu(old.rcu.get(), Some(free_replaced_table)) };
        }
        // INVARIANT: As above.
        Ok(TableMut(new))
    }

    /// Frees the table of a cgroup that is being freed.
    ///
    /// # Safety
    ///
    /// Nobody can look the cgroup up any more, and its table is empty.
    pub(crate) unsafe fn free_table(&self, _lock: &mut CgroupLock) {
        let table = self.table_ptr().swap(ptr::null_mut(), Ordering::Relaxed);
        if let Some(table) = NonNull::new(table) {
            // SAFETY: The table came from `Table::new`, and the cgroup, now
            // unreachable, was the only way to it.
            unsafe { Table::free(table) };
        }
    }
}

/// The objects of one cgroup by registration index: `struct
/// cgroup_driver_table`, which C only points to. Its slots follow it in the
/// same allocation.
///
/// # Invariants
///
/// `len` slots follow the header, and `len` never changes. The slot at
/// index `i` is NULL or holds a live object of the registration of index
/// `i`, on that registration's list of objects, whose `cgrp` is the cgroup
/// that points to the table; or, in a table
/// that a bigger one replaced, an object that was so when it was replaced,
/// which lives until the grace period ends. Slots change only under
/// `cgroup_mutex`.
#[repr(C)]
pub(crate) struct Table {
    /// Frees a table that a bigger one replaced, after a grace period.
    rcu: Opaque<bindings::callback_head>,
    len: usize,
    slots: [AtomicPtr<Data>; 0],
}

impl Table {
    /// The layout of a table of `len` slots.
    fn layout(len: usize) -> Result<Layout> {
        let size = len
            .checked_mul(size_of::<AtomicPtr<Data>>())
            .and_then(|slots| slots.checked_add(size_of::<Table>()))
            .ok_or(ENOMEM)?;
        Layout::from_size_align(size, align_of::<Table>()).map_err(|_| ENOMEM)
    }

    /// Allocates a table of `len` empty slots, charged to the caller's
    /// memory cgroup as the objects that it holds are.
    fn new(len: usize) -> Result<NonNull<Table>> {
        let table = Kmalloc::alloc(
            Self::layout(len)?,
            flags::GFP_KERNEL_ACCOUNT | flags::__GFP_ZERO,
        )?
        .cast::<Table>();
        // INVARIANT: The allocation holds `len` slots after the header, and
        // zeroed slots are NULL.
        // SAFETY: `table` is a fresh allocation big enough for a `Table`.
        unsafe { (*table.as_ptr()).len = len };
        Ok(table)
    }

    /// Frees `table`.
    ///
    /// # Safety
    ///
    /// `table` came from [`Table::new`] and nothing can reach it any more.
    unsafe fn free(table: NonNull<Table>) {
        // SAFETY: `table` is valid, and its `len` never changes.
        let len = unsafe { table.as_ref() }.len;
        // SAFETY: `table` came from `Kmalloc::alloc` with the layout of `len`
        // slots, which `Table::new` computed without an error, and nothing
        // reaches it.
        unsafe { Kmalloc::free(table.cast(), Self::layout(len).unwrap_unchecked()) };
    }

    /// The number of slots.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn slots(&self) -> &[AtomicPtr<Data>] {
        // SAFETY: `len` slots follow the header (type invariant).
        unsafe { slice::from_raw_parts(self.slots.as_ptr(), self.len) }
    }

    /// The slot of `index`, if the table has one; the lookups' way to it,
    /// which has no check of `from_raw_parts` in debug builds.
    #[inline]
    fn slot(&self, index: usize) -> Option<&AtomicPtr<Data>> {
        // SAFETY: `len` slots follow the header (type invariant).
        (index < self.len).then(|| unsafe { &*self.slots.as_ptr().add(index) })
    }

    /// The object in the slot of `index`, if the slot has one of `drv`.
    ///
    /// A table that a bigger one replaced may still hold the object of a
    /// released registration that had the same index: the compare tells it
    /// apart.
    #[inline]
    pub(crate) fn find(&self, index: usize, drv: *const bindings::cgroup_driver) -> *mut Data {
        let data = self
            .slot(index)
            .map_or(ptr::null_mut(), |slot| slot.load(Ordering::Acquire));
        // SAFETY: An object in a slot lives while the table may be read
        // (type invariant), and its `drv` was set before it was published.
        if !data.is_null() && unsafe { (*data).drv }.cast_const() == drv {
            data
        } else {
            ptr::null_mut()
        }
    }
}

/// A table whose slots the holder of `cgroup_mutex` changes.
///
/// # Invariants
///
/// The guard is borrowed exclusively for `'a`, so the table is the
/// cgroup's throughout, and the slots change only through this value.
pub(crate) struct TableMut<'a>(&'a Table);

impl TableMut<'_> {
    /// The object in the slot of `index`, if the slot has one of `drv`.
    pub(crate) fn find(&self, index: usize, drv: *const bindings::cgroup_driver) -> *mut Data {
        self.0.find(index, drv)
    }

    /// Stores `data` in the empty slot of `index`, which lookups load with
    /// acquire: the object's header is written before.
    ///
    /// # Safety
    ///
    /// `index` is below the table's length, and `data` is an object of the
    /// registration of index `index` for the table's cgroup, which the
    /// caller puts on the registration's list of objects under the same hold
    /// of the mutex.
    pub(crate) unsafe fn set(&self, index: usize, data: *mut Data) {
        // INVARIANT: Per the safety requirements.
        self.0.slots()[index].store(data, Ordering::Release);
    }

    /// Empties the slot of `index`, and returns what it held.
    ///
    /// # Safety
    ///
    /// `index` is below the table's length, and the caller takes the object
    /// that the slot holds off its registration's list of objects under the
    /// same hold of the mutex.
    pub(crate) unsafe fn take(&self, index: usize) -> *mut Data {
        // INVARIANT: Per the safety requirements.
        self.0.slots()[index].swap(ptr::null_mut(), Ordering::Relaxed)
    }
}

/// Frees a table that a bigger one replaced: its `call_rcu` callback.
///
/// # Safety
///
/// `head` is the `rcu` of a replaced table, and a grace period has passed
/// since it was replaced.
unsafe extern "C" fn free_replaced_table(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the `rcu` of a table.
    let table = unsafe { container_of!(head, Table, rcu) };
    // SAFETY: No lookup can still read the table after the grace period, and
    // only its cgroup's table pointer, which moved on, reached it.
    unsafe { Table::free(NonNull::new_unchecked(table.cast_mut())) };
}
