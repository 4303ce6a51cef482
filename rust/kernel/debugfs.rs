// SPDX-License-Identifier: GPL-2.0

//! Debugfs: directories of files that show a driver's state to its developers.
//!
//! A type that implements [`Show`] writes a file's whole contents at each
//! read, as C's `DEFINE_SHOW_ATTRIBUTE()` files do. A [`Dir`] owns what its
//! files show and removes them with itself. As in C, debugfs is best effort:
//! a directory or file that cannot be created is left out, with no error to
//! handle, and without `CONFIG_DEBUG_FS` there are none.
//!
//! C header: [`include/linux/debugfs.h`](srctree/include/linux/debugfs.h).

#[cfg(CONFIG_DEBUG_FS)]
use crate::bindings;
use crate::{prelude::*, seq_file::SeqFile, sync::Arc};
#[cfg(CONFIG_DEBUG_FS)]
use core::ptr;

/// What a debugfs file shows.
pub trait Show: Send + Sync {
    /// Writes the file's contents, for one read of it from the start.
    fn show(&self, m: &SeqFile);
}

/// A top-level directory of debugfs, removed with its files when dropped.
///
/// # Invariants
///
/// `dentry` is the directory's, or an error pointer if it could not be
/// created. Each file in it shows one of `shown`, which live as long as the
/// directory does.
///
/// # Examples
///
/// A counter that `/sys/kernel/debug/rust_doctest_counter/count` shows:
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::{c_str, debugfs::{Dir, Show}, seq_file::SeqFile, seq_print, sync::Arc};
///
/// struct Counter(AtomicU32);
///
/// impl Show for Counter {
///     fn show(&self, m: &SeqFile) {
///         seq_print!(m, "{}\n", self.0.load(Ordering::Relaxed));
///     }
/// }
///
/// let counter = Arc::new(Counter(AtomicU32::new(0)), GFP_KERNEL)?;
/// let mut dir = Dir::new(c_str!("rust_doctest_counter"));
/// dir.show_file(c_str!("count"), counter.clone())?;
/// counter.0.fetch_add(1, Ordering::Relaxed);
/// // The directory held the counter until it was removed.
/// drop(dir);
/// assert!(Arc::into_unique_or_drop(counter).is_some());
/// # Ok::<(), Error>(())
/// ```
pub struct Dir {
    #[cfg(CONFIG_DEBUG_FS)]
    dentry: *mut bindings::dentry,
    shown: KVec<KBox<Arc<dyn Show>>>,
}

// SAFETY: A dentry may be removed from any thread, and what is shown is
// `Send + Sync`.
unsafe impl Send for Dir {}

// SAFETY: `Dir` has no methods that use `&self`.
unsafe impl Sync for Dir {}

impl Dir {
    /// Creates `/sys/kernel/debug/<name>`.
    #[cfg_attr(not(CONFIG_DEBUG_FS), allow(unused_variables))]
    pub fn new(name: &CStr) -> Self {
        #[cfg(CONFIG_DEBUG_FS)]
        // SAFETY: `name` is NUL-terminated, and a null parent is the root of
        // debugfs.
        let dentry = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), ptr::null_mut()) };
        // INVARIANT: `debugfs_create_dir()` returns the directory, or an
        // error pointer, and there are no files yet.
        Dir {
            #[cfg(CONFIG_DEBUG_FS)]
            dentry,
            shown: KVec::new(),
        }
    }

    /// Adds file `name`, readable by root, that `data` shows, and keeps
    /// `data` until the directory is dropped.
    ///
    /// Fails only if memory for keeping `data` cannot be allocated.
    #[cfg_attr(not(CONFIG_DEBUG_FS), allow(unused_variables))]
    pub fn show_file(&mut self, name: &CStr, data: Arc<dyn Show>) -> Result {
        self.shown.push(KBox::new(data, GFP_KERNEL)?, GFP_KERNEL)?;
        #[cfg(CONFIG_DEBUG_FS)]
        if let Some(shown) = self.shown.last() {
            let shown: *const Arc<dyn Show> = &**shown;
            // INVARIANT: The file shows the last of `shown`, kept with the
            // others and in its box until `drop()`.
            // SAFETY: `name` is NUL-terminated, and `self.dentry` is a
            // directory or an error pointer, which makes this a no-op.
            // `show_open()` reads `i_private` as an `Arc<dyn Show>`.
            unsafe {
                bindings::debugfs_create_file(
                    name.as_char_ptr(),
                    0o400,
                    self.dentry,
                    shown.cast_mut().cast(),
                    &SHOW_FOPS.0,
                )
            };
        }
        Ok(())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        #[cfg(CONFIG_DEBUG_FS)]
        // SAFETY: `self.dentry` is the directory or an error pointer, which
        // `debugfs_remove()` ignores. It returns once no reader is inside
        // a file's read or llseek, and none can enter them again, so
        // `shown` may go after it: closing a file that is still open only
        // runs `single_release()`, which never reads what it showed.
        unsafe {
            bindings::debugfs_remove(self.dentry)
        };
    }
}

/// The file operations of every [`Show`] file: built in, whatever module
/// the shown type is in, since an open file keeps using them after its
/// dentry is gone and until it is closed.
#[cfg(CONFIG_DEBUG_FS)]
struct ShowFops(bindings::file_operations);

// SAFETY: The operations are never written, and a null `owner` pins no module.
#[cfg(CONFIG_DEBUG_FS)]
unsafe impl Sync for ShowFops {}

#[cfg(CONFIG_DEBUG_FS)]
static SHOW_FOPS: ShowFops = ShowFops(bindings::file_operations {
    open: Some(show_open),
    read: Some(bindings::seq_read),
    llseek: Some(bindings::seq_lseek),
    release: Some(bindings::single_release),
    // SAFETY: All zeroes is a valid `file_operations`: no callbacks.
    ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
});

/// Opens a [`Dir::show_file`] file as a seq_file that [`show`] fills.
///
/// # Safety
///
/// `inode` and `file` are a [`Dir::show_file`] file's, being opened.
#[cfg(CONFIG_DEBUG_FS)]
unsafe extern "C" fn show_open(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> crate::ffi::c_int {
    // SAFETY: `file` is being opened, and `inode` is valid: its
    // `i_private` is the `Arc<dyn Show>` that `show()` reads.
    unsafe { bindings::single_open(file, Some(show), (*inode).i_private) }
}

/// Fills the seq_file of a [`Dir::show_file`] file, at a read or a seek.
///
/// # Safety
///
/// `m` is the seq_file of a [`Dir::show_file`] file, being read.
#[cfg(CONFIG_DEBUG_FS)]
unsafe extern "C" fn show(
    m: *mut bindings::seq_file,
    _v: *mut crate::ffi::c_void,
) -> crate::ffi::c_int {
    // SAFETY: `single_open()` set `private` to the file's `Arc<dyn Show>`,
    // which outlives every call: debugfs proxies the read and the llseek
    // that call this, and the file's removal waits for them.
    let data = unsafe { &*(*m).private.cast::<Arc<dyn Show>>() };
    // SAFETY: The read that fills `m` is the only user of it.
    data.show(unsafe { SeqFile::from_raw(m) });
    0
}
