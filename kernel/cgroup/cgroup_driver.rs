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
//! C API: `include/linux/cgroup_driver.h`.
//! Documentation: `Documentation/core-api/cgroup-driver-data.rst`.

use core::{
    alloc::Layout,
    cell::UnsafeCell,
    ffi::{c_int, c_void},
    mem::{align_of, size_of},
    ptr,
    sync::atomic::{AtomicPtr, AtomicU64, Ordering},
};
use kernel::{
    alloc::{allocator::Kmalloc, flags, Allocator, KBox, KVec},
    bindings, c_str, container_of,
    error::code::{EINVAL, ENOMEM},
    ffi::c_char,
    prelude::*,
    time::Ktime,
};

/// The prefix of this file's kernel log messages (`pr_warn!`).
const __LOG_PREFIX: &[u8] = b"cgroup_driver\0";

/// The fewest slots a table has.
const MIN_SLOTS: usize = 4;
/// The most objects that `cgroup_driver_release` unlinks in one hold of
/// `cgroup_mutex`, which every cgroup operation of the system needs.
const RELEASE_BATCH: usize = 256;
const OWNER_LEN: usize = 56;

type Data = bindings::cgroup_driver_data;

/// The objects of one cgroup by registration index: `struct
/// cgroup_driver_table`, which C only points to. Its slots follow it in the
/// same allocation.
///
/// # Invariants
///
/// `len` slots follow the header, and `len` never changes. The slot at
/// index `i` is NULL or holds a live object of the registration of index
/// `i`, whose `cgrp` is the cgroup that points to the table. Slots change
/// only under `cgroup_mutex`.
#[repr(C)]
struct Table {
    /// Frees a table that a bigger one replaced, after a grace period.
    rcu: bindings::callback_head,
    len: usize,
    slots: [*mut Data; 0],
}

impl Table {
    /// Allocates a table of `len` empty slots.
    fn new(len: usize) -> Result<*mut Table> {
        let size = len
            .checked_mul(size_of::<*mut Data>())
            .and_then(|slots| slots.checked_add(size_of::<Table>()))
            .ok_or(ENOMEM)?;
        let layout = Layout::from_size_align(size, align_of::<Table>()).map_err(|_| ENOMEM)?;
        let table = Kmalloc::alloc(layout, flags::GFP_KERNEL | flags::__GFP_ZERO)?
            .as_ptr()
            .cast::<Table>();
        // INVARIANT: The allocation holds `len` slots after the header, and
        // zeroed slots are NULL.
        // SAFETY: `table` is a fresh allocation big enough for a `Table`.
        unsafe { (*table).len = len };
        Ok(table)
    }

    /// The slot of `index`.
    ///
    /// # Safety
    ///
    /// `table` is valid and `index` is below its `len`.
    unsafe fn slot(table: *mut Table, index: usize) -> *mut *mut Data {
        // SAFETY: `table` is valid per the safety requirements.
        let slots = unsafe { ptr::addr_of_mut!((*table).slots) }.cast::<*mut Data>();
        // SAFETY: `index` is below `len`, and the allocation holds `len`
        // slots after the header (type invariant).
        unsafe { slots.add(index) }
    }

    /// Frees `table`.
    ///
    /// # Safety
    ///
    /// `table` came from [`Table::new`] and nothing can reach it any more.
    unsafe fn free(table: *mut Table) {
        // SAFETY: Per the safety requirements; `Kmalloc` allocates with
        // `krealloc`, whose memory `kfree` frees.
        unsafe { bindings::kfree(table.cast()) };
    }
}

/// Frees a table that a bigger one replaced: its `call_rcu` callback.
///
/// # Safety
///
/// `head` is the `rcu` of a replaced table, and a grace period has passed
/// since it was replaced.
unsafe extern "C" fn free_replaced_table(head: *mut bindings::callback_head) {
    // SAFETY: No lookup can still read the table after the grace period, and
    // only its cgroup's table pointer, which moved on, reached it.
    unsafe { Table::free(container_of!(head, Table, rcu).cast_mut()) };
}

