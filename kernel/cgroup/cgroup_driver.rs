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
//! are handed back one at a time, each recorded as a [`Callback`] in flight
//! that holds a reference on its registration. A release waits only for the
//! callbacks of its registration that other threads are in, and the
//! registration's memory goes with its last reference.
//!
//! C API: `include/linux/cgroup_driver.h`.
//! Documentation: `Documentation/core-api/cgroup-driver-data.rst`.

use core::{
    alloc::Layout,
    cell::UnsafeCell,
    ffi::{c_int, c_void},
    mem::{align_of, size_of},
    ptr,
    sync::atomic::{fence, AtomicPtr, AtomicU64, Ordering},
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
type ListHead = bindings::list_head;

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

/// An empty list head, to be initialised where it stays.
const fn list_head() -> ListHead {
    ListHead {
        next: ptr::null_mut(),
        prev: ptr::null_mut(),
    }
}

/// The first node of the list at `head`, if any.
///
/// # Safety
///
/// `head` is an initialised list head that does not change during the call.
unsafe fn first(head: *mut ListHead) -> Option<*mut ListHead> {
    // SAFETY: Per the safety requirements, `head` is valid for reads.
    let next = unsafe { (*head).next };
    (next != head).then_some(next)
}

/// Calls `f` on each node of the list at `head` until it returns true;
/// returns whether it did. `f` must not change the list.
///
/// # Safety
///
/// `head` is an initialised list head that only `f`'s caller changes.
unsafe fn any_node(head: *mut ListHead, mut f: impl FnMut(*mut ListHead) -> bool) -> bool {
    // SAFETY: Per the safety requirements, every node is valid for reads.
    let mut pos = unsafe { (*head).next };
    while pos != head {
        if f(pos) {
            return true;
        }
        // SAFETY: As for the first node.
        pos = unsafe { (*pos).next };
    }
    false
}

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
    /// The layout of a table of `len` slots.
    fn layout(len: usize) -> Result<Layout> {
        let size = len
            .checked_mul(size_of::<*mut Data>())
            .and_then(|slots| slots.checked_add(size_of::<Table>()))
            .ok_or(ENOMEM)?;
        Layout::from_size_align(size, align_of::<Table>()).map_err(|_| ENOMEM)
    }

    /// Allocates a table of `len` empty slots, charged to the caller's
    /// memory cgroup as the objects that it holds are.
    fn new(len: usize) -> Result<*mut Table> {
        let table = Kmalloc::alloc(
            Self::layout(len)?,
            flags::GFP_KERNEL_ACCOUNT | flags::__GFP_ZERO,
        )?
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
        // SAFETY: `table` is valid, and its `len` never changes.
        let len = unsafe { (*table).len };
        // SAFETY: `table` came from `Kmalloc::alloc` with the layout of `len`
        // slots, which `Table::new` computed without an error, and nothing
        // reaches it.
        unsafe {
            Kmalloc::free(
                ptr::NonNull::new_unchecked(table.cast()),
                Self::layout(len).unwrap_unchecked(),
            )
        };
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
/// `funcs` has `alloc_data`, and `module` is the module of the callbacks
/// (NULL: built in). While `holds_index`, `index` is taken in [`INDEXES`]
/// for this registration alone; it is given back once release has unlinked
/// its objects from every table that lookups can reach. `objects` links the
/// objects in tables, `unlinked` those that release took out of their
/// tables and has yet to hand back; both, `count`, `node`, `released` and
/// `holds_index` change only under `cgroup_mutex`. `refs` counts the
/// registration itself until its first release finishes, each release in
/// progress and each [`Callback`] in flight; the last one frees it.
#[repr(C)]
struct CgroupDriver {
    funcs: bindings::cgroup_driver_funcs,
    private: *mut c_void,
    /// The slot of the registration's objects in every table.
    index: usize,
    holds_index: bool,
    objects: ListHead,
    /// The length of `objects`.
    count: usize,
    unlinked: ListHead,
    /// Node in [`DRIVERS`] until a release begins.
    node: ListHead,
    released: bool,
    refs: bindings::refcount_t,
    id: u64,
    /// The module of the callbacks, released when it goes; only compared.
    module: *mut bindings::module,
    /// The name of that module, for debugfs.
    owner: [u8; OWNER_LEN],
}

/// A list that only the holder of `cgroup_mutex` uses.
struct Guarded<T>(UnsafeCell<T>);

// SAFETY: The value is only accessed with `cgroup_mutex` held. The lists
// hold raw pointers, so `T` is not `Send`: what they point to is guarded by
// the same mutex.
unsafe impl<T> Sync for Guarded<T> {}

/// All registrations that no release has begun on, for debugfs and for the
/// cleanup after a going module.
static DRIVERS: Guarded<ListHead> = Guarded(UnsafeCell::new(list_head()));

/// The [`Callback`]s in flight.
static CALLBACKS: Guarded<ListHead> = Guarded(UnsafeCell::new(list_head()));

/// The indexes that registrations hold: bit `i % 64` of word `i / 64`.
static INDEXES: Guarded<KVec<u64>> = Guarded(UnsafeCell::new(KVec::new()));

/// How many callbacks have returned; changes under `cgroup_mutex`, and is
/// the variable that threads waiting for callbacks wait on.
static RETURNED: AtomicU64 = AtomicU64::new(0);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The longest time, in nanoseconds, that [`cgroup_driver_release`] has held
/// `cgroup_mutex` at once: how long it may have stalled every cgroup
/// operation of the system. In debugfs, where writing 0 resets it.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static cgroup_driver_release_max_hold_ns: AtomicU64 = AtomicU64::new(0);

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

    /// A list guarded by the mutex, initialised on first use.
    fn list(&self, list: &'static Guarded<ListHead>) -> *mut ListHead {
        let head = list.0.get();
        // SAFETY: `head` is a static, and `self` proves that the mutex that
        // guards it is held.
        if unsafe { (*head).next }.is_null() {
            // SAFETY: As for the read: a static under the mutex.
            unsafe { bindings::INIT_LIST_HEAD(head) };
        }
        head
    }

    /// The bitmap of indexes.
    fn indexes(&mut self) -> &mut KVec<u64> {
        // SAFETY: `self` proves that the mutex, which guards the bitmap, is
        // held, and the borrow of `self` keeps a second reference from
        // coexisting.
        unsafe { &mut *INDEXES.0.get() }
    }

    /// Takes the lowest index that no registration holds, so that tables
    /// stay as small as the number of live registrations allows.
    fn take_index(&mut self) -> Result<usize> {
        let words = self.indexes();
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
    fn free_index(&mut self, index: usize) {
        self.indexes()[index / 64] &= !(1 << (index % 64));
    }
}

impl Drop for CgroupLock {
    fn drop(&mut self) {
        // SAFETY: The mutex was taken in `CgroupLock::lock`.
        unsafe { bindings::mutex_unlock(ptr::addr_of_mut!(bindings::cgroup_mutex)) };
    }
}

/// A hand-back of an object to its driver that is in progress, or a
/// release, which may hand objects back at any time until it returns;
/// linked in [`CALLBACKS`] from the stack of the thread that makes it.
///
/// # Invariants
///
/// While linked, `drv` is valid: the entry holds one of its `refs`.
#[repr(C)]
struct Callback {
    node: ListHead,
    task: *mut bindings::task_struct,
    drv: *mut CgroupDriver,
    release: bool,
}

impl Callback {
    /// An unlinked entry of this thread for `drv`.
    fn new(drv: *mut CgroupDriver, release: bool) -> Self {
        Callback {
            node: list_head(),
            // SAFETY: `get_current` has no precondition.
            task: unsafe { bindings::get_current() },
            drv,
            release,
        }
    }

    /// Links `call`, with a reference on its registration.
    ///
    /// # Safety
    ///
    /// `call` is unlinked and stays where it is, untouched, until
    /// [`Callback::unlink`]; its `drv` is valid and reachable under the
    /// mutex.
    unsafe fn link(lock: &CgroupLock, call: *mut Callback) {
        // INVARIANT: The entry holds a reference on `drv` while linked.
        // SAFETY: Per the safety requirements; `node` is the first field, so
        // readers reach the whole entry from it.
        unsafe {
            CgroupDriver::get((*call).drv);
            bindings::list_add_tail(call.cast(), lock.list(&CALLBACKS));
        }
    }

    /// Unlinks `call`, wakes the threads that wait for entries to go, and
    /// drops the reference on its registration, which may free it.
    ///
    /// # Safety
    ///
    /// `call` was linked by [`Callback::link`].
    unsafe fn unlink(_lock: &CgroupLock, call: *mut Callback) {
        // SAFETY: `call` is linked, and the list is guarded by the mutex.
        unsafe { bindings::list_del_init(call.cast()) };
        RETURNED.fetch_add(1, Ordering::Relaxed);
        // `wake_up_var()` looks for sleepers without a barrier: order the
        // count before it, as the waiter orders its sleep before the count.
        fence(Ordering::SeqCst);
        // SAFETY: Any address may be woken; the reference is the entry's.
        unsafe {
            bindings::wake_up_var(ptr::from_ref(&RETURNED).cast_mut().cast());
            CgroupDriver::put((*call).drv);
        }
    }
}

/// Whether a thread other than the caller has an entry in [`CALLBACKS`]
/// that `matches`, given its registration, valid during the call, and
/// whether it is a release.
fn other_callbacks(
    lock: &CgroupLock,
    mut matches: impl FnMut(*const CgroupDriver, bool) -> bool,
) -> bool {
    // SAFETY: `get_current` has no precondition.
    let current = unsafe { bindings::get_current() };
    let other = |pos: *mut ListHead| {
        // SAFETY: `pos` links a live entry, whose `drv` is valid while
        // linked (type invariant of `Callback`).
        let (task, drv, release) = unsafe {
            let call = container_of!(pos, Callback, node);
            ((*call).task, (*call).drv, (*call).release)
        };
        task != current && matches(drv, release)
    };
    // SAFETY: The list of callbacks is stable under the mutex, which is held.
    unsafe { any_node(lock.list(&CALLBACKS), other) }
}

/// Waits until no other thread has an entry that `matches`; the mutex is
/// dropped while it waits.
fn wait_for_callbacks(
    mut lock: CgroupLock,
    mut matches: impl FnMut(*const CgroupDriver, bool) -> bool,
) -> CgroupLock {
    while other_callbacks(&lock, &mut matches) {
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

/// Stores `data` in `slot`, for lookups that load it with
/// [`rcu_dereference`]: the release store orders the object's header, or the
/// table's contents, before it.
///
/// # Safety
///
/// `slot` is valid and aligned, and `cgroup_mutex`, which guards its
/// writes, is held.
unsafe fn publish<T>(slot: *mut *mut T, data: *mut T) {
    // SAFETY: Per the safety requirements.
    unsafe { AtomicPtr::from_ptr(slot) }.store(data, Ordering::Release);
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
    // SAFETY: `slot` is valid and the mutex is held.
    unsafe { publish(slot, table) };
    if !old.is_null() {
        // SAFETY: New lookups find the new table; the callback frees the old
        // one once the lookups that may still read it are done.
        unsafe { bindings::call_rcu(ptr::addr_of_mut!((*old).rcu), Some(free_replaced_table)) };
    }
    Ok(table)
}

impl CgroupDriver {
    /// Allocates and publishes a registration.
    fn new(funcs: &bindings::cgroup_driver_funcs, private: *mut c_void) -> Result<*mut Self> {
        let zeroed = KBox::<CgroupDriver>::new_uninit(flags::GFP_KERNEL | flags::__GFP_ZERO)?;
        // SAFETY: The allocation is zeroed, and zero is a valid value of
        // every field.
        let mut new = unsafe { zeroed.assume_init() };
        let (module, owner) = if funcs.owner.is_null() {
            module_of(funcs.alloc_data.map_or(0, |f| f as usize))
        } else {
            // SAFETY: A module that registers is alive during the call.
            (funcs.owner, unsafe { name_of(funcs.owner) })
        };
        let mut lock = CgroupLock::lock();
        // INVARIANT: `funcs` has `alloc_data` (checked by the caller),
        // `module` holds the callbacks, `index` is taken for this
        // registration alone, the lists are initialised before the
        // registration is published, and `refs` holds the registration's
        // own reference.
        new.index = lock.take_index()?;
        new.holds_index = true;
        new.funcs = *funcs;
        new.private = private;
        new.module = module;
        new.owner = owner;
        new.id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `REFCOUNT_INIT` only builds a value.
        new.refs = unsafe { bindings::REFCOUNT_INIT(1) };
        // The list heads point to themselves: they are initialised where
        // they stay.
        let drv = KBox::into_raw(new);
        // SAFETY: `drv` is unpublished, so its lists are this thread's; the
        // mutex that guards the list of registrations is held.
        unsafe {
            bindings::INIT_LIST_HEAD(ptr::addr_of_mut!((*drv).objects));
            bindings::INIT_LIST_HEAD(ptr::addr_of_mut!((*drv).unlinked));
            bindings::list_add_tail(ptr::addr_of_mut!((*drv).node), lock.list(&DRIVERS));
        }
        Ok(drv)
    }

    /// Takes a reference on `drv`.
    ///
    /// # Safety
    ///
    /// `drv` is valid and the caller holds a reference on it or
    /// `cgroup_mutex` with `drv` reachable.
    unsafe fn get(drv: *mut Self) {
        // SAFETY: Per the safety requirements, `refs` is nonzero.
        unsafe { bindings::refcount_inc(ptr::addr_of_mut!((*drv).refs)) };
    }

    /// Drops a reference on `drv`, which the last one frees.
    ///
    /// # Safety
    ///
    /// `drv` is valid and the caller owns one of its references, which it
    /// does not use again.
    unsafe fn put(drv: *mut Self) {
        // SAFETY: `drv` is valid and the caller owns a reference.
        if unsafe { bindings::refcount_dec_and_test(ptr::addr_of_mut!((*drv).refs)) } {
            // SAFETY: `drv` came from `KBox::into_raw` in `CgroupDriver::new`,
            // and with no reference left nothing reaches it: it is off the
            // list of registrations and no table or callback holds it.
            drop(unsafe { KBox::from_raw(drv) });
        }
    }

    /// Hands `data` back to the driver.
    ///
    /// # Safety
    ///
    /// `drv` is valid and the caller owns `data`, which no lookup can reach.
    unsafe fn free_object(drv: *const Self, data: *mut Data) {
        // SAFETY: `data` is the caller's: its cgroup may be gone by the time
        // the driver looks (documented in `struct cgroup_driver_data`).
        unsafe { (*data).cgrp = ptr::null_mut() };
        // SAFETY: `drv` is valid.
        match unsafe { (*drv).funcs.free_data } {
            // SAFETY: The caller owns `data`, an object that the driver's
            // `alloc_data` returned.
            Some(free_data) => unsafe { free_data(data) },
            // SAFETY: Without `free_data`, objects are the driver's kvmalloc()
            // allocations, as the C API documents, and the caller owns `data`.
            None => unsafe { bindings::kvfree(data.cast()) },
        }
    }

    /// Hands back `data`, which the caller unlinked from `drv` under `lock`,
    /// as a callback in flight: the mutex is dropped meanwhile, `drv` stays
    /// valid, and releases wait for it unless they are in it.
    ///
    /// # Safety
    ///
    /// `drv` is valid and the caller owns `data`, which no lookup can reach.
    unsafe fn hand_back(lock: CgroupLock, drv: *mut Self, data: *mut Data) -> CgroupLock {
        let mut entry = Callback::new(drv, false);
        // The list reaches `entry` meanwhile: only raw pointers do here.
        let call = ptr::addr_of_mut!(entry);
        // SAFETY: `call` stays on this stack until it is unlinked below, and
        // `drv` is valid and reachable under the mutex.
        unsafe { Callback::link(&lock, call) };
        drop(lock);
        // SAFETY: Per the safety requirements, and the entry keeps `drv`
        // valid; no lock is held, so the driver may release registrations.
        unsafe { Self::free_object(drv, data) };
        let lock = CgroupLock::lock();
        // SAFETY: `call` was linked above.
        unsafe { Callback::unlink(&lock, call) };
        lock
    }

    /// Unlinks `data` from `drv`, which hands it to the caller.
    ///
    /// # Safety
    ///
    /// `data` is a linked object of the valid registration `drv`.
    unsafe fn unlink(_lock: &CgroupLock, drv: *mut Self, data: *mut Data) {
        // SAFETY: `data` is on `drv`'s list, which the mutex guards.
        unsafe { bindings::list_del_init(ptr::addr_of_mut!((*data).drivernode)) };
        // SAFETY: `drv` is valid, and the mutex that guards `count` is held.
        unsafe { (*drv).count -= 1 };
    }

    /// Moves up to [`RELEASE_BATCH`] objects of `drv` from its tables to
    /// `unlinked`, after which the cgroup free path cannot reach them;
    /// returns whether `drv` has objects left in tables.
    ///
    /// # Safety
    ///
    /// `drv` is valid.
    unsafe fn take_batch(lock: &CgroupLock, drv: *mut Self) -> bool {
        // SAFETY: `drv` is valid, and its lists are stable under the mutex.
        let (objects, unlinked) = unsafe {
            (
                ptr::addr_of_mut!((*drv).objects),
                ptr::addr_of_mut!((*drv).unlinked),
            )
        };
        for _ in 0..RELEASE_BATCH {
            // SAFETY: `objects` is initialised and stable under the mutex.
            let Some(pos) = (unsafe { first(objects) }) else {
                return false;
            };
            // SAFETY: `pos` links an object of `drv`, so its cgroup is
            // alive (the free path unlinks it first, under the mutex), and
            // the cgroup's table holds it in the slot of `drv`'s index (type
            // invariant of `Table`), so the index is below `len`. Lookups
            // that still see it are waited for before it is freed.
            unsafe {
                let data = container_of!(pos, Data, drivernode).cast_mut();
                let table = (*(*data).cgrp).driver_data.cast::<Table>();
                publish(Table::slot(table, (*drv).index), ptr::null_mut());
                Self::unlink(lock, drv, data);
                bindings::list_add_tail(pos, unlinked);
            }
        }
        // SAFETY: As above.
        unsafe { first(objects) }.is_some()
    }
}

/// The name of `module`, or "kernel" for NULL.
///
/// # Safety
///
/// `module` is NULL or a module that cannot be freed during the call.
unsafe fn name_of(module: *const bindings::module) -> [u8; OWNER_LEN] {
    let mut owner = [0u8; OWNER_LEN];
    // Without modules, `struct module` has no fields, and `module` is NULL:
    // `THIS_MODULE` is NULL in built-in code, and so is `module_of()`.
    #[cfg(not(CONFIG_MODULES))]
    let name: &[u8] = {
        let _ = module;
        b"kernel"
    };
    #[cfg(CONFIG_MODULES)]
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
#[cfg(CONFIG_MODULES)]
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

/// Without modules all code is built in (`__module_address()` is a C
/// static inline that returns NULL, which bindgen does not see).
#[cfg(not(CONFIG_MODULES))]
fn module_of(_addr: usize) -> (*mut bindings::module, [u8; OWNER_LEN]) {
    // SAFETY: NULL is allowed.
    (ptr::null_mut(), unsafe { name_of(ptr::null()) })
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
    // SAFETY: `funcs` has `alloc_data` (type invariant); no lock is held, so
    // the driver may sleep and take its own locks.
    let new = unsafe { ((*drv).funcs.alloc_data.unwrap_unchecked())(drv.cast()) };
    if new.is_null() {
        return Err(ENOMEM.to_ptr());
    }
    if is_err(new) {
        return Err(new);
    }
    // SAFETY: `new` is the driver's fresh object, not yet published: this
    // thread alone writes its header.
    unsafe {
        (*new).drv = drv.cast();
        (*new).cgrp = cgrp;
    }

    let lock = CgroupLock::lock();
    // SAFETY: `cgrp` and `drv` are valid, and the mutex is held.
    let stored = unsafe { table_for(&lock, cgrp, (*drv).index) }.map(|table| {
        // SAFETY: `table` and `drv` are valid, and the mutex is held.
        let existing = unsafe { find(table, drv) };
        if !existing.is_null() {
            return (existing, false);
        }
        // SAFETY: `table` is `cgrp`'s, with an empty slot for `drv` (only
        // `drv`'s object can fill it), and `new` is an unlinked object of
        // `drv` on `cgrp`, whose list and count the mutex guards.
        unsafe {
            publish(Table::slot(table, (*drv).index), new);
            bindings::list_add_tail(
                ptr::addr_of_mut!((*new).drivernode),
                ptr::addr_of_mut!((*drv).objects),
            );
            (*drv).count += 1;
        }
        (new, true)
    });
    drop(lock);

    match stored {
        Ok((data, true)) => Ok((data, true)),
        Ok((data, false)) => {
            // SAFETY: Another caller won the race; `new` was never published.
            unsafe { CgroupDriver::free_object(drv, new) };
            Ok((data, false))
        }
        Err(e) => {
            // SAFETY: `new` was never published.
            unsafe { CgroupDriver::free_object(drv, new) };
            Err(e.to_ptr())
        }
    }
}

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
    match unsafe { funcs.as_ref() } {
        Some(funcs) if funcs.alloc_data.is_some() => match CgroupDriver::new(funcs, private) {
            Ok(drv) => drv.cast(),
            Err(e) => e.to_ptr(),
        },
        _ => EINVAL.to_ptr(),
    }
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

/// The context of a registration.
///
/// # Safety
///
/// `drv` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_priv(drv: *const bindings::cgroup_driver) -> *mut c_void {
    // SAFETY: `drv` is live, and `private` never changes.
    unsafe { (*drv.cast::<CgroupDriver>()).private }
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

/// A hold of `cgroup_mutex` by release, timed for
/// [`cgroup_driver_release_max_hold_ns`].
struct ReleaseHold {
    lock: CgroupLock,
    since: Ktime,
}

impl ReleaseHold {
    fn lock() -> Self {
        let lock = CgroupLock::lock();
        Self {
            lock,
            since: Ktime::ktime_get(),
        }
    }

    fn unlock(self) {
        let held = (Ktime::ktime_get() - self.since).to_ns();
        cgroup_driver_release_max_hold_ns.fetch_max(held as u64, Ordering::Relaxed);
    }
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
    let drv = drv.cast::<CgroupDriver>();
    if !is_handle(drv) {
        return;
    }
    let mut hold = ReleaseHold::lock();
    // The entry keeps `drv` alive until the end, and tells a going module's
    // cleanup that this call may still hand objects back.
    let mut entry = Callback::new(drv, true);
    let me = ptr::addr_of_mut!(entry);
    // SAFETY: `drv` is live, and its fields are stable under the mutex; `me`
    // stays on this stack until it is unlinked below. The first release
    // takes the registration off the list of registrations.
    let is_first = unsafe { !(*drv).released };
    // SAFETY: As above.
    unsafe {
        Callback::link(&hold.lock, me);
        if is_first {
            (*drv).released = true;
            bindings::list_del_init(ptr::addr_of_mut!((*drv).node));
        }
    }
    // SAFETY: `drv` is valid.
    while unsafe { CgroupDriver::take_batch(&hold.lock, drv) } {
        hold.unlock();
        // SAFETY: No lock is held, and the caller may sleep.
        unsafe { bindings::cond_resched() };
        hold = ReleaseHold::lock();
    }
    // No table that a lookup can reach holds an object of `drv` any more:
    // those that the cgroup free path took are in tables of cgroups that
    // are gone, and the index may serve another registration.
    // SAFETY: `drv` is valid, and the mutex guards these fields.
    let (index, unlinked) = unsafe {
        let index = (*drv).holds_index.then_some((*drv).index);
        (*drv).holds_index = false;
        (index, ptr::addr_of_mut!((*drv).unlinked))
    };
    if let Some(index) = index {
        hold.lock.free_index(index);
    }
    // SAFETY: `unlinked` is initialised and stable under the mutex.
    let unlinked_any = unsafe { first(unlinked) }.is_some();
    hold.unlock();
    if unlinked_any {
        // SAFETY: No lock is held. The grace period waits out lookups, of
        // any registration, that may still reach the objects unlinked so
        // far, by this call or by one that it is nested in.
        unsafe { bindings::synchronize_rcu() };
    }
    let mut lock = CgroupLock::lock();
    // SAFETY: `unlinked` is stable under the mutex.
    while let Some(pos) = unsafe { first(unlinked) } {
        // SAFETY: `pos` is on `unlinked`, which the mutex guards; once off
        // it, the object is ours, and no lookup can reach it.
        lock = unsafe {
            bindings::list_del_init(pos);
            CgroupDriver::hand_back(lock, drv, container_of!(pos, Data, drivernode).cast_mut())
        };
    }
    // Releases in progress on other threads are not waited for: they may be
    // nested in callbacks that this one waits for.
    let lock = wait_for_callbacks(lock, |other, release| !release && ptr::eq(other, drv));
    // SAFETY: The first call owns the registration's reference, and the
    // entry holds this call's, which may be the last.
    unsafe {
        if is_first {
            CgroupDriver::put(drv);
        }
        Callback::unlink(&lock, me);
    }
}

/// Releases what `module` left registered, before its code goes: called by
/// the module notifier at `MODULE_STATE_GOING`, after the module's exit
/// function ran or its init failed. Safe Rust can leak a registration
/// (`mem::forget`), and a C driver can forget to release one; either way the
/// core must never call into a module that is gone. Then waits for the
/// callbacks of the module's registrations that other threads are in.
///
/// # Safety
///
/// `module` is going: none of its code runs or will run again but for the
/// callbacks in flight, so none of its registrations is in use.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_module_going(module: *mut bindings::module) {
    // The module's registrations are released one at a time, each found on
    // the list of registrations under the mutex and kept by a reference
    // across its release: a release on another thread (a free_data that
    // drops the last reference on a device) may take one off meanwhile.
    let mut left = 0usize;
    let mut lock = CgroupLock::lock();
    loop {
        let mut found = ptr::null_mut();
        let find = |pos: *mut ListHead| {
            // SAFETY: `pos` links a live registration, stable under the mutex.
            let drv = unsafe { container_of!(pos, CgroupDriver, node) }.cast_mut();
            // SAFETY: As above.
            let matches = unsafe { (*drv).module } == module;
            if matches {
                found = drv;
            }
            matches
        };
        // SAFETY: The list of registrations is stable under the mutex.
        if !unsafe { any_node(lock.list(&DRIVERS), find) } {
            break;
        }
        // SAFETY: `found` is live and reachable under the mutex.
        unsafe { CgroupDriver::get(found) };
        left += 1;
        drop(lock);
        // SAFETY: `found` is a registration of the going module, whose code
        // no longer uses it; the reference keeps it valid across the call.
        unsafe {
            cgroup_driver_release(found.cast());
            CgroupDriver::put(found);
        }
        lock = CgroupLock::lock();
    }
    // Callbacks into the module, and releases that may still make some.
    // SAFETY: `wait_for_callbacks` passes valid registrations.
    let of_module = |drv: *const CgroupDriver, _| unsafe { (*drv).module } == module;
    drop(wait_for_callbacks(lock, of_module));
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
/// The objects are handed back one at a time, each in a slot emptied under
/// the mutex: a `free_data` that releases a registration with an object
/// still in the table lets that release take it.
///
/// # Safety
///
/// `cgrp` is valid and unreachable: nobody can look its objects up.
#[no_mangle]
pub unsafe extern "C" fn cgroup_driver_cgroup_free(cgrp: *mut bindings::cgroup) {
    // SAFETY: `cgrp` is valid; its table pointer changes only here now, and
    // a release reads it only under the mutex, for objects still linked.
    let table = unsafe { (*cgrp).driver_data }.cast::<Table>();
    if table.is_null() {
        return;
    }
    let mut lock = CgroupLock::lock();
    // SAFETY: `table` is valid, and its `len` never changes.
    for index in 0..unsafe { (*table).len } {
        // SAFETY: `index` is below `len`; slots change only under the mutex.
        let slot = unsafe { Table::slot(table, index) };
        // SAFETY: As above.
        let data = unsafe { *slot };
        if data.is_null() {
            continue;
        }
        // SAFETY: `data` is in the table, so it is a linked object of a live
        // registration (type invariant of `Table`); once out of the table
        // and the registration's list it is ours, and the cgroup is
        // unreachable, so no lookup sees it.
        lock = unsafe {
            let drv = (*data).drv.cast::<CgroupDriver>();
            *slot = ptr::null_mut();
            CgroupDriver::unlink(&lock, drv, data);
            CgroupDriver::hand_back(lock, drv, data)
        };
    }
    drop(lock);
    // SAFETY: `cgrp` is valid and unreachable; `table` came from
    // `Table::new` and is empty, and the cgroup was the only way to it.
    unsafe {
        (*cgrp).driver_data = ptr::null_mut();
        Table::free(table);
    }
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
    let _lock = CgroupLock::lock();
    // SAFETY: `cgrp` is valid, and its table changes only under the mutex.
    let table = unsafe { (*cgrp).driver_data }.cast::<Table>();
    if table.is_null() {
        return 0;
    }
    // SAFETY: A table that the cgroup points to is valid.
    unsafe { (*table).len }
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
    let show = |pos: *mut ListHead| {
        // SAFETY: `m` is valid; `pos` links a live registration, whose
        // fields are stable under the mutex, and `owner` is NUL-terminated.
        unsafe {
            let drv = container_of!(pos, CgroupDriver, node);
            bindings::seq_printf(
                m,
                c_str!("id=%llu owner=%s objects=%zu\n").as_char_ptr(),
                (*drv).id,
                (*drv).owner.as_ptr().cast::<c_char>(),
                (*drv).count,
            )
        };
        false
    };
    // SAFETY: The list of registrations is stable under the mutex.
    unsafe { any_node(lock.list(&DRIVERS), show) };
    0
}
