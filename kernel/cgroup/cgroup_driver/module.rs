// SPDX-License-Identifier: GPL-2.0

//! The module that a registration's callbacks live in.
//!
//! Without `CONFIG_MODULES` all code is built in: `THIS_MODULE` is NULL,
//! `struct module` has no fields and `__module_address()` is a C static
//! inline, which bindgen does not see.

use kernel::bindings;

/// The length of a module's name as the core keeps it, with its NUL.
pub(crate) const OWNER_LEN: usize = 56;

/// The name of `module`, or "kernel" for NULL.
///
/// # Safety
///
/// `module` is NULL or a module that cannot be freed during the call.
pub(crate) unsafe fn name_of(module: *const bindings::module) -> [u8; OWNER_LEN] {
    let mut owner = [0u8; OWNER_LEN];
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
pub(crate) fn module_of(addr: usize) -> (*mut bindings::module, [u8; OWNER_LEN]) {
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

/// The module that holds the code at `addr`: none, all is built in.
#[cfg(not(CONFIG_MODULES))]
pub(crate) fn module_of(_addr: usize) -> (*mut bindings::module, [u8; OWNER_LEN]) {
    // SAFETY: NULL is allowed.
    (core::ptr::null_mut(), unsafe { name_of(core::ptr::null()) })
}

/// The name that [`name_of`] returned, as a string.
pub(crate) fn name_str(name: &[u8; OWNER_LEN]) -> &str {
    let len = name.iter().position(|&c| c == 0).unwrap_or(OWNER_LEN);
    core::str::from_utf8(&name[..len]).unwrap_or("?")
}