/// One registration of a driver: `struct cgroup_driver`, opaque to C.
///
/// # Invariants
///
/// `funcs` is valid and has `alloc_data` for as long as the registration
/// lives, and lies in `module` (NULL: built in) if it is the callbacks'
/// module. `index` is taken in [`INDEXES`] for the registration alone until
/// release has unlinked its objects from every table that lookups can
/// reach. `objects`, `count` and `node` change only under `cgroup_mutex`.
/// `users` counts the registration itself plus each object that the cgroup
/// free path has unlinked but not yet freed.
#[repr(C)]
struct CgroupDriver {
    funcs: *const bindings::cgroup_driver_funcs,
    /// The slot of the registration's objects in every table.
    index: usize,
    /// The registration's objects, linked by their `drivernode`.
    objects: bindings::list_head,
    /// The length of `objects`.
    count: usize,
    /// Node in [`DRIVERS`].
    node: bindings::list_head,
    users: bindings::refcount_t,
    /// Completed when `users` drops to zero.
    unused: bindings::completion,
    id: u64,
    /// The module of the callbacks, released when it goes; only compared.
    module: *mut bindings::module,
    /// The name of that module, for debugfs.
    owner: [u8; OWNER_LEN],
}

/// All live registrations, for debugfs.
struct CgroupDrivers(UnsafeCell<bindings::list_head>);

// SAFETY: The list is only accessed with `cgroup_mutex` held.
unsafe impl Sync for CgroupDrivers {}

static DRIVERS: CgroupDrivers = CgroupDrivers(UnsafeCell::new(bindings::list_head {
    next: ptr::null_mut(),
    prev: ptr::null_mut(),
}));

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The indexes that registrations hold: bit `i % 64` of word `i / 64`.
struct Indexes(UnsafeCell<KVec<u64>>);

// SAFETY: The bitmap is only accessed with `cgroup_mutex` held.
unsafe impl Sync for Indexes {}

static INDEXES: Indexes = Indexes(UnsafeCell::new(KVec::new()));

/// The longest time, in nanoseconds, that [`cgroup_driver_release`] has held
/// `cgroup_mutex` at once: how long it may have stalled every cgroup
/// operation of the system. In debugfs, where writing 0 resets it.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static cgroup_driver_release_max_hold_ns: AtomicU64 = AtomicU64::new(0);

/// Records a hold of `cgroup_mutex` by release that began at `since`.
fn record_release_hold(since: Ktime) {
    let held = (Ktime::ktime_get() - since).to_ns();
    cgroup_driver_release_max_hold_ns.fetch_max(held as u64, Ordering::Relaxed);
}

/// Proof that `cgroup_mutex` is held, released on drop.
///
/// The core is built in and takes the mutex itself: `cgroup_lock()` is an
/// inline function, and a Rust helper for it would export the mutex to every
/// module.
struct CgroupLock(());

impl CgroupLock {
    fn lock() -> Self {
        // SAFETY: `cgroup_mutex` is a static, initialised mutex; sleeping is
        // allowed in every caller, and the guard unlocks.
        unsafe { bindings::mutex_lock(ptr::addr_of_mut!(bindings::cgroup_mutex)) };
        CgroupLock(())
    }

    /// The list of registrations, initialised on first use.
    fn registrations(&self) -> *mut bindings::list_head {
        let head = DRIVERS.0.get();
        // SAFETY: `head` is a static, and `self` proves that the mutex that
        // guards it is held.
        if unsafe { (*head).next }.is_null() {
            // SAFETY: As for the read: a static under the mutex.
            unsafe { bindings::INIT_LIST_HEAD(head) };
        }
        head
    }
}

impl CgroupLock {
    /// Takes the lowest index that no registration holds, so that tables
    /// stay as small as the number of live registrations allows.
    fn take_index(&self) -> Result<usize> {
        // SAFETY: `self` proves that the mutex, which guards the bitmap, is
        // held, and no other reference to it lives beyond a call like this.
        let words = unsafe { &mut *INDEXES.0.get() };
        let word = match words.iter().position(|&w| w != u64::MAX) {
            Some(word) => word,
            None => {
                words.push(0, flags::GFP_KERNEL)?;
                words.len() - 1
            }
        };
        let bit = (!words[word]).trailing_zeros() as usize;
        words[word] |= 1 << bit;
        Ok(word * 64 + bit)
    }

    /// Gives back an index that [`CgroupLock::take_index`] returned.
    fn free_index(&self, index: usize) {
        // SAFETY: `self` proves that the mutex, which guards the bitmap, is
        // held, and no other reference to it lives beyond a call like this.
        let words = unsafe { &mut *INDEXES.0.get() };
        words[index / 64] &= !(1 << (index % 64));
    }
}

