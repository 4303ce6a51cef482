// SPDX-License-Identifier: GPL-2.0

//! Cgroups, and driver data kept on them.
//!
//! A driver that keeps its own data on each cgroup declares the type of that
//! data, implements [`CgroupData`] for it and creates a [`Registration`] per
//! device. [`Registration::get`] then finds, or builds on first use, the data
//! of any cgroup of the default (v2) hierarchy.
//!
//! C headers: [`include/linux/cgroup.h`](srctree/include/linux/cgroup.h) and
//! [`include/linux/cgroup_driver.h`](srctree/include/linux/cgroup_driver.h).

use crate::{
    alloc::{flags, KBox},
    bindings,
    error::{code::*, from_err_ptr, Error, Result},
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{marker::PhantomData, mem::MaybeUninit, ptr, ptr::NonNull};

/// A cgroup: `struct cgroup`.
///
/// Handed out as [`ARef<Cgroup>`], which holds a reference on it.
///
/// # Invariants
///
/// The cgroup's reference count is nonzero for as long as a `&Cgroup` exists.
///
/// # Examples
///
/// Each [`ARef`] holds its own reference, so a clone keeps the cgroup alive
/// after the original is dropped:
///
/// ```
/// use kernel::cgroup::Cgroup;
///
/// let cgroup = Cgroup::current();
/// let kept = cgroup.clone();
/// let id = cgroup.id();
/// drop(cgroup);
/// assert_eq!(kept.id(), id);
/// ```
#[repr(transparent)]
pub struct Cgroup(Opaque<bindings::cgroup>);

// SAFETY: A cgroup may be used, and its last reference dropped, from any thread.
unsafe impl Send for Cgroup {}

// SAFETY: `Cgroup` has no methods that need exclusive access.
unsafe impl Sync for Cgroup {}

// SAFETY: The type invariants guarantee that `Cgroup` is always refcounted.
unsafe impl AlwaysRefCounted for Cgroup {
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference means that the refcount is nonzero.
        unsafe { bindings::cgroup_get(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The safety requirements guarantee that the refcount is nonzero.
        unsafe { bindings::cgroup_put(obj.cast().as_ptr()) };
    }
}

impl Cgroup {
    /// Takes over the reference that the caller holds on `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid cgroup and the caller owns a reference on it.
    unsafe fn from_owned(ptr: *mut bindings::cgroup) -> ARef<Self> {
        // SAFETY: `ptr` is non-null and `Cgroup` is transparent over `struct cgroup`;
        // the caller's reference moves into the `ARef`.
        unsafe { ARef::from_raw(NonNull::new_unchecked(ptr.cast())) }
    }

    /// Returns a raw pointer to the C `struct cgroup`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// let root = Cgroup::root();
    /// assert!(!root.as_raw().is_null());
    /// ```
    pub fn as_raw(&self) -> *mut bindings::cgroup {
        self.0.get()
    }

    /// The root of the default hierarchy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// // One root, however often asked for.
    /// assert_eq!(Cgroup::root().as_raw(), Cgroup::root().as_raw());
    /// ```
    pub fn root() -> ARef<Self> {
        // SAFETY: The root of the default hierarchy is never freed, so
        // taking a reference on it is always allowed.
        unsafe {
            let root = ptr::addr_of_mut!(bindings::cgrp_dfl_root.cgrp);
            bindings::cgroup_get(root);
            Self::from_owned(root)
        }
    }

    /// The cgroup of the calling task on the default hierarchy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// // KUnit runs in a kernel thread, and kernel threads stay in the root.
    /// assert_eq!(Cgroup::current().as_raw(), Cgroup::root().as_raw());
    /// ```
    pub fn current() -> ARef<Self> {
        // SAFETY: Under RCU the task's css_set, and with it its cgroup, stays
        // valid; the cgroup may be dying concurrently, hence the tryget.
        unsafe {
            bindings::rcu_read_lock();
            let cgrp = loop {
                let cgrp = bindings::task_dfl_cgroup(bindings::get_current());
                if bindings::cgroup_tryget(cgrp) {
                    break cgrp;
                }
            };
            bindings::rcu_read_unlock();
            Self::from_owned(cgrp)
        }
    }

    /// The cgroup whose directory the calling task opened as `fd`.
    ///
    /// Fails with `EBADF` if `fd` is not open or is not a cgroup directory,
    /// and with `EINVAL` if the cgroup is not on the default hierarchy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// // KUnit runs in a kernel thread, which has no open files.
    /// assert_eq!(Cgroup::from_fd(3).err(), Some(EBADF));
    /// assert_eq!(Cgroup::from_fd(-1).err(), Some(EBADF));
    /// ```
    pub fn from_fd(fd: i32) -> Result<ARef<Self>> {
        Ok(CgroupDir::from_fd(fd)?.cgroup)
    }

    /// The cgroup's id, the inode number of its directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// // The root's directory is the first inode of the hierarchy.
    /// assert_eq!(Cgroup::root().id(), 1);
    /// ```
    pub fn id(&self) -> u64 {
        // SAFETY: `self` is a valid cgroup.
        unsafe { bindings::cgroup_id(self.0.get()) }
    }

    /// Whether the cgroup is on the default (v2) hierarchy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// assert!(Cgroup::root().is_on_default_hierarchy());
    /// assert!(Cgroup::current().is_on_default_hierarchy());
    /// ```
    pub fn is_on_default_hierarchy(&self) -> bool {
        // SAFETY: `self` is a valid cgroup and the default root is static.
        unsafe { (*self.0.get()).root == ptr::addr_of_mut!(bindings::cgrp_dfl_root) }
    }
}

/// An open cgroup directory of the default hierarchy: a cgroup, and the file
/// through which the calling task named it.
///
/// # Examples
///
/// A driver's ioctl that changes a cgroup's setting, given the cgroup's
/// directory, lets only those who may change the directory do it:
///
/// ```
/// use core::sync::atomic::{AtomicI32, Ordering};
/// use kernel::capability::{capable, CAP_SYS_ADMIN};
/// use kernel::cgroup::{CgroupData, CgroupDir, Registration};
///
/// struct Limit(AtomicI32);
///
/// impl CgroupData for Limit {
///     fn new() -> Result<Self> {
///         Ok(Limit(AtomicI32::new(0)))
///     }
/// }
///
/// fn set_limit(reg: &Registration<Limit>, cgroup_fd: i32, value: i32) -> Result {
///     let dir = CgroupDir::from_fd(cgroup_fd)?;
///     if !dir.may_write() && !capable(CAP_SYS_ADMIN) {
///         return Err(EACCES);
///     }
///     reg.get(dir.cgroup())?.0 .0.store(value, Ordering::Relaxed);
///     Ok(())
/// }
///
/// let reg = Registration::<Limit>::new()?;
/// assert_eq!(set_limit(&reg, -1, 5), Err(EBADF));
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `file` holds a reference on an open directory of `cgroup`.
pub struct CgroupDir {
    file: FileRef,
    cgroup: ARef<Cgroup>,
}

impl CgroupDir {
    /// The directory that the calling task opened as `fd`.
    ///
    /// Fails with `EBADF` if `fd` is not open or is not a cgroup directory,
    /// with `ENOTDIR` if it is not a directory, and with `EINVAL` if the
    /// cgroup is not on the default hierarchy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::CgroupDir;
    ///
    /// // No file descriptor is negative, nor this large.
    /// assert_eq!(CgroupDir::from_fd(-1).err(), Some(EBADF));
    /// assert_eq!(CgroupDir::from_fd(i32::MAX).err(), Some(EBADF));
    /// ```
    pub fn from_fd(fd: i32) -> Result<Self> {
        let raw_fd = u32::try_from(fd).map_err(|_| EBADF)?;
        // SAFETY: `fget_raw` takes a reference on the file, if any.
        let file = NonNull::new(unsafe { bindings::fget_raw(raw_fd) }).ok_or(EBADF)?;
        let file = FileRef(file);
        // SAFETY: `file` is valid; a cgroup directory keeps its inode.
        let mode = unsafe { (*(*file.0.as_ptr()).f_inode).i_mode };
        if u32::from(mode) & bindings::S_IFMT != bindings::S_IFDIR {
            return Err(ENOTDIR);
        }
        // SAFETY: `fd` is open; the cgroup core takes a reference on the cgroup.
        let cgrp = from_err_ptr(unsafe { bindings::cgroup_v1v2_get_from_fd(fd) })?;
        // SAFETY: `cgrp` is valid and we own the reference just taken.
        let cgroup = unsafe { Cgroup::from_owned(cgrp) };
        if !cgroup.is_on_default_hierarchy() {
            return Err(EINVAL);
        }
        // INVARIANT: `file` is an open directory of `cgroup`.
        Ok(Self { file, cgroup })
    }

    /// The cgroup of the directory.
    ///
    /// # Examples
    ///
    /// The directory's file can be let go while the cgroup is kept:
    ///
    /// ```
    /// use kernel::cgroup::{Cgroup, CgroupDir};
    /// use kernel::types::ARef;
    ///
    /// fn keep_cgroup(fd: i32) -> Result<ARef<Cgroup>> {
    ///     let dir = CgroupDir::from_fd(fd)?;
    ///     Ok(dir.cgroup().into())
    /// }
    ///
    /// assert_eq!(keep_cgroup(-1).err(), Some(EBADF));
    /// ```
    pub fn cgroup(&self) -> &Cgroup {
        &self.cgroup
    }

    /// Whether the calling task may write to the cgroup's directory, as it
    /// may create and remove cgroups in it. Owning the directory, which is
    /// how a cgroup is delegated, grants it.
    ///
    /// # Examples
    ///
    /// Reading a setting needs no more than naming the cgroup; changing it
    /// needs the right to write:
    ///
    /// ```
    /// use kernel::cgroup::CgroupDir;
    ///
    /// fn open_for(fd: i32, write: bool) -> Result<CgroupDir> {
    ///     let dir = CgroupDir::from_fd(fd)?;
    ///     if write && !dir.may_write() {
    ///         return Err(EACCES);
    ///     }
    ///     Ok(dir)
    /// }
    ///
    /// assert_eq!(open_for(-1, true).err(), Some(EBADF));
    /// ```
    pub fn may_write(&self) -> bool {
        // SAFETY: `file` is a valid, open file (type invariant).
        unsafe {
            let file = self.file.0.as_ptr();
            bindings::inode_permission(
                bindings::file_mnt_idmap(file),
                (*file).f_inode,
                bindings::MAY_WRITE as i32,
            ) == 0
        }
    }
}

/// A reference on a `struct file`, dropped with `fput`.
struct FileRef(NonNull<bindings::file>);

impl Drop for FileRef {
    fn drop(&mut self) {
        // SAFETY: We own a reference on the file.
        unsafe { bindings::fput(self.0.as_ptr()) };
    }
}

/// The data that a driver keeps on each cgroup.
///
/// It is shared by every user of the cgroup, so it is [`Sync`] and changes
/// through interior mutability (atomics, locks).
///
/// # Examples
///
/// A constructor that fails is reported by [`Registration::get`], and
/// nothing is stored:
///
/// ```
/// use kernel::cgroup::{Cgroup, CgroupData, Registration};
///
/// struct Unavailable;
///
/// impl CgroupData for Unavailable {
///     fn new() -> Result<Self> {
///         Err(ENODEV)
///     }
/// }
///
/// let reg = Registration::<Unavailable>::new()?;
/// let cgroup = Cgroup::current();
/// assert_eq!(reg.get(&cgroup).err(), Some(ENODEV));
/// assert!(reg.find(&cgroup)?.is_none());
/// # Ok::<(), Error>(())
/// ```
pub trait CgroupData: Send + Sync + Sized {
    /// Builds the data of a cgroup that has none yet. Called without locks
    /// held: it may sleep. An error is returned by [`Registration::get`].
    ///
    /// # Examples
    ///
    /// It is called once per cgroup and registration:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU32, Ordering};
    /// use kernel::cgroup::{Cgroup, CgroupData, Registration};
    ///
    /// static BUILT: AtomicU32 = AtomicU32::new(0);
    ///
    /// struct Counted;
    ///
    /// impl CgroupData for Counted {
    ///     fn new() -> Result<Self> {
    ///         BUILT.fetch_add(1, Ordering::Relaxed);
    ///         Ok(Counted)
    ///     }
    /// }
    ///
    /// let reg = Registration::<Counted>::new()?;
    /// let cgroup = Cgroup::current();
    /// reg.get(&cgroup)?;
    /// reg.get(&cgroup)?;
    /// assert_eq!(BUILT.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Error>(())
    /// ```
    fn new() -> Result<Self>;
}

/// The allocation behind each object: the core's header, then the data.
#[repr(C)]
struct Node<T> {
    header: bindings::cgroup_driver_data,
    data: T,
}

/// A registration of cgroup driver data of type `T`, typically one per
/// device. Dropping it frees the data of every cgroup.
///
/// # Invariants
///
/// `drv` is a live handle of the core, created with `funcs`, whose
/// functions build and free `Node<T>`s.
///
/// # Examples
///
/// A device keeps its registration, and reads the defaults for cgroups that
/// never set anything:
///
/// ```
/// use core::sync::atomic::{AtomicI32, Ordering};
/// use kernel::cgroup::{Cgroup, CgroupData, Registration};
///
/// struct Boost(AtomicI32);
///
/// impl CgroupData for Boost {
///     fn new() -> Result<Self> {
///         Ok(Boost(AtomicI32::new(0)))
///     }
/// }
///
/// struct Device {
///     boosts: Registration<Boost>,
/// }
///
/// impl Device {
///     fn boost_of_current(&self) -> Result<i32> {
///         let cgroup = Cgroup::current();
///         let boost = self.boosts.find(&cgroup)?;
///         Ok(boost.map_or(0, |b| b.0.load(Ordering::Relaxed)))
///     }
/// }
///
/// let device = Device { boosts: Registration::new()? };
/// assert_eq!(device.boost_of_current()?, 0);
/// // Dropping the device releases the registration and all its data.
/// drop(device);
/// # Ok::<(), Error>(())
/// ```
pub struct Registration<T: CgroupData> {
    drv: NonNull<bindings::cgroup_driver>,
    /// Dropped after `drv` is released: fields drop after `Drop::drop`.
    _funcs: KBox<bindings::cgroup_driver_funcs>,
    _data: PhantomData<T>,
}

// SAFETY: The core may be called from any thread, and `T` is `Send + Sync`.
unsafe impl<T: CgroupData> Send for Registration<T> {}

// SAFETY: `get` only needs `&self`, and the core serialises what it must.
unsafe impl<T: CgroupData> Sync for Registration<T> {}

impl<T: CgroupData> Registration<T> {
    /// Registers with the core.
    ///
    /// # Examples
    ///
    /// Two registrations, as for two devices, never see each other's data:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use kernel::cgroup::{Cgroup, CgroupData, Registration};
    ///
    /// struct Budget(AtomicU64);
    ///
    /// impl CgroupData for Budget {
    ///     fn new() -> Result<Self> {
    ///         Ok(Budget(AtomicU64::new(1000)))
    ///     }
    /// }
    ///
    /// let gpu0 = Registration::<Budget>::new()?;
    /// let gpu1 = Registration::<Budget>::new()?;
    /// let cgroup = Cgroup::current();
    /// gpu0.get(&cgroup)?.0 .0.store(10, Ordering::Relaxed);
    /// assert_eq!(gpu1.get(&cgroup)?.0 .0.load(Ordering::Relaxed), 1000);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new() -> Result<Self> {
        let funcs = KBox::new(
            bindings::cgroup_driver_funcs {
                alloc_data: Some(Self::alloc_data),
                free_data: Some(Self::free_data),
            },
            flags::GFP_KERNEL,
        )?;
        let raw = ptr::from_ref(&*funcs).cast_mut();
        // SAFETY: `funcs` is valid and, boxed, outlives the handle: `drop`
        // releases the handle before the box goes.
        let drv = from_err_ptr(unsafe { bindings::cgroup_driver_init(raw) })?;
        // INVARIANT: `drv` is a live handle created with `funcs`.
        Ok(Self {
            drv: NonNull::new(drv).ok_or(ENOMEM)?,
            _funcs: funcs,
            _data: PhantomData,
        })
    }

    /// The data of `cgroup`, built by [`CgroupData::new`] if it had none,
    /// and whether this call built it.
    ///
    /// Fails with `EINVAL` if `cgroup` is not on the default hierarchy, or
    /// with the error of [`CgroupData::new`].
    ///
    /// # Examples
    ///
    /// Only the call that built the data is told so, and what it stores
    /// stays:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicBool, Ordering};
    /// use kernel::cgroup::{Cgroup, CgroupData, Registration};
    ///
    /// struct Throttled(AtomicBool);
    ///
    /// impl CgroupData for Throttled {
    ///     fn new() -> Result<Self> {
    ///         Ok(Throttled(AtomicBool::new(false)))
    ///     }
    /// }
    ///
    /// let reg = Registration::<Throttled>::new()?;
    /// let cgroup = Cgroup::root();
    /// let (throttled, new) = reg.get(&cgroup)?;
    /// assert!(new);
    /// throttled.0.store(true, Ordering::Relaxed);
    /// let (throttled, new) = reg.get(&cgroup)?;
    /// assert!(!new);
    /// assert!(throttled.0.load(Ordering::Relaxed));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn get<'a>(&'a self, cgroup: &'a Cgroup) -> Result<(&'a T, bool)> {
        let mut is_new = false;
        // SAFETY: `drv` is live and the caller holds a reference on `cgroup`
        // for as long as `'a`.
        let header = from_err_ptr(unsafe {
            bindings::cgroup_driver_get_data(self.drv.as_ptr(), cgroup.as_raw(), &mut is_new)
        })?;
        // SAFETY: `header` is an object of `drv`; it lives while `cgroup` is
        // referenced and `self` not dropped, both for `'a`.
        Ok((unsafe { Self::data_of(header) }, is_new))
    }

    /// The data of `cgroup` if it has any; never builds it.
    ///
    /// Fails with `EINVAL` if `cgroup` is not on the default hierarchy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::{Cgroup, CgroupData, Registration};
    ///
    /// struct Seen;
    ///
    /// impl CgroupData for Seen {
    ///     fn new() -> Result<Self> {
    ///         Ok(Seen)
    ///     }
    /// }
    ///
    /// let reg = Registration::<Seen>::new()?;
    /// let cgroup = Cgroup::current();
    /// assert!(reg.find(&cgroup)?.is_none());
    /// reg.get(&cgroup)?;
    /// assert!(reg.find(&cgroup)?.is_some());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn find<'a>(&'a self, cgroup: &'a Cgroup) -> Result<Option<&'a T>> {
        // SAFETY: As in `get`.
        let header = from_err_ptr(unsafe {
            bindings::cgroup_driver_find_data(self.drv.as_ptr(), cgroup.as_raw())
        })?;
        if header.is_null() {
            return Ok(None);
        }
        // SAFETY: As in `get`.
        Ok(Some(unsafe { Self::data_of(header) }))
    }

    /// The data around `header`.
    ///
    /// # Safety
    ///
    /// `header` is an object of `self.drv`, which lives for `'a`.
    unsafe fn data_of<'a>(header: *mut bindings::cgroup_driver_data) -> &'a T {
        // SAFETY: Every object of `drv` is a `Node<T>` built by `alloc_data`.
        let node = unsafe { &*crate::container_of!(header, Node<T>, header) };
        &node.data
    }

    /// Builds a `Node<T>` for the core: `alloc_data` of `funcs`.
    ///
    /// # Safety
    ///
    /// Called by the core only, with the handle that `funcs` was registered with.
    unsafe extern "C" fn alloc_data(
        _drv: *mut bindings::cgroup_driver,
    ) -> *mut bindings::cgroup_driver_data {
        let node = T::new().and_then(|data| {
            let mut node = KBox::<Node<T>>::new_uninit(flags::GFP_KERNEL)?;
            let raw: *mut Node<T> = MaybeUninit::as_mut_ptr(&mut node);
            // SAFETY: `raw` is valid for writes; the core fills in the
            // header, and zeroes are a valid header meanwhile.
            unsafe {
                ptr::addr_of_mut!((*raw).header).write_bytes(0, 1);
                ptr::addr_of_mut!((*raw).data).write(data);
            }
            // SAFETY: Both fields were initialised above.
            Ok::<_, Error>(unsafe { node.assume_init() })
        });
        match node {
            // SAFETY: The header is the first field of the leaked node.
            Ok(node) => unsafe { ptr::addr_of_mut!((*KBox::into_raw(node)).header) },
            Err(e) => e.to_ptr(),
        }
    }

    /// Frees a `Node<T>` for the core: `free_data` of `funcs`.
    ///
    /// # Safety
    ///
    /// `header` is the header of a node that `alloc_data` built, handed back
    /// by the core once.
    unsafe extern "C" fn free_data(header: *mut bindings::cgroup_driver_data) {
        // SAFETY: `header` is the header of a `Node<T>` that `alloc_data`
        // leaked, and the core hands it back exactly once.
        drop(unsafe { KBox::from_raw(crate::container_of!(header, Node<T>, header).cast_mut()) });
    }
}

impl<T: CgroupData> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: `drv` is live, and no borrow from `get` outlives `self`.
        unsafe { bindings::cgroup_driver_release(self.drv.as_ptr()) };
    }
}
