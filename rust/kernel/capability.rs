// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the calling task.
//!
//! C header: [`include/linux/capability.h`](srctree/include/linux/capability.h).

use crate::bindings;

/// A capability, `CAP_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability(u32);

/// Administration of the system, the catch-all capability.
pub const CAP_SYS_ADMIN: Capability = Capability(bindings::CAP_SYS_ADMIN);

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
    // SAFETY: `capable` only reads the caller's credentials.
    unsafe { bindings::capable(cap.0 as i32) }
}
