// SPDX-License-Identifier: GPL-2.0

//! Registrations and the objects that drivers keep in them.
//!
//! A registration lives as long as a reference to it: the list of
//! registrations holds one until its first release finishes, and each
//! release in progress and each callback in flight one more. An object is
//! in a table and on its registration's list of objects until the cgroup
//! free path or a release takes it out of both under `cgroup_mutex`; the
//! one that does owns it and hands it back to the driver.

use super::{
    callback::{in_flight, wait_for_callbacks},
    list::{List, ListItem},
    lock::{CgroupLock, Guarded},
    module::{module_of, name_of, OWNER_LEN},
    object::Object,
    table::{Cgroup, Data, InRcu, Table},
};
use crate::is_err;
use core::{
    cell::UnsafeCell,
    ffi::c_void,
    mem::offset_of,
    ptr::{self, NonNull},
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{
    alloc::{flags, KBox, KVec},
    bindings,
    error::code::EINVAL,
    prelude::*,
    time::Ktime,
    types::{ARef, AlwaysRefCounted, Opaque},
};

/// The most objects that a release unlinks in one hold of `cgroup_mutex`,
/// which every cgroup operation of the system needs.
const RELEASE_BATCH: usize = 256;

/// One registration of a driver: `struct cgroup_driver`, opaque to C.
///
/// # Invariants
///
/// `funcs` has `alloc_data`, and `module` is the module of the callbacks
/// (NULL: built in); they, `private`, `index`, `id` and `owner` never
/// change. While `holds_index`, `index` is taken in [`INDEXES`] for this
/// registration alone; it is given back once release has unlinked the
/// registration's objects from every table that lookups can reach.
/// `objects` holds the objects in tables, each in the slot of `index` of its
/// cgroup's table; `unlinked` those that release took out of their tables
/// and has yet to hand back. Until `released`, the registration is on
/// [`DRIVERS`], which holds its own reference. `refs` counts that reference
/// and the [`ARef`]s; the last one frees the registration, which lives in a
/// [`KBox`] it is never moved out of.
pub(crate) struct CgroupDriver {
    funcs: bindings::cgroup_driver_funcs,
    private: *mut c_void,
    /// The slot of the registration's objects in every table.
    index: usize,
    id: u64,
    /// The module of the callbacks, released when it goes; only compared.
    module: *mut bindings::module,
    /// The name of that module, for debugfs.
    owner: [u8; OWNER_LEN],
    refs: Opaque<bindings::refcount_t>,
    /// Links in [`DRIVERS`].
    links: UnsafeCell<bindings::list_head>,
    objects: List<Object>,
    unlinked: List<Object>,
    holds_index: Guarded<bool>,
    released: Guarded<bool>,
}

// SAFETY: What changes in a registration changes under `cgroup_mutex` or
// atomically; `private` and `module` are only handed to the driver and
// compared.
unsafe impl Send for CgroupDriver {}

// SAFETY: As for `Send`.
unsafe impl Sync for CgroupDriver {}

// SAFETY: `refs` counts the references (type invariant), and the last one
// frees the registration.
unsafe impl AlwaysRefCounted for CgroupDriver {
    fn inc_ref(&self) {
        // SAFETY: A reference to a registration means that `refs` is nonzero.
        unsafe { bindings::refcount_inc(self.refs.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, which keeps `obj` valid.
        let refs = unsafe { obj.as_ref() }.refs.get();
        // SAFETY: As above; `refs` is nonzero.
        if unsafe { bindings::refcount_dec_and_test(refs) } {
            // SAFETY: The registration came from `KBox::into_raw` in
            // `CgroupDriver::register`, and with no reference left nothing
            // reaches it: it is off the list of registrations, holds no
            // objects, and no callback holds it.
            drop(unsafe { KBox::from_raw(obj.as_ptr()) });
        }
    }
}

/// The reference of the list of registrations on a registration.
///
/// # Invariants
///
/// There is at most one per registration, made by
/// [`CgroupDriver::register`]: the registration's links are this value's.
struct Registered(ARef<CgroupDriver>);

// SAFETY: `links` is a `list_head` in a cell, which only the list of
// registrations uses, through the one `Registered` of the registration
// (type invariant); the registration stays in its box.
unsafe impl ListItem for Registered {
    type Target = CgroupDriver;
    const LINKS: usize = offset_of!(CgroupDriver, links);

    fn into_raw(self) -> *mut CgroupDriver {
        ARef::into_raw(self.0).as_ptr()
    }

    unsafe fn from_raw(target: *mut CgroupDriver) -> Self {
        // SAFETY: `target` came from `into_raw`, with its reference.
        Registered(unsafe { ARef::from_raw(NonNull::new_unchecked(target)) })
    }
}

/// All registrations that no release has begun on, for debugfs and for the
/// cleanup after a going module.
// SAFETY: A static never moves.
static DRIVERS: List<Registered> = unsafe { List::new() };

/// The indexes that registrations hold: bit `i % 64` of word `i / 64`.
static INDEXES: Guarded<KVec<u64>> = Guarded::new(KVec::new());

/// The id of the next registration, which debugfs shows.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Takes the lowest index that no registration holds, so that tables stay
/// as small as the number of live registrations allows.
fn take_index(lock: &mut CgroupLock) -> Result<usize> {
    let words = INDEXES.get_mut(lock);
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

/// Gives back an index that [`take_index`] returned.
fn free_index(lock: &mut CgroupLock, index: usize) {
    INDEXES.get_mut(lock)[index / 64] &= !(1 << (index % 64));
}

/// A hold of `cgroup_mutex` by release, timed for
/// [`cgroup_driver_release_max_hold_ns`].
struct ReleaseHold {
    lock: CgroupLock,
    since: Ktime,
}

impl ReleaseHold {
    fn start(lock: CgroupLock) -> Self {
        Self {
            lock,
            since: Ktime::ktime_get(),
        }
    }

    fn stop(self) -> CgroupLock {
        let held = u64::try_from((Ktime::ktime_get() - self.since).to_ns()).unwrap_or(0);
        cgroup_driver_release_max_hold_ns.fetch_max(held, Ordering::Relaxed);
        self.lock
    }
}

impl CgroupDriver {
    /// Allocates and publishes a registration of `funcs`, which must have
    /// `alloc_data`; returns its handle.
    pub(crate) fn register(
        funcs: &bindings::cgroup_driver_funcs,
        private: *mut c_void,
    ) -> Result<*mut bindings::cgroup_driver> {
        if funcs.alloc_data.is_none() {
            return Err(EINVAL);
        }
        let (module, owner) = if funcs.owner.is_null() {
            module_of(funcs.alloc_data.map_or(0, |f| f as usize))
        } else {
            // SAFETY: A module that registers is alive during the call.
            (funcs.owner, unsafe { name_of(funcs.owner) })
        };
        let mut new = KBox::new(
            CgroupDriver {
                funcs: *funcs,
                private,
                index: 0,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                module,
                owner,
                // SAFETY: `REFCOUNT_INIT` only builds a value.
                refs: Opaque::new(unsafe { bindings::REFCOUNT_INIT(1) }),
                links: UnsafeCell::new(bindings::list_head {
                    next: ptr::null_mut(),
                    prev: ptr::null_mut(),
                }),
                // SAFETY: The lists are used only once the registration is
                // in its box, which it never leaves.
                objects: unsafe { List::new() },
                // SAFETY: As for `objects`.
                unlinked: unsafe { List::new() },
                holds_index: Guarded::new(true),
                released: Guarded::new(false),
            },
            flags::GFP_KERNEL,
        )?;
        let mut lock = CgroupLock::lock();
        new.index = take_index(&mut lock)?;
        // INVARIANT: `funcs` has `alloc_data` (checked above), the index is
        // taken for this registration alone, and the one reference, which
        // `refs` counts, goes to the list of registrations, as its only
        // `Registered`.
        // SAFETY: The pointer came from `KBox::into_raw`, whose box held the
        // only reference.
        let drv = unsafe { ARef::from_raw(NonNull::new_unchecked(KBox::into_raw(new))) };
        let handle = drv.handle();
        DRIVERS.push_back(&lock, Registered(drv));
        Ok(handle)
    }

    /// The registration of `handle`, or `None` for NULL or an error pointer.
    ///
    /// # Safety
    ///
    /// `handle` is NULL, an error pointer or a live handle, which stays live
    /// for `'a`.
    #[inline]
    pub(crate) unsafe fn from_handle<'a>(
        handle: *const bindings::cgroup_driver,
    ) -> Option<&'a Self> {
        if is_err(handle) {
            return None;
        }
        // SAFETY: Per the safety requirements.
        unsafe { handle.cast::<Self>().as_ref() }
    }

    /// The registration's handle, `struct cgroup_driver *` to C.
    #[inline]
    pub(crate) fn handle(&self) -> *mut bindings::cgroup_driver {
        ptr::from_ref(self).cast_mut().cast()
    }

    /// The driver's `alloc_data`, which takes the registration's handle.
    pub(crate) fn alloc_data(
        &self,
    ) -> unsafe extern "C" fn(*mut bindings::cgroup_driver) -> *mut Data {
        // SAFETY: `funcs` has `alloc_data` (type invariant).
        unsafe { self.funcs.alloc_data.unwrap_unchecked() }
    }

    /// The driver's `free_data`; without it, objects are kvfree()d.
    pub(crate) fn free_data(&self) -> Option<unsafe extern "C" fn(*mut Data)> {
        self.funcs.free_data
    }

    /// The context that the driver registered with.
    pub(crate) fn private(&self) -> *mut c_void {
        self.private
    }

    /// The registration's id in debugfs.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The name of the module of the callbacks, NUL-terminated.
    pub(crate) fn owner(&self) -> &[u8; OWNER_LEN] {
        &self.owner
    }

    /// How many objects the registration has in tables.
    pub(crate) fn objects(&self) -> usize {
        self.objects.len()
    }

    /// The object of the registration for `cgrp`, or NULL.
    #[inline]
    pub(crate) fn lookup(&self, cgrp: &Cgroup, rcu: &InRcu) -> *mut Data {
        cgrp.table(rcu).map_or(ptr::null_mut(), |table| {
            table.find(self.index, self.handle())
        })
    }

    /// Hands `obj` back to the driver of `drv` as a callback in flight: the
    /// mutex is dropped meanwhile, and releases wait for it unless they are
    /// in it. The caller's reference keeps `drv` valid across the call,
    /// which may release it.
    ///
    /// # Safety
    ///
    /// `obj` is an object of `drv` that no lookup can reach.
    unsafe fn hand_back(drv: &ARef<Self>, lock: CgroupLock, obj: Object) -> CgroupLock {
        in_flight(lock, drv, false, |lock| {
            drop(lock);
            // SAFETY: Per the safety requirements; no lock is held, so the
            // driver may release registrations.
            unsafe { obj.free(drv) };
            CgroupLock::lock()
        })
    }

    /// Moves up to [`RELEASE_BATCH`] objects from their tables to
    /// `unlinked`, after which the cgroup free path cannot reach them;
    /// returns whether objects are left in tables.
    fn take_batch(&self, lock: &mut CgroupLock) -> bool {
        for _ in 0..RELEASE_BATCH {
            let Some(obj) = self.objects.pop_front(lock) else {
                return false;
            };
            // SAFETY: An object on the list is in its cgroup's table (type
            // invariant), so the cgroup is alive: the free path takes objects
            // out of the table and off the list under the mutex first.
            let cgrp = unsafe { Cgroup::from_raw(obj.cgroup()) };
            // INVARIANT: The object leaves its slot and the list under the
            // same hold of the mutex. Lookups that still see it are waited
            // for before it is handed back.
            // SAFETY: The slot of `index` holds the object (type invariant).
            let taken = cgrp
                .table_mut(lock)
                .map(|table| unsafe { table.take(self.index) });
            debug_assert_eq!(taken, Some(obj.as_ptr()));
            self.unlinked.push_back(lock, obj);
        }
        !self.objects.is_empty()
    }

    /// Allocates the object of `drv` for `cgrp` and stores it, unless another
    /// caller stored one first; returns the stored object and whether this
    /// call stored it.
    pub(crate) fn store(drv: &ARef<Self>, cgrp: &Cgroup) -> Result<(*mut Data, bool), *mut Data> {
        let new = Object::alloc(drv, cgrp)?;
        let mut lock = CgroupLock::lock();
        let stored = cgrp.table_for(&mut lock, drv.index).map(|table| {
            let existing = table.find(drv.index, drv.handle());
            if existing.is_null() {
                // SAFETY: The table is `cgrp`'s, with a slot for the index,
                // and `new` is an object of `drv` for `cgrp`, which goes on
                // the list below, under the same hold.
                unsafe { table.set(drv.index, new.as_ptr()) };
            }
            existing
        });
        match stored {
            Ok(existing) if existing.is_null() => {
                let data = new.as_ptr();
                // INVARIANT: The object is in the slot of `index`.
                drv.objects.push_back(&lock, new);
                Ok((data, true))
            }
            stored => {
                // SAFETY: `new` was never published.
                drop(unsafe { Self::hand_back(drv, lock, new) });
                stored
                    .map(|existing| (existing, false))
                    .map_err(Error::to_ptr)
            }
        }
    }

    /// Takes the registration off the list of registrations on the first
    /// release, and returns the list's reference.
    fn unregister(&self, lock: &CgroupLock) -> Option<Registered> {
        if self.released.replace(lock, true) {
            return None;
        }
        // INVARIANT: Released, the registration is off the list.
        // SAFETY: Until released, the registration is on the list (type
        // invariant).
        Some(unsafe { DRIVERS.remove(lock, ptr::from_ref(self).cast_mut()) })
    }

    /// The work of a release of `drv`, in flight.
    fn release_in_flight(drv: &ARef<Self>, lock: CgroupLock) -> CgroupLock {
        let mut hold = ReleaseHold::start(lock);
        let registered = drv.unregister(&hold.lock);
        while drv.take_batch(&mut hold.lock) {
            drop(hold.stop());
            // SAFETY: No lock is held, and the caller may sleep.
            unsafe { bindings::cond_resched() };
            hold = ReleaseHold::start(CgroupLock::lock());
        }
        // No table that a lookup can reach holds an object of the
        // registration any more: those that the cgroup free path took are in
        // tables of cgroups that are gone, and the index may serve another
        // registration.
        if drv.holds_index.replace(&hold.lock, false) {
            // INVARIANT: The index is given back once, with no object of the
            // registration left in a table.
            free_index(&mut hold.lock, drv.index);
        }
        let lock = hold.stop();
        let unlinked_any = !drv.unlinked.is_empty();
        drop(lock);
        if unlinked_any {
            // SAFETY: No lock is held. The grace period waits out lookups, of
            // any registration, that may still reach the objects unlinked so
            // far, by this call or by one that it is nested in.
            unsafe { bindings::synchronize_rcu() };
        }
        let mut lock = CgroupLock::lock();
        while let Some(obj) = drv.unlinked.pop_front(&lock) {
            // SAFETY: The object left its table before the grace period above.
            lock = unsafe { Self::hand_back(drv, lock, obj) };
        }
        // Releases in progress on other threads are not waited for: they may
        // be nested in callbacks that this one waits for.
        let lock = wait_for_callbacks(lock, |call| !call.release && ptr::eq(&*call.drv, &**drv));
        drop(registered);
        lock
    }
}

/// Frees every object of `drv` and drops the registration; once it returns,
/// no callback of `drv` starts and none runs on another thread.
pub(crate) fn release(drv: ARef<CgroupDriver>) {
    let lock = CgroupLock::lock();
    drop(in_flight(lock, &drv, true, |lock| {
        CgroupDriver::release_in_flight(&drv, lock)
    }));
}

/// The registration of `module` that is first on the list of
/// registrations, if any.
fn registration_of(
    lock: &mut CgroupLock,
    module: *mut bindings::module,
) -> Option<ARef<CgroupDriver>> {
    let mut found = None;
    DRIVERS.any(lock, |drv| {
        if drv.module == module {
            found = Some(drv.into());
        }
        found.is_some()
    });
    found
}

/// Releases the registrations of `module`, then waits for the callbacks
/// into the module that other threads are in, and for releases that may
/// still make some; returns how many registrations it released.
///
/// The registrations are released one at a time, each found on the list of
/// registrations under the mutex and kept by a reference across its
/// release: a release on another thread (a `free_data` that drops the last
/// reference on a device) may take one off meanwhile.
pub(crate) fn release_module(module: *mut bindings::module) -> usize {
    let mut left = 0;
    let mut lock = CgroupLock::lock();
    while let Some(drv) = registration_of(&mut lock, module) {
        left += 1;
        drop(lock);
        release(drv);
        lock = CgroupLock::lock();
    }
    drop(wait_for_callbacks(lock, |call| call.drv.module == module));
    left
}

/// Hands back the objects of `cgrp` one at a time, each in a slot emptied
/// under the mutex: a `free_data` that releases a registration with an
/// object still in the table lets that release take it.
///
/// # Safety
///
/// Nobody can look `cgrp` up any more.
pub(crate) unsafe fn free_cgroup(cgrp: &Cgroup) {
    // Only the core writes the table pointer, and a release reads it only
    // under the mutex, for objects still in the table.
    if !cgrp.has_table() {
        return;
    }
    let mut lock = CgroupLock::lock();
    let len = cgrp.table(&lock).map_or(0, Table::len);
    for index in 0..len {
        // SAFETY: `index` is below the length, and the object of the slot
        // goes off its list below, under the same hold.
        let data = cgrp
            .table_mut(&mut lock)
            .map_or(ptr::null_mut(), |table| unsafe { table.take(index) });
        if data.is_null() {
            continue;
        }
        // SAFETY: `data` was in the table, so it is an object on the list of
        // a live registration (type invariant of `Table`), which the mutex
        // keeps alive until the reference is taken.
        let drv = ARef::from(unsafe { &*(*data).drv.cast::<CgroupDriver>() });
        // INVARIANT: The object leaves its slot and the list under the same
        // hold of the mutex.
        // SAFETY: As above, `data` is on the list.
        let obj = unsafe { drv.objects.remove(&lock, data) };
        // SAFETY: Out of the table, the object is ours, and the cgroup is
        // unreachable, so no lookup sees it.
        lock = unsafe { CgroupDriver::hand_back(&drv, lock, obj) };
    }
    // SAFETY: The cgroup is unreachable, and its table empty.
    unsafe { cgrp.free_table(&mut lock) };
}

/// Calls `f` on each registration that no release has begun on, under the
/// mutex.
pub(crate) fn for_each(mut f: impl FnMut(&CgroupDriver)) {
    DRIVERS.any(&mut CgroupLock::lock(), |drv| {
        f(drv);
        false
    });
}

/// The longest time, in nanoseconds, that a release has held
/// `cgroup_mutex` at once: how long it may have stalled every cgroup
/// operation of the system. In debugfs, where writing 0 resets it.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub(crate) static cgroup_driver_release_max_hold_ns: AtomicU64 = AtomicU64::new(0);