impl Drop for CgroupLock {
    fn drop(&mut self) {
        // SAFETY: The mutex was taken in `CgroupLock::lock`.
        unsafe { bindings::mutex_unlock(ptr::addr_of_mut!(bindings::cgroup_mutex)) };
    }
}

/// `rcu_dereference()` of a pointer that writers publish with
/// `rcu_assign_pointer()`.
///
/// # Safety
///
/// `p` is valid for reads and aligned.
unsafe fn rcu_dereference<T>(p: *mut *mut T) -> *mut T {
    // SAFETY: Per the safety requirements; an `AtomicPtr` has the layout of a
    // pointer, and writers only update `*p` atomically.
    unsafe { AtomicPtr::from_ptr(p) }.load(Ordering::Acquire)
}

/// The node after `pos`.
///
/// # Safety
///
/// `pos` is a node or the head of a list that does not change during the
/// call.
unsafe fn list_next(pos: *mut bindings::list_head) -> *mut bindings::list_head {
    // SAFETY: Per the safety requirements, `pos` is valid for reads.
    unsafe { (*pos).next }
}

/// `IS_ERR`, without a call into C on every lookup.
fn is_err<T>(p: *const T) -> bool {
    p as usize >= (bindings::MAX_ERRNO as usize).wrapping_neg()
}

fn is_handle(drv: *const CgroupDriver) -> bool {
    !drv.is_null() && !is_err(drv)
}

/// Finds the object of `drv` in `table`, or returns NULL.
///
/// # Safety
///
/// `table` and `drv` are valid, and the caller is in an RCU read-side
/// critical section or holds `cgroup_mutex`.
unsafe fn find(table: *mut Table, drv: *mut CgroupDriver) -> *mut Data {
    // SAFETY: `drv` is valid, and its index never changes.
    let index = unsafe { (*drv).index };
    // SAFETY: `table` is valid, and its `len` never changes.
    if index >= unsafe { (*table).len } {
        return ptr::null_mut();
    }
    // SAFETY: `index` is below `len`, and writers store slots atomically
    // (type invariant of `Table`).
    let data = unsafe { rcu_dereference(Table::slot(table, index)) };
    // SAFETY: A non-NULL object in a slot lives for the whole critical
    // section (type invariant of `Table`; removal waits for a grace period),
    // and its `drv` was set before it was published. A table that a bigger
    // one replaced may still hold the object of a released registration that
    // had the same index: the compare tells it apart.
    if !data.is_null() && unsafe { (*data).drv } == drv.cast() {
        data
    } else {
        ptr::null_mut()
    }
}

/// The table of `cgrp`, with a slot for `index`: allocated if `cgrp` has
/// none yet, or replaced by a bigger copy if it is too small.
///
/// # Safety
///
/// `cgrp` is a valid cgroup.
unsafe fn table_for(
    _lock: &CgroupLock,
    cgrp: *mut bindings::cgroup,
    index: usize,
) -> Result<*mut Table> {
    // SAFETY: `cgrp` is valid; its table pointer changes only under the mutex.
    let slot = unsafe { ptr::addr_of_mut!((*cgrp).driver_data) }.cast::<*mut Table>();
    // SAFETY: `slot` is valid, and the mutex that guards its writes is held.
    let old = unsafe { *slot };
    let mut old_len = 0;
    if !old.is_null() {
        // SAFETY: `old` is valid, and its `len` never changes.
        old_len = unsafe { (*old).len };
        if index < old_len {
            return Ok(old);
        }
    }
    let table = Table::new((index + 1).next_power_of_two().max(MIN_SLOTS))?;
    if !old.is_null() {
        // SAFETY: Both tables are valid and have at least `old_len` slots,
        // which the mutex keeps from changing meanwhile.
        unsafe { ptr::copy_nonoverlapping(Table::slot(old, 0), Table::slot(table, 0), old_len) };
    }
    // SAFETY: `slot` is valid; lookups load it with `rcu_dereference`, and
    // the release store orders the table's contents before it.
    unsafe { AtomicPtr::from_ptr(slot) }.store(table, Ordering::Release);
    if !old.is_null() {
        // SAFETY: New lookups find the new table; the callback frees the old
        // one once the lookups that may still read it are done.
        unsafe { bindings::call_rcu(ptr::addr_of_mut!((*old).rcu), Some(free_replaced_table)) };
    }
    Ok(table)
}

