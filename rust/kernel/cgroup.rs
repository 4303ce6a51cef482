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
    init::PinInit,
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

    /// The cgroup whose directory the calling task opened as `fd`, to read
    /// a driver's settings of it.
    ///
    /// `fd` is looked up once; an `O_PATH` descriptor is enough. Fails with
    /// `EBADF` if `fd` is not open or is not a cgroup directory, `ENOTDIR` if
    /// it is not a directory, `EINVAL` if the cgroup is not on the default
    /// hierarchy and `ENOENT` if it is outside the caller's cgroup namespace
    /// or being removed.
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
        Self::lookup_fd(fd, false)
    }

    /// The cgroup whose directory the calling task opened as `fd`, if the
    /// task may change a driver's settings of it.
    ///
    /// The rules are cgroup v2's for delegation: the settings of a cgroup
    /// belong to whoever may write the directory of its parent (who may
    /// create and remove it), or to a task `capable(CAP_SYS_ADMIN)`. Owning
    /// the cgroup's own directory, as a delegatee does, is not enough. On
    /// top of [`Cgroup::from_fd`]'s errors, fails with `EINVAL` for the root
    /// cgroup, which has no settings, `EPERM` for the root of the caller's
    /// cgroup namespace, and `EACCES` without permission.
    ///
    /// The check and the cgroup come from one lookup of `fd`: another thread
    /// that reuses the number cannot make them name different cgroups.
    ///
    /// # Examples
    ///
    /// A driver's ioctl that changes a cgroup's setting:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicI32, Ordering};
    /// use kernel::cgroup::{Cgroup, CgroupData, Registration};
    ///
    /// struct Limit(AtomicI32);
    ///
    /// impl CgroupData for Limit {
    ///     fn new() -> impl PinInit<Self, Error> {
    ///         Limit(AtomicI32::new(0))
    ///     }
    /// }
    ///
    /// fn set_limit(reg: &Registration<Limit>, cgroup_fd: i32, value: i32) -> Result {
    ///     let cgroup = Cgroup::from_fd_to_configure(cgroup_fd)?;
    ///     reg.get(&cgroup)?.0 .0.store(value, Ordering::Relaxed);
    ///     Ok(())
    /// }
    ///
    /// let reg = Registration::<Limit>::new()?;
    /// assert_eq!(set_limit(&reg, -1, 5), Err(EBADF));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_fd_to_configure(fd: i32) -> Result<ARef<Self>> {
        Self::lookup_fd(fd, true)
    }

    fn lookup_fd(fd: i32, configure: bool) -> Result<ARef<Self>> {
        // SAFETY: The function takes any fd number and returns a cgroup with
        // a reference, or an error pointer.
        let cgrp = from_err_ptr(unsafe { bindings::cgroup_driver_cgroup_from_fd(fd, configure) })?;
        // SAFETY: `cgrp` is valid and we own the reference just taken.
        Ok(unsafe { Self::from_owned(cgrp) })
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

    /// The cgroup's parent, or `None` for the root.
    ///
    /// A cgroup keeps its parent alive, so the parent is borrowed from it
    /// and needs no reference or lock of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// // KUnit runs in a kernel thread, in the root cgroup.
    /// assert!(Cgroup::current().parent().is_none());
    /// ```
    pub fn parent(&self) -> Option<&Cgroup> {
        // SAFETY: `self` is valid.
        let parent = unsafe { bindings::cgroup_parent(self.0.get()) };
        // SAFETY: A cgroup holds a reference on its parent for as long as it
        // lives, so the parent is valid for as long as `self` is borrowed;
        // `Cgroup` is transparent over `struct cgroup`.
        NonNull::new(parent).map(|p| unsafe { &*p.as_ptr().cast::<Cgroup>() })
    }

    /// The cgroup itself, then its ancestors up to the root: a walk that
    /// takes no lock, for settings that a cgroup inherits or that its
    /// ancestors bound.
    ///
    /// # Examples
    ///
    /// A limit that a cgroup may lower for its subtree but never raise, as
    /// `memory.max`: its effective value is the lowest one set on the way
    /// up, and the root has none.
    ///
    /// ```
    /// use core::sync::atomic::{AtomicI32, Ordering};
    /// use kernel::cgroup::{Cgroup, CgroupData, Registration};
    ///
    /// struct Limit(AtomicI32);
    ///
    /// impl CgroupData for Limit {
    ///     fn new() -> impl PinInit<Self, Error> {
    ///         Limit(AtomicI32::new(i32::MAX))
    ///     }
    /// }
    ///
    /// fn effective(reg: &Registration<Limit>, cgroup: &Cgroup) -> Result<i32> {
    ///     let mut limit = i32::MAX;
    ///     for cg in cgroup.ancestors().filter(|cg| cg.parent().is_some()) {
    ///         if let Some(own) = reg.find(cg)? {
    ///             limit = limit.min(own.0.load(Ordering::Relaxed));
    ///         }
    ///     }
    ///     Ok(limit)
    /// }
    ///
    /// let reg = Registration::<Limit>::new()?;
    /// let root = Cgroup::root();
    /// assert_eq!(root.ancestors().count(), 1);
    /// reg.get(&root)?.0 .0.store(5, Ordering::Relaxed);
    /// // The root's own value bounds nothing.
    /// assert_eq!(effective(&reg, &root)?, i32::MAX);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn ancestors(&self) -> impl Iterator<Item = &Cgroup> {
        core::iter::successors(Some(self), |cgroup| cgroup.parent())
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

/// The data that a driver keeps on each cgroup.
///
/// It is shared by every user of the cgroup, so it is [`Sync`] and changes
/// through interior mutability (atomics, locks). It is built in place and
/// never moves, so it may hold a kernel lock.
///
/// # Examples
///
/// Per-cgroup data under a mutex:
///
/// ```
/// use kernel::cgroup::{Cgroup, CgroupData, Registration};
/// use kernel::{new_mutex, sync::Mutex};
///
/// #[pin_data]
/// struct Recent {
///     #[pin]
///     ids: Mutex<KVec<u32>>,
/// }
///
/// impl CgroupData for Recent {
///     fn new() -> impl PinInit<Self, Error> {
///         try_pin_init!(Recent {
///             ids <- new_mutex!(KVec::new()),
///         })
///     }
/// }
///
/// let reg = Registration::<Recent>::new()?;
/// let cgroup = Cgroup::current();
/// reg.get(&cgroup)?.0.ids.lock().push(7, GFP_KERNEL)?;
/// reg.get(&cgroup)?.0.ids.lock().push(8, GFP_KERNEL)?;
/// assert_eq!(reg.find(&cgroup)?.unwrap().ids.lock()[..], [7, 8]);
/// # Ok::<(), Error>(())
/// ```
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
///     fn new() -> impl PinInit<Self, Error> {
///         // SAFETY: The closure fails without initialising anything.
///         unsafe { kernel::init::pin_init_from_closure(|_| Err(ENODEV)) }
///     }
/// }
///
/// let reg = Registration::<Unavailable>::new()?;
/// let cgroup = Cgroup::current();
/// assert_eq!(reg.get(&cgroup).err(), Some(ENODEV));
/// assert!(reg.find(&cgroup)?.is_none());
/// # Ok::<(), Error>(())
/// ```
pub trait CgroupData: Send + Sync + Sized + 'static {
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
    ///     fn new() -> impl PinInit<Self, Error> {
    ///         BUILT.fetch_add(1, Ordering::Relaxed);
    ///         Counted
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
    fn new() -> impl PinInit<Self, Error>;
}

