// SPDX-License-Identifier: GPL-2.0

//! Cgroups, and driver data kept on them.
//!
//! [`Cgroup`] is a reference-counted cgroup, available with cgroups. With
//! the core, `CONFIG_CGROUP_DRIVER_CORE` (which a driver's `select
//! CGROUP_DRIVER` builds wherever there are cgroups and Rust), a driver that
//! keeps its own data on each cgroup declares the type of that data,
//! implements [`CgroupData`] for it and creates a [`Registration`] per
//! device. [`Registration::get`] then finds,
//! or builds on first use, the data of any cgroup of the default (v2)
//! hierarchy.
//!
//! C headers: [`include/linux/cgroup.h`](srctree/include/linux/cgroup.h) and
//! [`include/linux/cgroup_driver.h`](srctree/include/linux/cgroup_driver.h).

#[cfg(CONFIG_CGROUP_DRIVER_CORE)]
use crate::error::{from_err_ptr, Result};
use crate::{
    bindings,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{ptr, ptr::NonNull};

#[cfg(CONFIG_CGROUP_DRIVER_CORE)]
mod data;
#[cfg(CONFIG_CGROUP_DRIVER_CORE)]
pub use data::{CgroupData, Registration};

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
    #[cfg(CONFIG_CGROUP_DRIVER_CORE)]
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
    /// use kernel::{cgroup::{Cgroup, CgroupData, Registration}, ThisModule};
    /// # // SAFETY: Doctests are built in, where C's `THIS_MODULE` is NULL.
    /// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
    ///
    /// struct Limit(AtomicI32);
    ///
    /// impl CgroupData for Limit {
    ///     type Context = ();
    ///
    ///     fn new(_context: &()) -> impl PinInit<Self, Error> {
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
    /// let reg = Registration::<Limit>::new(&THIS_MODULE, ())?;
    /// assert_eq!(set_limit(&reg, -1, 5), Err(EBADF));
    /// # Ok::<(), Error>(())
    /// ```
    #[cfg(CONFIG_CGROUP_DRIVER_CORE)]
    pub fn from_fd_to_configure(fd: i32) -> Result<ARef<Self>> {
        Self::lookup_fd(fd, true)
    }

    #[cfg(CONFIG_CGROUP_DRIVER_CORE)]
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
    /// use kernel::cgroup::Cgroup;
    ///
    /// /// `own` is the value that a cgroup set, if any.
    /// fn effective(cgroup: &Cgroup, own: impl Fn(&Cgroup) -> Option<i32>) -> i32 {
    ///     cgroup
    ///         .ancestors()
    ///         .filter(|cg| cg.parent().is_some())
    ///         .filter_map(own)
    ///         .fold(i32::MAX, i32::min)
    /// }
    ///
    /// let root = Cgroup::root();
    /// assert_eq!(root.ancestors().count(), 1);
    /// // The root's own value bounds nothing.
    /// assert_eq!(effective(&root, |_| Some(5)), i32::MAX);
    /// ```
    pub fn ancestors(&self) -> impl Iterator<Item = &Cgroup> {
        core::iter::successors(Some(self), |cgroup| cgroup.parent())
    }

    /// The cgroup, then each of its descendants, every parent before its
    /// children, each with a reference: a walk that takes no lock, for
    /// listing what a driver keeps on a subtree.
    ///
    /// Cgroups created or removed during the walk may or may not be in it;
    /// removing a cgroup that the walk holds does not end it. Removed
    /// cgroups that something still holds a reference on are in it, as
    /// their driver data is: the core frees that with the cgroup.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::Cgroup;
    ///
    /// let root = Cgroup::root();
    /// let mut walk = root.descendants();
    /// assert_eq!(walk.next().map(|c| c.id()), Some(1));
    /// // Every other cgroup is below the root.
    /// assert!(walk.all(|c| c.ancestors().any(|a| a.as_raw() == root.as_raw())));
    /// ```
    pub fn descendants(&self) -> impl Iterator<Item = ARef<Cgroup>> + '_ {
        core::iter::successors(self.next_descendant(None), |pos| {
            self.next_descendant(Some(pos))
        })
    }

    /// The first descendant after `pos` in a pre-order walk of `self`'s
    /// subtree, or `self` itself without `pos`, that a reference can still
    /// be taken on.
    fn next_descendant(&self, pos: Option<&Cgroup>) -> Option<ARef<Cgroup>> {
        let root = self.css();
        let mut css = pos.map_or(ptr::null_mut(), Cgroup::css);
        // SAFETY: `css_next_descendant_pre()` needs RCU, `pos` to be a
        // descendant of `root`, which it returned before, and both to be
        // accessible, which their references make them, even if `pos` has
        // been removed since. Under RCU, each css it returns stays valid,
        // with its cgroup, until the tryget: one that fails is dying, and the
        // walk goes on past it.
        unsafe {
            bindings::rcu_read_lock();
            let next = loop {
                css = bindings::css_next_descendant_pre(css, root);
                if css.is_null() {
                    break None;
                }
                if bindings::cgroup_tryget((*css).cgroup) {
                    break Some(Self::from_owned((*css).cgroup));
                }
            };
            bindings::rcu_read_unlock();
            next
        }
    }

    /// The cgroup's own css, which the walks of its subtree start from.
    fn css(&self) -> *mut bindings::cgroup_subsys_state {
        // SAFETY: `self` is a valid cgroup; no reference is made.
        unsafe { ptr::addr_of_mut!((*self.0.get()).self_) }
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
