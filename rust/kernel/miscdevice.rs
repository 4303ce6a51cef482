// SPDX-License-Identifier: GPL-2.0

//! Miscellaneous devices: a character device with a dynamic minor.
//!
//! A driver implements [`MiscDevice`], declares its file operations once as a
//! `static` [`MiscDeviceVtable`] naming its module, and registers devices with
//! [`MiscDeviceRegistration::register`]; dropping the registration removes the
//! device.
//!
//! C header: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h).

use crate::{
    alloc::{flags, KBox},
    bindings, build_error,
    error::{from_result, to_result, Result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_long, c_uint, c_ulong},
    prelude::*,
    str::CString,
    sync::Arc,
    types::{ForeignOwnable, Opaque},
    ThisModule,
};
use core::{marker::PhantomData, mem::MaybeUninit, ptr::NonNull};

/// What a misc device does when user space uses it.
///
/// # Examples
///
/// Each open file counts its own ioctls; the device counts the files that
/// were closed. The VFS calls these functions; here they are called directly:
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::miscdevice::MiscDevice;
/// use kernel::{prelude::*, sync::Arc};
///
/// struct Counter;
///
/// struct Closed(AtomicU32);
///
/// #[vtable]
/// impl MiscDevice for Counter {
///     type Data = Closed;
///     type Ptr = KBox<(Arc<Closed>, AtomicU32)>;
///
///     fn open(data: &Arc<Closed>) -> Result<Self::Ptr> {
///         Ok(KBox::new((data.clone(), AtomicU32::new(0)), GFP_KERNEL)?)
///     }
///
///     fn release(file: Self::Ptr) {
///         file.0 .0.fetch_add(1, Ordering::Relaxed);
///     }
///
///     fn ioctl(file: &(Arc<Closed>, AtomicU32), _cmd: u32, _arg: usize) -> Result<isize> {
///         Ok(file.1.fetch_add(1, Ordering::Relaxed) as isize + 1)
///     }
/// }
///
/// let device = Arc::new(Closed(AtomicU32::new(0)), GFP_KERNEL)?;
/// let file = Counter::open(&device)?;
/// assert_eq!(Counter::ioctl(&file, 0, 0)?, 1);
/// assert_eq!(Counter::ioctl(&file, 0, 0)?, 2);
/// Counter::release(file);
/// assert_eq!(device.0.load(Ordering::Relaxed), 1);
/// # Ok::<(), Error>(())
/// ```
#[vtable]
pub trait MiscDevice: Sized + 'static {
    /// Data of the device, shared by every file that opens it.
    type Data: Send + Sync;

    /// What each open file keeps.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Called when user space opens the device.
    fn open(data: &Arc<Self::Data>) -> Result<Self::Ptr>;

    /// Called when the last reference to an open file goes away.
    fn release(device: Self::Ptr) {
        drop(device);
    }

    /// Handles an ioctl; `arg` is user space's argument, often a pointer.
    fn ioctl(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The file operations of `T`, owned by a module: open files keep the
/// module loaded. Declared as a `static` of that module.
///
/// # Examples
///
/// ```
/// use kernel::miscdevice::{MiscDevice, MiscDeviceVtable};
/// use kernel::{prelude::*, sync::Arc, ThisModule};
///
/// struct Null;
///
/// #[vtable]
/// impl MiscDevice for Null {
///     type Data = ();
///     type Ptr = ();
///
///     fn open(_data: &Arc<()>) -> Result {
///         Ok(())
///     }
/// }
///
/// # // SAFETY: Doctests are built in, so they have no module.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
/// static NULL_FOPS: MiscDeviceVtable<Null> = MiscDeviceVtable::new(&THIS_MODULE);
/// ```
pub struct MiscDeviceVtable<T: MiscDevice> {
    fops: bindings::file_operations,
    _t: PhantomData<T>,
}

// SAFETY: The file operations are immutable and the functions thread safe.
unsafe impl<T: MiscDevice> Sync for MiscDeviceVtable<T> {}

impl<T: MiscDevice> MiscDeviceVtable<T> {
    /// The file operations of `T`, owned by `module`. Those that `T` does
    /// not implement are left out, so the VFS answers for them.
    ///
    /// # Examples
    ///
    /// Built at compile time, also as a constant:
    ///
    /// ```
    /// use kernel::miscdevice::{MiscDevice, MiscDeviceVtable};
    /// use kernel::{prelude::*, sync::Arc, ThisModule};
    ///
    /// struct Busy;
    ///
    /// #[vtable]
    /// impl MiscDevice for Busy {
    ///     type Data = ();
    ///     type Ptr = ();
    ///
    ///     fn open(_data: &Arc<()>) -> Result {
    ///         Err(EBUSY)
    ///     }
    /// }
    ///
    /// # // SAFETY: Doctests are built in, so they have no module.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    /// const BUSY_FOPS: MiscDeviceVtable<Busy> = MiscDeviceVtable::new(&THIS_MODULE);
    /// static FOPS: [MiscDeviceVtable<Busy>; 2] = [BUSY_FOPS, BUSY_FOPS];
    /// ```
    pub const fn new(module: &'static ThisModule) -> Self {
        Self {
            fops: bindings::file_operations {
                owner: module.0,
                open: Some(fops_open::<T>),
                release: Some(fops_release::<T>),
                unlocked_ioctl: if T::HAS_IOCTL {
                    Some(fops_ioctl::<T>)
                } else {
                    None
                },
                #[cfg(CONFIG_COMPAT)]
                compat_ioctl: if T::HAS_IOCTL {
                    Some(bindings::compat_ptr_ioctl)
                } else {
                    None
                },
                // SAFETY: All zeroes is a valid `file_operations`: no callbacks.
                ..unsafe { MaybeUninit::zeroed().assume_init() }
            },
            _t: PhantomData,
        }
    }
}

/// A registered misc device, removed when dropped.
///
/// # Examples
///
/// Once dropped, its name is free again:
///
/// ```
/// use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable};
/// use kernel::{fmt, prelude::*, str::CString, sync::Arc, ThisModule};
///
/// struct Gone;
///
/// #[vtable]
/// impl MiscDevice for Gone {
///     type Data = ();
///     type Ptr = ();
///
///     fn open(_data: &Arc<()>) -> Result {
///         Err(ENODEV)
///     }
/// }
///
/// # // SAFETY: Doctests are built in, so they have no module.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
/// static GONE_FOPS: MiscDeviceVtable<Gone> = MiscDeviceVtable::new(&THIS_MODULE);
///
/// for _ in 0..2 {
///     let name = CString::try_from_fmt(fmt!("rust_misc_gone"))?;
///     let data = Arc::new((), GFP_KERNEL)?;
///     let reg = MiscDeviceRegistration::register(name, 0o600, &GONE_FOPS, data)?;
///     drop(reg);
/// }
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `inner` points to an [`Inner`] that this registration owns, allocated
/// with [`KBox`], whose device is registered with the misc core with `fops`
/// from a `static` vtable of `T`, for as long as the registration lives.
/// Nothing takes a mutable reference to it: `open` may read it at any time
/// until `misc_deregister()` returns.
pub struct MiscDeviceRegistration<T: MiscDevice> {
    inner: NonNull<Inner<T>>,
}

/// What the misc core and the VFS see of a registration.
#[repr(C)]
struct Inner<T: MiscDevice> {
    /// First, so that the misc core's pointer to it points to `Inner`.
    misc: Opaque<bindings::miscdevice>,
    data: Arc<T::Data>,
    _name: CString,
}

// SAFETY: The misc core may be called from any thread; `T::Data` is thread safe.
unsafe impl<T: MiscDevice> Send for MiscDeviceRegistration<T> {}

// SAFETY: All methods take `&self` and only read.
unsafe impl<T: MiscDevice> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Registers a misc device called `name` (`/dev/<name>`) with file mode
    /// `mode` (for example `0o600`), whose files share `data`.
    ///
    /// Fails with the misc core's error, for example `EEXIST` if a device of
    /// that name exists; nothing is left registered then.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable};
    /// use kernel::{fmt, prelude::*, str::CString, sync::{Arc, ArcBorrow}, ThisModule};
    ///
    /// struct Echo;
    ///
    /// #[vtable]
    /// impl MiscDevice for Echo {
    ///     type Data = u32;
    ///     type Ptr = Arc<u32>;
    ///
    ///     fn open(data: &Arc<u32>) -> Result<Arc<u32>> {
    ///         Ok(data.clone())
    ///     }
    ///
    ///     fn ioctl(data: ArcBorrow<'_, u32>, _cmd: u32, _arg: usize) -> Result<isize> {
    ///         Ok(*data as isize)
    ///     }
    /// }
    ///
    /// # // SAFETY: Doctests are built in, so they have no module.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    /// static ECHO_FOPS: MiscDeviceVtable<Echo> = MiscDeviceVtable::new(&THIS_MODULE);
    ///
    /// let name = CString::try_from_fmt(fmt!("rust_misc_echo"))?;
    /// let data = Arc::new(42, GFP_KERNEL)?;
    /// let reg = MiscDeviceRegistration::register(name, 0o600, &ECHO_FOPS, data)?;
    /// assert_eq!(**reg.data(), 42);
    ///
    /// // A second device of the same name fails, and leaves the first alone.
    /// let name = CString::try_from_fmt(fmt!("rust_misc_echo"))?;
    /// let data = Arc::new(0, GFP_KERNEL)?;
    /// let again = MiscDeviceRegistration::register(name, 0o600, &ECHO_FOPS, data);
    /// assert_eq!(again.err(), Some(EEXIST));
    /// assert_eq!(**reg.data(), 42);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn register(
        name: CString,
        mode: u16,
        vtable: &'static MiscDeviceVtable<T>,
        data: Arc<T::Data>,
    ) -> Result<Self> {
        let inner = KBox::new(
            Inner {
                misc: Opaque::uninit(),
                data,
                _name: name,
            },
            flags::GFP_KERNEL,
        )?;
        let inner = KBox::into_raw(inner);
        // SAFETY: `inner` is valid, and stays where it is until freed; the
        // name lives in it as well, and `vtable` is static.
        let ret = unsafe {
            let misc = (*inner).misc.get();
            misc.write_bytes(0, 1);
            (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
            (*misc).name = (*inner)._name.as_char_ptr();
            (*misc).fops = &vtable.fops;
            (*misc).mode = mode;
            bindings::misc_register(misc)
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: The device was not registered, so nothing else has
            // seen `inner`, which came from `KBox::into_raw` above.
            drop(unsafe { KBox::from_raw(inner) });
            return Err(e);
        }
        // INVARIANT: The device is registered with `vtable`'s operations,
        // and this registration owns `inner`.
        Ok(Self {
            // SAFETY: `KBox::into_raw` never returns null.
            inner: unsafe { NonNull::new_unchecked(inner) },
        })
    }

    /// The data shared by the device's files.
    ///
    /// # Examples
    ///
    /// The driver keeps a handle on what every open file sees:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicBool, Ordering};
    /// use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable};
    /// use kernel::{fmt, prelude::*, str::CString, sync::Arc, ThisModule};
    ///
    /// struct Switch;
    ///
    /// #[vtable]
    /// impl MiscDevice for Switch {
    ///     type Data = AtomicBool;
    ///     type Ptr = Arc<AtomicBool>;
    ///
    ///     fn open(on: &Arc<AtomicBool>) -> Result<Arc<AtomicBool>> {
    ///         if !on.load(Ordering::Relaxed) {
    ///             return Err(ENODEV);
    ///         }
    ///         Ok(on.clone())
    ///     }
    /// }
    ///
    /// # // SAFETY: Doctests are built in, so they have no module.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    /// static SWITCH_FOPS: MiscDeviceVtable<Switch> = MiscDeviceVtable::new(&THIS_MODULE);
    ///
    /// let on = Arc::new(AtomicBool::new(false), GFP_KERNEL)?;
    /// let name = CString::try_from_fmt(fmt!("rust_misc_switch"))?;
    /// let reg = MiscDeviceRegistration::register(name, 0o600, &SWITCH_FOPS, on)?;
    /// reg.data().store(true, Ordering::Relaxed);
    /// assert!(Switch::open(reg.data()).is_ok());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn data(&self) -> &Arc<T::Data> {
        // SAFETY: `inner` is valid while `self` lives (type invariant).
        unsafe { &(*self.inner.as_ptr()).data }
    }

    /// The minor number the misc core chose.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable};
    /// use kernel::{bindings, fmt, prelude::*, str::CString, sync::Arc, ThisModule};
    ///
    /// struct Minor;
    ///
    /// #[vtable]
    /// impl MiscDevice for Minor {
    ///     type Data = ();
    ///     type Ptr = ();
    ///
    ///     fn open(_data: &Arc<()>) -> Result {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # // SAFETY: Doctests are built in, so they have no module.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    /// static MINOR_FOPS: MiscDeviceVtable<Minor> = MiscDeviceVtable::new(&THIS_MODULE);
    ///
    /// let name = CString::try_from_fmt(fmt!("rust_misc_minor"))?;
    /// let data = Arc::new((), GFP_KERNEL)?;
    /// let reg = MiscDeviceRegistration::register(name, 0o600, &MINOR_FOPS, data)?;
    /// // Dynamic minors come after the fixed ones.
    /// assert!(reg.minor() > bindings::MISC_DYNAMIC_MINOR as i32);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn minor(&self) -> i32 {
        // SAFETY: `inner` is valid and registered (type invariant), so its
        // minor is set and stable.
        unsafe { (*(*self.inner.as_ptr()).misc.get()).minor }
    }
}