/// Publishes a new object in `table` and links it into its registration.
///
/// # Safety
///
/// `table` and `drv` are valid, `table` has a slot for `drv`'s index, which
/// is empty, and `data` is an unlinked object of `drv` whose `cgrp` points
/// to `table`.
unsafe fn link(_lock: &CgroupLock, table: *mut Table, drv: *mut CgroupDriver, data: *mut Data) {
    // SAFETY: `drv` is valid per the safety requirements.
    let index = unsafe { (*drv).index };
    // SAFETY: `table` has a slot for `index`.
    let slot = unsafe { Table::slot(table, index) };
    // SAFETY: `slot` is valid and aligned. Lookups load it with
    // `rcu_dereference`, and the release store orders the object's header
    // before it.
    unsafe { AtomicPtr::from_ptr(slot) }.store(data, Ordering::Release);
    // SAFETY: `data` is unlinked and `drv`'s list is initialised (type
    // invariant of `CgroupDriver`); the mutex that guards it is held.
    unsafe {
        bindings::list_add_tail(
            ptr::addr_of_mut!((*data).drivernode),
            ptr::addr_of_mut!((*drv).objects),
        )
    };
    // SAFETY: `drv` is valid, and the mutex that guards `count` is held.
    unsafe { (*drv).count += 1 };
}

/// Unlinks `data` from its registration, which hands it to the caller.
///
/// # Safety
///
/// `data` is a linked object of the valid registration `drv`.
unsafe fn unlink_from_registration(_lock: &CgroupLock, drv: *mut CgroupDriver, data: *mut Data) {
    // SAFETY: `data` is on `drv`'s list, which the mutex guards.
    unsafe { bindings::list_del_init(ptr::addr_of_mut!((*data).drivernode)) };
    // SAFETY: `drv` is valid, and the mutex that guards `count` is held.
    unsafe { (*drv).count -= 1 };
}

/// Hands `data` back to the driver of `drv`.
///
/// # Safety
///
/// `drv` is valid and the caller owns `data`, which no lookup can reach.
unsafe fn free_object(drv: *const CgroupDriver, data: *mut Data) {
    // SAFETY: `drv` is valid, and so is its `funcs` (type invariant).
    match unsafe { (*(*drv).funcs).free_data } {
        // SAFETY: The caller owns `data`, an object that the driver's
        // `alloc_data` returned.
        Some(free_data) => unsafe { free_data(data) },
        // SAFETY: Without `free_data`, objects are the driver's kvmalloc()
        // allocations, as the C API documents, and the caller owns `data`.
        None => unsafe { bindings::kvfree(data.cast()) },
    }
}

/// Drops a reference taken on `users` by the cgroup free path.
///
/// # Safety
///
/// `drv` is valid and the caller owns one of its `users`.
unsafe fn put_user(drv: *mut CgroupDriver) {
    // SAFETY: `drv` is valid and the caller owns a reference on `users`.
    if unsafe { bindings::refcount_dec_and_test(ptr::addr_of_mut!((*drv).users)) } {
        // SAFETY: `drv` is valid: release waits on `unused` before it frees
        // the registration, and `unused` is initialised (type invariant).
        unsafe { bindings::complete(ptr::addr_of_mut!((*drv).unused)) };
    }
}

/// Calls `f` on each object of `table`; `f` may free the object.
///
/// # Safety
///
/// `table` is valid and nothing else changes it during the walk.
unsafe fn for_each_object(table: *mut Table, mut f: impl FnMut(*mut Data)) {
    // SAFETY: `table` is valid, and its `len` never changes.
    let len = unsafe { (*table).len };
    for index in 0..len {
        // SAFETY: `index` is below `len`, and nothing else changes the
        // table during the walk.
        let data = unsafe { *Table::slot(table, index) };
        if !data.is_null() {
            f(data);
        }
    }
}

/// The name of `module`, or "kernel" for NULL.
///
/// # Safety
///
/// `module` is NULL or a module that cannot be freed during the call.
unsafe fn name_of(module: *const bindings::module) -> [u8; OWNER_LEN] {
    let mut owner = [0u8; OWNER_LEN];
    let name: &[u8] = if module.is_null() {
        b"kernel"
    } else {
        // SAFETY: Per the safety requirements, `name` is a C string.
        unsafe { kernel::str::CStr::from_char_ptr((*module).name.as_ptr()) }.as_bytes()
    };
    let len = name.len().min(OWNER_LEN - 1);
    owner[..len].copy_from_slice(&name[..len]);
    owner
}

