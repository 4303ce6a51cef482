// SPDX-License-Identifier: GPL-2.0

//! Seq files: the text that a virtual file shows, written as it is read.
//!
//! C header: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h).

use crate::{bindings, c_str, ffi::c_void, types::Opaque};
use core::marker::PhantomData;

/// A `struct seq_file` that is being filled: what a read of its file shows.
///
/// Only the function filling it sees it, so it is neither `Send` nor `Sync`.
#[repr(transparent)]
pub struct SeqFile {
    inner: Opaque<bindings::seq_file>,
    _not_thread_safe: PhantomData<*mut ()>,
}

impl SeqFile {
    /// Borrows the seq_file at `ptr` for the call that fills it.
    ///
    /// # Safety
    ///
    /// `ptr` points to a valid `struct seq_file`, which nothing else uses for
    /// as long as `'a` lasts.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a SeqFile {
        // SAFETY: `SeqFile` is transparent over `struct seq_file`, and the
        // caller guarantees it is valid and ours for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Appends `args`, formatted. Use [`seq_print!`](crate::seq_print).
    ///
    /// Output that does not fit makes the seq_file retry with a larger
    /// buffer, as C's `seq_printf()` does.
    pub fn call_printf(&self, args: core::fmt::Arguments<'_>) {
        // SAFETY: `self` is a valid seq_file that only we use, and `%pA`
        // takes a pointer to a `fmt::Arguments`, which outlives the call.
        unsafe {
            bindings::seq_printf(
                self.inner.get(),
                c_str!("%pA").as_char_ptr(),
                core::ptr::from_ref(&args).cast::<c_void>(),
            )
        };
    }
}

/// Appends to a [`SeqFile`], as `write!` does, with `format_args!` syntax.
#[macro_export]
macro_rules! seq_print {
    ($m:expr, $($arg:tt)+) => (
        $m.call_printf(format_args!($($arg)+))
    );
}
