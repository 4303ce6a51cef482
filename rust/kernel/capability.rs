// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the calling task.
//!
//! C header: [`include/linux/capability.h`](srctree/include/linux/capability.h).

use crate::bindings;

/// A capability, `CAP_*`.
///
/// # Examples
///
/// A driver that gates several operations names the capability each needs:
///
/// ```
/// use kernel::capability::{capable, Capability, CAP_SYS_ADMIN};
///
/// fn require(cap: Capability) -> Result {
///     if capable(cap) {
///         Ok(())
///     } else {
///         Err(EPERM)
///     }
/// }
///
/// assert_eq!(require(CAP_SYS_ADMIN), Ok(()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability(u32);

/// Administration of the system, the catch-all capability.
///
/// # Examples
///
/// Its number is part of the ABI:
///
/// ```
/// use kernel::{capability::CAP_SYS_ADMIN, fmt, str::CString};
///
/// let shown = CString::try_from_fmt(fmt!("{:?}", CAP_SYS_ADMIN))?;
/// assert_eq!(shown.as_bytes(), b"Capability(21)");
/// # Ok::<(), Error>(())
/// ```
pub const CAP_SYS_ADMIN: Capability = Capability(bindings::CAP_SYS_ADMIN);

/// Raising priorities: of tasks, and of a device's work where drivers ask.
pub const CAP_SYS_NICE: Capability = Capability(bindings::CAP_SYS_NICE);

/// Whether the calling task has `cap` in its user namespace's initial
/// namespace, as `capable()` in C, which also marks the task as having used
/// it.
///
/// # Examples
///
/// ```
/// use kernel::capability::{capable, CAP_SYS_ADMIN};
///
/// // KUnit runs as the kernel, which has every capability.
/// assert!(capable(CAP_SYS_ADMIN));
/// ```
pub fn capable(cap: Capability) -> bool {
    #[cfg(CONFIG_MULTIUSER)]
    // SAFETY: `capable` only reads the caller's credentials.
    let capable = unsafe { bindings::capable(cap.0 as i32) };
    // Without multiple users every task is the superuser: C's `capable()`
    // is then an inline that says so, which bindgen does not see.
    #[cfg(not(CONFIG_MULTIUSER))]
    let capable = {
        let _ = cap;
        true
    };
    capable
}