/// The module that holds the code at `addr`, NULL if built in, and its name.
fn module_of(addr: usize) -> (*mut bindings::module, [u8; OWNER_LEN]) {
    // SAFETY: Entering a sched-RCU read-side section has no precondition.
    unsafe { bindings::rcu_read_lock_sched() };
    // SAFETY: `__module_address` needs preemption off, which the section
    // gives.
    let module = unsafe { bindings::__module_address(addr as _) };
    // SAFETY: The section keeps `module` from being freed until it ends.
    let owner = unsafe { name_of(module) };
    // SAFETY: The section was entered above.
    unsafe { bindings::rcu_read_unlock_sched() };
    (module, owner)
}

impl CgroupDriver {
    /// Allocates and publishes a registration using `funcs`.
    ///
    /// # Safety
    ///
    /// `funcs` is valid, has `alloc_data`, and outlives the registration.
    unsafe fn new(funcs: *const bindings::cgroup_driver_funcs) -> Result<*mut CgroupDriver> {
        let zeroed = KBox::<CgroupDriver>::new_uninit(flags::GFP_KERNEL | flags::__GFP_ZERO)?;
        // SAFETY: The allocation is zeroed, and zero is a valid value of
        // every field.
        let mut new = unsafe { zeroed.assume_init() };
        // SAFETY: `funcs` is valid per the safety requirements.
        let (module, owner) = module_of(unsafe { (*funcs).alloc_data }.map_or(0, |f| f as usize));
        let lock = CgroupLock::lock();
        // INVARIANT: `funcs` is valid with `alloc_data`, `module` holds its
        // code, `index` is taken for this registration alone, the lists are
        // initialised before the registration is published, and `users`
        // holds the registration's own reference.
        new.index = lock.take_index()?;
        new.funcs = funcs;
        new.module = module;
        new.owner = owner;
        new.id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `REFCOUNT_INIT` only builds a value.
        new.users = unsafe { bindings::REFCOUNT_INIT(1) };
        // The list heads and the completion point to themselves: they are
        // initialised where they stay.
        let drv = KBox::into_raw(new);
        // SAFETY: `objects` is a field of the unpublished `drv`.
        unsafe { bindings::INIT_LIST_HEAD(ptr::addr_of_mut!((*drv).objects)) };
        // SAFETY: `unused` is a field of the unpublished `drv`.
        unsafe { bindings::init_completion(ptr::addr_of_mut!((*drv).unused)) };
        // SAFETY: `drv` is initialised, and the mutex that guards the list
        // of registrations is held.
        unsafe { bindings::list_add_tail(ptr::addr_of_mut!((*drv).node), lock.registrations()) };
        Ok(drv)
    }
}

/// Allocates the object of `drv` for `cgrp` and stores it, unless another
/// caller stored one first; returns the stored object.
///
/// # Safety
///
/// `drv` is a live registration and the caller holds a reference on the
/// valid cgroup `cgrp`.
unsafe fn get_or_insert(
    drv: *mut CgroupDriver,
    cgrp: *mut bindings::cgroup,
) -> Result<(*mut Data, bool), *mut Data> {
    // SAFETY: `funcs` is valid and has `alloc_data` (type invariant); no lock
    // is held, so the driver may sleep and take its own locks.
    let new = unsafe { ((*(*drv).funcs).alloc_data.unwrap_unchecked())(drv.cast()) };
    if new.is_null() {
        return Err(ENOMEM.to_ptr());
    }
    if is_err(new) {
        return Err(new);
    }
    // SAFETY: `new` is the driver's fresh object, not yet published: this
    // thread alone writes its header.
    unsafe { (*new).drv = drv.cast() };
    // SAFETY: As for `drv`: an unpublished object of this thread.
    unsafe { (*new).cgrp = cgrp };

    let lock = CgroupLock::lock();
    // SAFETY: `cgrp` and `drv` are valid, and the mutex is held.
    let stored = unsafe { table_for(&lock, cgrp, (*drv).index) }.map(|table| {
        // SAFETY: `table` and `drv` are valid, and the mutex is held.
        let existing = unsafe { find(table, drv) };
        if existing.is_null() {
            // SAFETY: `table` is `cgrp`'s, with an empty slot for `drv`
            // (only `drv`'s object can fill it), and `new` is an unlinked
            // object of `drv` on `cgrp`.
            unsafe { link(&lock, table, drv, new) };
            (new, true)
        } else {
            (existing, false)
        }
    });
    drop(lock);

    match stored {
        Ok((data, true)) => Ok((data, true)),
        Ok((data, false)) => {
            // SAFETY: Another caller won the race; `new` was never published.
            unsafe { free_object(drv, new) };
            Ok((data, false))
        }
        Err(e) => {
            // SAFETY: `new` was never published.
            unsafe { free_object(drv, new) };
            Err(e.to_ptr())
        }
    }
}

