// SPDX-License-Identifier: GPL-2.0

//! The objects that drivers keep on cgroups, and the calls into drivers
//! that make and free them.

use super::{
    list::ListItem,
    registration::CgroupDriver,
    table::{Cgroup, Data},
};
use crate::is_err;
use core::{
    mem::offset_of,
    ptr::{self, NonNull},
};
use kernel::{bindings, error::code::ENOMEM};

/// A driver's object, which this thread owns: on no list.
///
/// # Invariants
///
/// The object came from the `alloc_data` of the registration that its
/// `drv` names, and its header is set.
pub(crate) struct Object(NonNull<Data>);

// SAFETY: `drivernode` is the links that the ABI gives the core's list of
// a registration's objects; no reference to an object is ever made, and
// an object stays where the driver allocated it.
unsafe impl ListItem for Object {
    type Target = Data;
    const LINKS: usize = offset_of!(Data, drivernode);

    fn into_raw(self) -> *mut Data {
        self.0.as_ptr()
    }

    unsafe fn from_raw(target: *mut Data) -> Self {
        // SAFETY: `target` came from `into_raw`, so it is an object.
        Object(unsafe { NonNull::new_unchecked(target) })
    }
}

impl Object {
    /// A new object of `drv` for `cgrp`, from the driver's `alloc_data`, or
    /// the error pointer that `cgroup_driver_get_data()` returns.
    pub(crate) fn alloc(drv: &CgroupDriver, cgrp: &Cgroup) -> Result<Self, *mut Data> {
        // SAFETY: `alloc_data` gets the registration's handle; no lock is
        // held, so the driver may sleep and take its own locks.
        let new = unsafe { (drv.alloc_data())(drv.handle()) };
        if is_err(new) {
            return Err(new);
        }
        let new = NonNull::new(new).ok_or_else(|| ENOMEM.to_ptr())?;
        // SAFETY: `new` is the driver's fresh object, not yet published:
        // this thread alone writes its header.
        unsafe {
            (*new.as_ptr()).drv = drv.handle();
            (*new.as_ptr()).cgrp = cgrp.as_raw();
        }
        // INVARIANT: `alloc_data` made it, and its header is set.
        Ok(Object(new))
    }

    /// The object, `struct cgroup_driver_data *` to C.
    pub(crate) fn as_ptr(&self) -> *mut Data {
        self.0.as_ptr()
    }

    /// The cgroup whose table holds, or held, the object.
    pub(crate) fn cgroup(&self) -> *mut bindings::cgroup {
        // SAFETY: The object is this thread's.
        unsafe { (*self.as_ptr()).cgrp }
    }

    /// Hands the object back to the driver of `drv`.
    ///
    /// # Safety
    ///
    /// `drv` is the object's registration, and no lookup can reach the
    /// object.
    pub(crate) unsafe fn free(self, drv: &CgroupDriver) {
        let data = self.as_ptr();
        // SAFETY: The object is this thread's. Its cgroup may be gone by the
        // time the driver looks (documented in `struct cgroup_driver_data`).
        unsafe { (*data).cgrp = ptr::null_mut() };
        match drv.free_data() {
            // SAFETY: The object came from the `alloc_data` of `drv`, and
            // nothing else reaches it.
            Some(free_data) => unsafe { free_data(data) },
            // SAFETY: Without `free_data`, objects are the driver's
            // kvmalloc() allocations, as the C API documents.
            None => unsafe { bindings::kvfree(data.cast()) },
        }
    }
}