/// The allocation behind each object: the core's header, then the data.
#[repr(C)]
struct Node<T> {
    header: bindings::cgroup_driver_data,
    data: T,
}

/// A registration of cgroup driver data of type `T`, typically one per
/// device. Dropping it frees the data of every cgroup. Leaking it (with
/// `mem::forget`, say) is safe: the core releases whatever a module left
/// registered when the module goes, so it never calls a module that is gone,
/// and a registration never keeps its module loaded.
///
/// # Invariants
///
/// `drv` is a live handle of the core, created with `FUNCS`, whose
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
///     fn new() -> impl PinInit<Self, Error> {
///         Boost(AtomicI32::new(0))
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
    ///     fn new() -> impl PinInit<Self, Error> {
    ///         Budget(AtomicU64::new(1000))
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
        // A promoted constant: in the driver's module, where `T`'s
        // functions are instantiated, so the core finds that module from
        // them and releases this registration when the module goes, even
        // if it was leaked; and a leak leaves no allocation behind.
        let funcs: &'static bindings::cgroup_driver_funcs = &Self::FUNCS;
        // SAFETY: `funcs` is static, and the core only reads it.
        let drv =
            from_err_ptr(unsafe { bindings::cgroup_driver_init(ptr::from_ref(funcs).cast_mut()) })?;
        // INVARIANT: `drv` is a live handle created with `FUNCS`.
        Ok(Self {
            drv: NonNull::new(drv).ok_or(ENOMEM)?,
            _data: PhantomData,
        })
    }

    const FUNCS: bindings::cgroup_driver_funcs = bindings::cgroup_driver_funcs {
        alloc_data: Some(Self::alloc_data),
        free_data: Some(Self::free_data),
    };

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
    ///     fn new() -> impl PinInit<Self, Error> {
    ///         Throttled(AtomicBool::new(false))
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
    ///     fn new() -> impl PinInit<Self, Error> {
    ///         Seen
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
        // SAFETY: `drv` is live and the caller holds a reference on `cgroup`
        // for as long as `'a`.
        let header = from_err_ptr(unsafe {
            bindings::cgroup_driver_find_data(self.drv.as_ptr(), cgroup.as_raw())
        })?;
        if header.is_null() {
            return Ok(None);
        }
        // SAFETY: `header` is an object of `drv`; it lives while `cgroup` is
        // referenced and `self` not dropped, both for `'a`.
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
        // Charged to the memory cgroup of the task that asked first.
        let node = match KBox::<Node<T>>::new_uninit(flags::GFP_KERNEL_ACCOUNT) {
            Ok(node) => KBox::into_raw(node).cast::<Node<T>>(),
            Err(e) => return Error::from(e).to_ptr(),
        };
        // SAFETY: `node` is valid for writes. The core fills in the header,
        // and zeroes are a valid header meanwhile; the data is built in
        // place, where it stays until `free_data`.
        let built = unsafe {
            ptr::addr_of_mut!((*node).header).write_bytes(0, 1);
            T::new().__pinned_init(ptr::addr_of_mut!((*node).data))
        };
        match built {
            // SAFETY: The header is the first field of the node.
            Ok(()) => unsafe { ptr::addr_of_mut!((*node).header) },
            Err(e) => {
                // SAFETY: `node` came from `KBox::into_raw`; its data failed
                // to build, so there is nothing in it to drop.
                drop(unsafe { KBox::from_raw(node.cast::<MaybeUninit<Node<T>>>()) });
                e.to_ptr()
            }
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