/// Registers a driver, or one device of it.
///
/// Returns a handle, `ERR_PTR(-EINVAL)` when `funcs` or its `alloc_data` is
/// NULL, or `ERR_PTR(-ENOMEM)`.
///
/// # Safety
///
/// `funcs` is NULL or valid until `cgroup_driver_release` returns.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_init(
    funcs: *mut bindings::cgroup_driver_funcs,
) -> *mut bindings::cgroup_driver {
    // SAFETY: `funcs` is NULL or valid.
    if funcs.is_null() || unsafe { (*funcs).alloc_data }.is_none() {
        return EINVAL.to_ptr();
    }
    // SAFETY: `funcs` is valid, has `alloc_data` and outlives the handle.
    match unsafe { CgroupDriver::new(funcs) } {
        Ok(drv) => drv.cast(),
        Err(e) => e.to_ptr(),
    }
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
    let drv = drv.cast::<CgroupDriver>();
    if !is_handle(drv) || cgrp.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: `cgrp` is not NULL, so it is a valid cgroup.
    if unsafe { (*cgrp).root != ptr::addr_of_mut!(bindings::cgrp_dfl_root) } {
        return EINVAL.to_ptr();
    }
    // SAFETY: `cgrp` is valid; its table lives as long as the cgroup, and at
    // least until the critical section ends once replaced.
    let table = unsafe { rcu_dereference(ptr::addr_of_mut!((*cgrp).driver_data)) };
    if table.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `table` and `drv` are valid and we are in a read-side section.
    unsafe { find(table.cast(), drv) }
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
    // SAFETY: `drv` is live and the caller holds a reference on `cgrp`.
    let (data, new) = match unsafe { get_or_insert(drv.cast(), cgrp) } {
        Ok(stored) => stored,
        Err(e) => return e,
    };
    if !is_new.is_null() {
        // SAFETY: `is_new` is valid when not NULL.
        unsafe { *is_new = new };
    }
    data
}

/// Moves up to [`RELEASE_BATCH`] objects of `drv` from the head of its list
/// to `taken` and unlinks them from their tables, after which the cgroup
/// free path cannot reach them; returns whether `drv` has objects left.
///
/// # Safety
///
/// `drv` is a live registration and `taken` a list that only the caller uses.
unsafe fn take_batch(
    lock: &CgroupLock,
    drv: *mut CgroupDriver,
    taken: *mut bindings::list_head,
) -> bool {
    // SAFETY: `drv` is live, and its list is stable under the mutex.
    let head = unsafe { ptr::addr_of_mut!((*drv).objects) };
    for _ in 0..RELEASE_BATCH {
        // SAFETY: `head` is a valid list head, stable under the mutex.
        let pos = unsafe { list_next(head) };
        if pos == head {
            return false;
        }
        let data = container_of!(pos, Data, drivernode).cast_mut();
        // SAFETY: `data` is a linked object of `drv`, so its cgroup is alive
        // (the free path unlinks it first, under the mutex).
        let table = unsafe { (*(*data).cgrp).driver_data }.cast::<Table>();
        // SAFETY: The cgroup's table holds `data` in the slot of `drv`'s
        // index (type invariant of `Table`), so the index is below `len`.
        let slot = unsafe { Table::slot(table, (*drv).index) };
        // SAFETY: `slot` is valid and aligned; lookups that still see the
        // object are waited for before it is freed.
        unsafe { AtomicPtr::from_ptr(slot) }.store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: `data` is on `drv`'s list, which the mutex guards.
        unsafe { unlink_from_registration(lock, drv, data) };
        // SAFETY: `pos` is unlinked and `taken` is valid.
        unsafe { bindings::list_add_tail(pos, taken) };
    }
    // SAFETY: `head` is a valid list head, stable under the mutex.
    unsafe { list_next(head) != head }
}

