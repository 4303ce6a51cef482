// SPDX-License-Identifier: GPL-2.0

//! Read-only `uint` module parameters.
//!
//! The kernel sets a module's parameters from its command line before its
//! `init` runs; `/sys/module/<module>/parameters/<name>` shows them.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h).

use crate::bindings;
use core::{cell::UnsafeCell, ptr};

/// The value of a `uint` module parameter.
///
/// Declared with [`module_param_uint!`](crate::module_param_uint).
///
/// # Examples
///
/// A parameter is shared by all of its module's code, so it is read
/// through a shared reference:
///
/// ```
/// use kernel::module_param::ParamUint;
///
/// fn twice(param: &ParamUint) -> u32 {
///     param.get() * 2
/// }
///
/// static QUEUES: ParamUint = ParamUint::new(4);
/// assert_eq!(twice(&QUEUES), 8);
/// ```
#[repr(transparent)]
pub struct ParamUint(UnsafeCell<u32>);

// SAFETY: The kernel writes the value only while loading the module, before
// any code of the module reads it; the parameter is read-only afterwards.
unsafe impl Sync for ParamUint {}

impl ParamUint {
    /// A parameter whose value is `default` unless the module is loaded
    /// with another.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::module_param::ParamUint;
    ///
    /// const DEFAULT_DEPTH: u32 = 16;
    /// static DEPTH: ParamUint = ParamUint::new(DEFAULT_DEPTH);
    /// assert_eq!(DEPTH.get(), DEFAULT_DEPTH);
    /// ```
    pub const fn new(default: u32) -> Self {
        Self(UnsafeCell::new(default))
    }

    /// The value of the parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::module_param::ParamUint;
    ///
    /// static RETRIES: ParamUint = ParamUint::new(0);
    /// let retries = (0..=RETRIES.get()).count();
    /// assert_eq!(retries, 1);
    /// ```
    pub fn get(&self) -> u32 {
        // SAFETY: No write happens once the module's code runs.
        unsafe { *self.0.get() }
    }
}

/// The descriptor that the kernel finds in the `__param` section; made by
/// [`module_param_uint!`](crate::module_param_uint) only.
#[doc(hidden)]
#[repr(transparent)]
pub struct KernelParam(bindings::kernel_param);

// SAFETY: The descriptor is immutable.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// Describes a read-only parameter called `name` (NUL-terminated) whose
    /// value lives in `value`.
    pub const fn uint(name: &'static [u8], value: &'static ParamUint) -> Self {
        Self(bindings::kernel_param {
            name: name.as_ptr(),
            // Parameters of a loadable module are locked through the
            // global parameter lock when `mod_` is NULL.
            mod_: ptr::null_mut(),
            ops: ptr::addr_of!(bindings::param_ops_uint),
            perm: 0o444,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: value.0.get().cast(),
            },
        })
    }
}

/// Declares a read-only `uint` module parameter as a `static` [`ParamUint`].
///
/// In a loadable module it is `<name>=` on `insmod`'s command line and is
/// described by `modinfo`; in code built into the kernel, as in this
/// example, it is `<name>=` on the kernel's command line.
///
/// # Examples
///
/// ```
/// kernel::module_param_uint!(DOCTEST_DEVICES, "doctest_devices", 2, "Number of devices");
///
/// fn count() -> u32 {
///     DOCTEST_DEVICES.get()
/// }
///
/// assert_eq!(count(), 2);
/// ```
#[macro_export]
macro_rules! module_param_uint {
    ($name:ident, $param:literal, $default:expr, $desc:literal) => {
        static $name: $crate::module_param::ParamUint =
            $crate::module_param::ParamUint::new($default);

        const _: () = {
            #[link_section = "__param"]
            #[used(compiler)]
            static PARAM: $crate::module_param::KernelParam =
                $crate::module_param::KernelParam::uint(concat!($param, "\0").as_bytes(), &$name);

            // Built in, `.modinfo` entries name their module: none here.
            #[cfg(MODULE)]
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static PARM: [u8; concat!("parm=", $param, ":", $desc, "\0").len()] =
                *$crate::module_param::as_array(concat!("parm=", $param, ":", $desc, "\0"));

            #[cfg(MODULE)]
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static PARMTYPE: [u8; concat!("parmtype=", $param, ":uint\0").len()] =
                *$crate::module_param::as_array(concat!("parmtype=", $param, ":uint\0"));
        };
    };
}

/// The bytes of `s` as an array, for `.modinfo` entries.
#[doc(hidden)]
pub const fn as_array<const N: usize>(s: &'static str) -> &'static [u8; N] {
    match s.as_bytes().first_chunk::<N>() {
        Some(array) => array,
        None => panic!("length mismatch"),
    }
}
