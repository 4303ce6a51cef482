// SPDX-License-Identifier: GPL-2.0

//! Driver data on cgroups: the safe API of `<linux/cgroup_driver.h>`.

use super::Cgroup;
use crate::{
    alloc::{flags, KBox},
    bindings,
    error::{code::*, from_err_ptr, Error, Result},
    init::PinInit,
    ThisModule,
};
use core::{marker::PhantomData, mem::MaybeUninit, ptr, ptr::NonNull};

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
/// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
/// use kernel::{new_mutex, sync::Mutex};
/// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
///
/// #[pin_data]
/// struct Recent {
///     #[pin]
///     ids: Mutex<KVec<u32>>,
/// }
///
/// impl CgroupData for Recent {
///     type Context = ();
///
///     fn new(_context: &()) -> impl PinInit<Self, Error> {
///         try_pin_init!(Recent {
///             ids <- new_mutex!(KVec::new()),
///         })
///     }
/// }
///
/// let reg = Registration::<Recent>::new(&THIS_MODULE, ())?;
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
/// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
/// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
///
/// struct Unavailable;
///
/// impl CgroupData for Unavailable {
///     type Context = ();
///
///     fn new(_context: &()) -> impl PinInit<Self, Error> {
///         // SAFETY: The closure fails without initialising anything.
///         unsafe { kernel::init::pin_init_from_closure(|_| Err(ENODEV)) }
///     }
/// }
///
/// let reg = Registration::<Unavailable>::new(&THIS_MODULE, ())?;
/// let cgroup = Cgroup::current();
/// assert_eq!(reg.get(&cgroup).err(), Some(ENODEV));
/// assert!(reg.find(&cgroup)?.is_none());
/// # Ok::<(), Error>(())
/// ```
pub trait CgroupData: Send + Sync + Sized + 'static {
    /// What the registration keeps for [`CgroupData::new`]: the device's
    /// defaults, for example. Use `()` for none.
    type Context: Send + Sync;

    /// Builds the data of a cgroup that has none yet, from the context of
    /// its registration. Called without locks held: it may sleep. An error
    /// is returned by [`Registration::get`].
    ///
    /// # Examples
    ///
    /// It is called once per cgroup and registration:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU32, Ordering};
    /// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
    /// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    ///
    /// static BUILT: AtomicU32 = AtomicU32::new(0);
    ///
    /// struct Counted;
    ///
    /// impl CgroupData for Counted {
    ///     type Context = ();
    ///
    ///     fn new(_context: &()) -> impl PinInit<Self, Error> {
    ///         BUILT.fetch_add(1, Ordering::Relaxed);
    ///         Counted
    ///     }
    /// }
    ///
    /// let reg = Registration::<Counted>::new(&THIS_MODULE, ())?;
    /// let cgroup = Cgroup::current();
    /// reg.get(&cgroup)?;
    /// reg.get(&cgroup)?;
    /// assert_eq!(BUILT.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Error>(())
    /// ```
    fn new(context: &Self::Context) -> impl PinInit<Self, Error>;
}

/// The allocation behind each object: the core's header, then the data.
#[repr(C)]
struct Node<T> {
    header: bindings::cgroup_driver_data,
    data: T,
}

/// A registration of cgroup driver data of type `T`, typically one per
/// device, with the context that builds each cgroup's data. Dropping it
/// frees the data of every cgroup, and sleeps until it is done. Leaking it
/// (with `mem::forget`, say) is safe: the core releases whatever a module
/// left registered when the module goes, so it never calls a module that is
/// gone, and a registration never keeps its module loaded; the context is
/// then leaked with it.
///
/// `T` may hold references that lead back to the registration, such as an
/// [`Arc`] of the device that owns it: the drop of a `T` may drop the
/// registration. The data of removed cgroups is dropped on the cgroup free
/// workqueue, where every cgroup of the system waits for it, so dropping a
/// `T` must not block for long. The data of the root cgroup is dropped only
/// with the registration, so a `T` there that keeps its own registration
/// alive keeps it forever.
///
/// [`Arc`]: crate::sync::Arc
///
/// # Invariants
///
/// `drv` is a live handle of the core, whose functions build and free
/// `Node<T>`s, and whose context points to `context`.
///
/// # Examples
///
/// A device keeps its registration, and reads the defaults for cgroups that
/// never set anything:
///
/// ```
/// use core::sync::atomic::{AtomicI32, Ordering};
/// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
/// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
///
/// struct Boost(AtomicI32);
///
/// impl CgroupData for Boost {
///     type Context = ();
///
///     fn new(_context: &()) -> impl PinInit<Self, Error> {
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
/// let device = Device { boosts: Registration::new(&THIS_MODULE, ())? };
/// assert_eq!(device.boost_of_current()?, 0);
/// // Dropping the device releases the registration and all its data.
/// drop(device);
/// # Ok::<(), Error>(())
/// ```
pub struct Registration<T: CgroupData> {
    drv: NonNull<bindings::cgroup_driver>,
    context: KBox<T::Context>,
    _data: PhantomData<T>,
}