/// Frees every object of `drv`, then `drv`. Once it returns, the core never
/// calls the driver's functions again.
///
/// It takes the objects in batches and drops `cgroup_mutex` between them, so
/// that however many objects a registration holds, no cgroup operation of
/// the system waits for more than one batch; the cgroup free path may take
/// the objects left meanwhile. One grace period covers them all.
///
/// # Safety
///
/// `drv` is NULL, an error pointer or a live handle that no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_release(drv: *mut bindings::cgroup_driver) {
    let drv = drv.cast::<CgroupDriver>();
    if !is_handle(drv) {
        return;
    }
    // `taken_head` is not moved while it heads a list.
    let mut taken_head = bindings::list_head {
        next: ptr::null_mut(),
        prev: ptr::null_mut(),
    };
    let taken = ptr::addr_of_mut!(taken_head);
    // SAFETY: `taken` is a list head of ours.
    unsafe { bindings::INIT_LIST_HEAD(taken) };
    let mut lock = CgroupLock::lock();
    let mut since = Ktime::ktime_get();
    // SAFETY: `drv` is live and on the list of registrations.
    unsafe { bindings::list_del_init(ptr::addr_of_mut!((*drv).node)) };
    // SAFETY: `drv` is live and only this thread uses `taken`.
    while unsafe { take_batch(&lock, drv, taken) } {
        record_release_hold(since);
        drop(lock);
        // SAFETY: No lock is held, and the caller may sleep.
        unsafe { bindings::cond_resched() };
        lock = CgroupLock::lock();
        since = Ktime::ktime_get();
    }
    // No table that a lookup can reach holds an object of `drv` any more:
    // those that the cgroup free path took are in tables of cgroups that
    // are gone, and the index may serve another registration.
    // SAFETY: `drv` is live.
    lock.free_index(unsafe { (*drv).index });
    record_release_hold(since);
    drop(lock);
    // The objects on `taken` are ours: no table links them any more.
    // SAFETY: `taken` is a list of this thread.
    let mut pos = unsafe { list_next(taken) };
    if pos != taken {
        // SAFETY: No lock is held. The grace period waits out lookups, of
        // any registration, that may still reach the objects.
        unsafe { bindings::synchronize_rcu() };
    }
    while pos != taken {
        // SAFETY: `pos` is on `taken`, which this thread alone changes.
        let next = unsafe { list_next(pos) };
        // SAFETY: The object is ours and, after the grace period, no lookup
        // can reach it.
        unsafe { free_object(drv, container_of!(pos, Data, drivernode).cast_mut()) };
        pos = next;
    }
    // SAFETY: `drv` is live and `users` holds the registration's own
    // reference, which this drops.
    unsafe { put_user(drv) };
    // SAFETY: `drv` is live until the objects that the cgroup free path took,
    // each holding one of `users`, are freed, which `unused` waits for.
    unsafe { bindings::wait_for_completion(ptr::addr_of_mut!((*drv).unused)) };
    // SAFETY: `drv` came from `KBox::into_raw` in `CgroupDriver::new`, and
    // nothing reaches it any more: it is off the list of registrations, no
    // table holds its objects and no user is left.
    drop(unsafe { KBox::from_raw(drv) });
}