impl<T: MiscDevice> Drop for MiscDeviceRegistration<T> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: `inner` is valid and registered (type invariant). Once
        // `misc_deregister()` returns, no `open` runs or can start, so this
        // registration is again the only user of `inner`, which came from
        // `KBox::into_raw`. Files that are still open keep their own
        // reference on `data`, if they need it.
        unsafe {
            bindings::misc_deregister((*inner).misc.get());
            drop(KBox::from_raw(inner));
        }
    }
}

/// # Safety
///
/// Called by the VFS on open of a registration's device.
unsafe extern "C" fn fops_open<T: MiscDevice>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `misc_open` set `private_data` to the registered miscdevice,
    // the first field of an `Inner<T>`, and holds the misc lock, so the
    // registration cannot be dropped during this call; nothing mutates it.
    let inner = unsafe { &*(*file).private_data.cast::<Inner<T>>() };
    from_result(|| {
        let ptr = T::open(&inner.data)?;
        // SAFETY: `file` is valid; `fops_release` takes the pointer back.
        unsafe { (*file).private_data = ptr.into_foreign().cast_mut() };
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS when the last reference to a file of `T` is dropped.
unsafe extern "C" fn fops_release<T: MiscDevice>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `fops_open` stored a `T::Ptr` in `private_data`, and release
    // is called once.
    let ptr = unsafe { T::Ptr::from_foreign((*file).private_data) };
    T::release(ptr);
    0
}

/// # Safety
///
/// Called by the VFS on an ioctl on an open file of `T`.
unsafe extern "C" fn fops_ioctl<T: MiscDevice>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: `fops_open` stored a `T::Ptr` in `private_data`, which lives
    // until release, after every ioctl.
    let device = unsafe { T::Ptr::borrow((*file).private_data) };
    match T::ioctl(device, cmd, arg) {
        Ok(ret) => ret as c_long,
        Err(err) => err.to_errno() as c_long,
    }
}