// SAFETY: The core may be called from any thread, and `T` is `Send + Sync`.
unsafe impl<T: CgroupData> Send for Registration<T> {}

// SAFETY: `get` only needs `&self`, and the core serialises what it must.
unsafe impl<T: CgroupData> Sync for Registration<T> {}

impl<T: CgroupData> Registration<T> {
    /// Registers with the core on behalf of `module`, the module that calls
    /// it, whose leftovers the core releases when it goes. `context` is
    /// given to [`CgroupData::new`] for each cgroup.
    ///
    /// # Examples
    ///
    /// Two registrations, as for two devices, never see each other's data,
    /// and each builds it from its own device's defaults:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
    /// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    ///
    /// struct Budget(AtomicU64);
    ///
    /// /// A device's budget for cgroups that set none.
    /// struct DefaultBudget(u64);
    ///
    /// impl CgroupData for Budget {
    ///     type Context = DefaultBudget;
    ///
    ///     fn new(default: &DefaultBudget) -> impl PinInit<Self, Error> {
    ///         Budget(AtomicU64::new(default.0))
    ///     }
    /// }
    ///
    /// let gpu0 = Registration::<Budget>::new(&THIS_MODULE, DefaultBudget(1000))?;
    /// let gpu1 = Registration::<Budget>::new(&THIS_MODULE, DefaultBudget(500))?;
    /// let cgroup = Cgroup::current();
    /// gpu0.get(&cgroup)?.0 .0.store(10, Ordering::Relaxed);
    /// assert_eq!(gpu1.get(&cgroup)?.0 .0.load(Ordering::Relaxed), 500);
    /// assert_eq!(gpu1.context().0, 500);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(module: &'static ThisModule, context: T::Context) -> Result<Self> {
        let context = KBox::new(context, flags::GFP_KERNEL)?;
        let funcs = bindings::cgroup_driver_funcs {
            alloc_data: Some(Self::alloc_data),
            free_data: Some(Self::free_data),
            owner: module.as_ptr(),
        };
        // SAFETY: The core copies `funcs`; the context outlives the handle,
        // which `drop` releases before the box is freed.
        let drv = from_err_ptr(unsafe {
            bindings::cgroup_driver_init_priv(
                &funcs,
                ptr::from_ref::<T::Context>(&context).cast_mut().cast(),
            )
        })?;
        // INVARIANT: `drv` is a live handle with these functions and context.
        Ok(Self {
            drv: NonNull::new(drv).ok_or(ENOMEM)?,
            context,
            _data: PhantomData,
        })
    }

    /// The context that builds each cgroup's data.
    pub fn context(&self) -> &T::Context {
        &self.context
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
    /// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
    /// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    ///
    /// struct Throttled(AtomicBool);
    ///
    /// impl CgroupData for Throttled {
    ///     type Context = ();
    ///
    ///     fn new(_context: &()) -> impl PinInit<Self, Error> {
    ///         Throttled(AtomicBool::new(false))
    ///     }
    /// }
    ///
    /// let reg = Registration::<Throttled>::new(&THIS_MODULE, ())?;
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
    /// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
    /// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    ///
    /// struct Seen;
    ///
    /// impl CgroupData for Seen {
    ///     type Context = ();
    ///
    ///     fn new(_context: &()) -> impl PinInit<Self, Error> {
    ///         Seen
    ///     }
    /// }
    ///
    /// let reg = Registration::<Seen>::new(&THIS_MODULE, ())?;
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
        // Only its data is borrowed: the core changes the header meanwhile.
        unsafe { &*ptr::addr_of!((*crate::container_of!(header, Node<T>, header)).data) }
    }

    /// Builds a `Node<T>` for the core: `alloc_data` of `funcs`.
    ///
    /// # Safety
    ///
    /// Called by the core only, with the handle that `funcs` was registered with.
    unsafe extern "C" fn alloc_data(
        drv: *mut bindings::cgroup_driver,
    ) -> *mut bindings::cgroup_driver_data {
        // SAFETY: `drv` is live, and its context is the registration's
        // `context`, which outlives it (type invariant).
        let context = unsafe { &*bindings::cgroup_driver_priv(drv).cast::<T::Context>() };
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
            T::new(context).__pinned_init(ptr::addr_of_mut!((*node).data))
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
        // The context is dropped after it, once no callback uses it.
        unsafe { bindings::cgroup_driver_release(self.drv.as_ptr()) };
    }
}