/// Releases what `module` left registered, before its code goes: called by
/// the module notifier at `MODULE_STATE_GOING`, after the module's exit
/// function ran or its init failed. Safe Rust can leak a registration
/// (`mem::forget`), and a C driver can forget to release one; either way the
/// core must never call into a module that is gone.
///
/// # Safety
///
/// `module` is going: none of its code runs or will run again, so none of
/// its registrations is in use.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_module_going(module: *mut bindings::module) {
    // The module's registrations move to `going` in one pass; release takes
    // each off it in turn. `going_head` is not moved while it heads a list.
    let mut going_head = bindings::list_head {
        next: ptr::null_mut(),
        prev: ptr::null_mut(),
    };
    let going = ptr::addr_of_mut!(going_head);
    let mut left = 0usize;
    let lock = CgroupLock::lock();
    let head = lock.registrations();
    // SAFETY: `going` is a list head of ours.
    unsafe { bindings::INIT_LIST_HEAD(going) };
    // SAFETY: The list of registrations is stable under the mutex.
    let mut pos = unsafe { list_next(head) };
    while pos != head {
        // SAFETY: As for `pos`.
        let next = unsafe { list_next(pos) };
        // SAFETY: `pos` links a live registration, stable under the mutex.
        if unsafe { (*container_of!(pos, CgroupDriver, node)).module } == module {
            // SAFETY: `pos` is on the list of registrations, which the mutex
            // guards.
            unsafe { bindings::list_del_init(pos) };
            // SAFETY: `pos` is unlinked and `going` is ours.
            unsafe { bindings::list_add_tail(pos, going) };
            left += 1;
        }
        pos = next;
    }
    drop(lock);
    // Only this thread reaches `going`. Each registration on it is live, and
    // its module, the only user of the handle, runs no more; release unlinks
    // it from `going` under the mutex.
    loop {
        // SAFETY: `going` is a valid list head that only this thread
        // changes, through the releases below.
        let next = unsafe { list_next(going) };
        if next == going {
            break;
        }
        // SAFETY: `next` links a live registration of the going module.
        unsafe { cgroup_driver_release(container_of!(next, CgroupDriver, node).cast_mut().cast()) };
    }
    if left > 0 {
        // SAFETY: A going module is freed only after its notifiers ran.
        let name = unsafe { name_of(module) };
        let len = name.iter().position(|&c| c == 0).unwrap_or(OWNER_LEN);
        pr_warn!(
            "module {} left {} registration(s); released them\n",
            core::str::from_utf8(&name[..len]).unwrap_or("?"),
            left
        );
    }
}

/// Frees the objects of `cgrp`. Called by the cgroup core when the cgroup's
/// last reference is gone, before the cgroup is freed.
///
/// # Safety
///
/// `cgrp` is valid and unreachable: nobody can look its objects up.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_cgroup_free(cgrp: *mut bindings::cgroup) {
    // SAFETY: `cgrp` is valid; nobody else uses its table any more but
    // `cgroup_driver_release`, which unlinks objects under the mutex.
    let table = unsafe { (*cgrp).driver_data }.cast::<Table>();
    if table.is_null() {
        return;
    }
    let lock = CgroupLock::lock();
    let take = |data: *mut Data| {
        // SAFETY: `data` is in the table, so it is a linked object of a live
        // registration (type invariant of `Table`).
        let drv = unsafe { (*data).drv }.cast::<CgroupDriver>();
        // SAFETY: `data` is a linked object of `drv`, and the mutex is held.
        unsafe { unlink_from_registration(&lock, drv, data) };
        // SAFETY: `drv` is live. The reference keeps it alive until the
        // object is freed below, after the mutex is dropped.
        unsafe { bindings::refcount_inc(ptr::addr_of_mut!((*drv).users)) };
    };
    // SAFETY: `table` is valid, and release, the only other writer, holds
    // the mutex, as this walk does.
    unsafe { for_each_object(table, take) };
    drop(lock);
    let free = |data: *mut Data| {
        // SAFETY: `data` is ours now, and holds a reference on its
        // registration, which keeps `drv` valid.
        let drv = unsafe { (*data).drv }.cast::<CgroupDriver>();
        // SAFETY: `data` is ours, unlinked from everything.
        unsafe { free_object(drv, data) };
        // SAFETY: The reference that the first walk took.
        unsafe { put_user(drv) };
    };
    // SAFETY: `table` is valid and no one else reaches it any more: release
    // takes objects from registrations' lists, which no longer hold these.
    unsafe { for_each_object(table, free) };
    // SAFETY: `cgrp` is valid and unreachable.
    unsafe { (*cgrp).driver_data = ptr::null_mut() };
    // SAFETY: `table` came from `Table::new`, and the cgroup, the only way to
    // it, is unreachable.
    unsafe { Table::free(table) };
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
    let lock = CgroupLock::lock();
    let head = lock.registrations();
    // SAFETY: The list of registrations is stable under the mutex.
    let mut pos = unsafe { list_next(head) };
    while pos != head {
        let drv = container_of!(pos, CgroupDriver, node);
        // SAFETY: `m` is valid; `drv` is a live registration, whose fields
        // are stable under the mutex, and `owner` is NUL-terminated.
        unsafe {
            bindings::seq_printf(
                m,
                c_str!("id=%llu owner=%s objects=%zu\n").as_char_ptr(),
                (*drv).id,
                (*drv).owner.as_ptr().cast::<c_char>(),
                (*drv).count,
            )
        };
        // SAFETY: As for `pos`.
        pos = unsafe { list_next(pos) };
    }
    0
}
