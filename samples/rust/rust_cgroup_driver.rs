// SPDX-License-Identifier: GPL-2.0

//! A GPU-like driver in Rust that keeps, per device and per cgroup, a
//! priority offset and a display boost with cgroup driver data, and applies
//! the offset to the contexts that processes create.
//!
//! Each device is a misc device, `/dev/cgroup_gpu_rust<N>`, that answers the
//! ioctls of `samples/cgroup_driver/cgroup_gpu_drm.h`, like the C DRM sample;
//! the definitions below are that header's, and the selftests, which use the
//! header, run against both samples.

use core::{
    mem::size_of,
    sync::atomic::{AtomicI32, Ordering},
};
use kernel::{
    capability::{capable, CAP_SYS_NICE},
    cgroup::{Cgroup, CgroupData, Registration},
    fmt,
    ioctl::{_IOW, _IOWR},
    miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable},
    module_param_uint, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex},
    types::{ARef, AsBytes, FromBytes},
    uaccess::UserSlice,
};

module! {
    type: RustCgroupGpu,
    name: "rust_cgroup_driver",
    author: "cgroup driver data authors",
    description: "GPU-like Rust sample of cgroup driver data",
    license: "GPL",
}

module_param_uint!(
    DEVICES,
    "devices",
    2,
    "Number of devices to create (default: 2, at most 64)"
);

const PRIORITY_MIN: i32 = -1023;
const PRIORITY_MAX: i32 = 1023;
const PARAM_PRIORITY_OFFSET: u64 = 1;
const PARAM_DISPBOOST: u64 = 2;
const PARAM_UNSET: u32 = 1 << 0;
const PARAM_EFFECTIVE: u32 = 1 << 1;
const PARAM_IS_SET: u32 = 1 << 2;
const DISPBOOST_MAX: i32 = 100;
const MAX_CONTEXTS: usize = 1024;
/// The most devices, as the DRM sample allows.
const MAX_DEVICES: u32 = 64;

/// `struct cgroup_gpu_param`.
#[repr(C)]
struct CgroupGpuParam {
    cgroup_fd: i32,
    flags: u32,
    param: u64,
    value: i64,
}

/// `struct cgroup_gpu_ctx`.
#[repr(C)]
struct CgroupGpuCtx {
    priority: i32,
    effective: i32,
    ctx_id: u32,
    pad: u32,
}

// SAFETY: Integers only, with no padding between or after them: any bytes
// are a valid value, and every byte is initialised.
unsafe impl FromBytes for CgroupGpuParam {}
// SAFETY: As for `FromBytes` above.
unsafe impl AsBytes for CgroupGpuParam {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl FromBytes for CgroupGpuCtx {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl AsBytes for CgroupGpuCtx {}

/// The DRM sample's driver ioctl numbers: type `'d'`, from
/// `DRM_COMMAND_BASE`, with their direction and size.
const DRM_IOCTL_BASE: u32 = b'd' as u32;
const DRM_COMMAND_BASE: u32 = 0x40;
const IOCTL_SETPARAM: u32 = _IOW::<CgroupGpuParam>(DRM_IOCTL_BASE, DRM_COMMAND_BASE);
const IOCTL_GETPARAM: u32 = _IOWR::<CgroupGpuParam>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 1);
const IOCTL_CTX_CREATE: u32 = _IOWR::<CgroupGpuCtx>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 2);
const IOCTL_CTX_GET: u32 = _IOWR::<CgroupGpuCtx>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 3);

/// A cgroup's value that is not set: unset is not 0.
const UNSET: i32 = i32::MIN;

/// One device's settings for one cgroup, `UNSET` or a value each.
struct Settings {
    priority_offset: AtomicI32,
    dispboost: AtomicI32,
}

impl CgroupData for Settings {
    type Context = ();

    fn new(_context: &()) -> impl PinInit<Self, Error> {
        Settings {
            priority_offset: AtomicI32::new(UNSET),
            dispboost: AtomicI32::new(UNSET),
        }
    }
}

/// A per-cgroup parameter and its range.
#[derive(Clone, Copy)]
enum Param {
    PriorityOffset,
    DispBoost,
}

impl Param {
    fn from_uapi(param: u64) -> Result<Self> {
        match param {
            PARAM_PRIORITY_OFFSET => Ok(Param::PriorityOffset),
            PARAM_DISPBOOST => Ok(Param::DispBoost),
            _ => Err(EINVAL),
        }
    }

    fn check(self, value: i64) -> Result<i32> {
        let (min, max) = match self {
            Param::PriorityOffset => (PRIORITY_MIN, PRIORITY_MAX),
            Param::DispBoost => (0, DISPBOOST_MAX),
        };
        i32::try_from(value)
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or(EINVAL)
    }

    fn of(self, settings: &Settings) -> &AtomicI32 {
        match self {
            Param::PriorityOffset => &settings.priority_offset,
            Param::DispBoost => &settings.dispboost,
        }
    }
}

/// A device: its cgroup data, one registration each.
struct Device {
    settings: Registration<Settings>,
}

impl Device {
    /// `cgroup`'s own value of `param`, or `UNSET`. Takes no lock.
    fn own(&self, cgroup: &Cgroup, param: Param) -> Result<i32> {
        let settings = self.settings.find(cgroup)?;
        Ok(settings.map_or(UNSET, |s| param.of(s).load(Ordering::Relaxed)))
    }

    /// `cgroup`'s effective value of `param`: the lowest value set on the
    /// way up to its top-level ancestor, and no more than the default, 0,
    /// unless that ancestor has a value. Takes no lock.
    fn effective(&self, cgroup: &Cgroup, param: Param) -> Result<i32> {
        let mut effective = None;
        // The root has no value: the walk stops below it.
        for cgroup in cgroup.ancestors().take_while(|c| c.parent().is_some()) {
            let top_level = cgroup.parent().and_then(Cgroup::parent).is_none();
            let bound = match self.own(cgroup, param)? {
                UNSET if top_level => 0,
                UNSET => continue,
                own => own,
            };
            effective = Some(effective.map_or(bound, |e: i32| e.min(bound)));
        }
        Ok(effective.unwrap_or(0))
    }
}

/// A context: it stays with the cgroup its creator was in.
struct Context {
    cgroup: ARef<Cgroup>,
    requested: i32,
}

impl Context {
    /// The context's priority now, with its cgroup's current offset.
    fn effective(&self, device: &Device) -> Result<i32> {
        let offset = device.effective(&self.cgroup, Param::PriorityOffset)?;
        Ok((self.requested + offset).clamp(PRIORITY_MIN, PRIORITY_MAX))
    }
}

/// An open file of a device: the contexts it created, indexed by id.
#[pin_data]
struct OpenFile {
    device: Arc<Device>,
    #[pin]
    contexts: Mutex<KVec<Context>>,
}

impl OpenFile {
    fn setparam(&self, arg: &mut CgroupGpuParam) -> Result {
        let param = Param::from_uapi(arg.param)?;
        let value = match arg.flags {
            0 => param.check(arg.value)?,
            PARAM_UNSET if arg.value == 0 => UNSET,
            _ => return Err(EINVAL),
        };
        let cgroup = Cgroup::from_fd_to_configure(arg.cgroup_fd)?;
        // Unsetting a cgroup that holds nothing allocates nothing.
        let settings = match value {
            UNSET => self.device.settings.find(&cgroup)?,
            _ => Some(self.device.settings.get(&cgroup)?.0),
        };
        if let Some(settings) = settings {
            param.of(settings).store(value, Ordering::Relaxed);
        }
        Ok(())
    }

    fn getparam(&self, arg: &mut CgroupGpuParam) -> Result {
        let param = Param::from_uapi(arg.param)?;
        if arg.flags & !PARAM_EFFECTIVE != 0 {
            return Err(EINVAL);
        }
        let cgroup = Cgroup::from_fd(arg.cgroup_fd)?;
        let own = self.device.own(&cgroup, param)?;
        let value = match (arg.flags, own) {
            (PARAM_EFFECTIVE, _) => self.device.effective(&cgroup, param)?,
            (_, UNSET) => 0,
            (_, own) => own,
        };
        arg.value = value.into();
        if own != UNSET {
            arg.flags |= PARAM_IS_SET;
        }
        Ok(())
    }

    fn ctx_create(&self, arg: &mut CgroupGpuCtx) -> Result {
        if arg.pad != 0 || !(PRIORITY_MIN..=PRIORITY_MAX).contains(&arg.priority) {
            return Err(EINVAL);
        }
        // As i915 and amdgpu: above the default is a privilege.
        if arg.priority > 0 && !capable(CAP_SYS_NICE) {
            return Err(EPERM);
        }
        let context = Context {
            cgroup: Cgroup::current(),
            requested: arg.priority,
        };
        let effective = context.effective(&self.device)?;
        let mut contexts = self.contexts.lock();
        if contexts.len() >= MAX_CONTEXTS {
            return Err(ENOSPC);
        }
        arg.ctx_id = u32::try_from(contexts.len()).map_err(|_| ENOSPC)?;
        contexts.push(context, GFP_KERNEL_ACCOUNT)?;
        arg.effective = effective;
        Ok(())
    }

    fn ctx_get(&self, arg: &mut CgroupGpuCtx) -> Result {
        if arg.pad != 0 {
            return Err(EINVAL);
        }
        let contexts = self.contexts.lock();
        let id = usize::try_from(arg.ctx_id).map_err(|_| ENOENT)?;
        arg.effective = contexts.get(id).ok_or(ENOENT)?.effective(&self.device)?;
        Ok(())
    }
}

/// Runs `op` on the ioctl's argument, copied from user space, and copies
/// it back if the ioctl is `_IOWR`.
fn with_arg<T: FromBytes + AsBytes>(
    arg: usize,
    copy_back: bool,
    op: impl FnOnce(&mut T) -> Result,
) -> Result<isize> {
    let (mut reader, mut writer) = UserSlice::new(arg, size_of::<T>()).reader_writer();
    let mut value = reader.read::<T>()?;
    op(&mut value)?;
    if copy_back {
        writer.write(&value)?;
    }
    Ok(0)
}

#[vtable]
impl MiscDevice for OpenFile {
    type Data = Device;
    type Ptr = Pin<KBox<OpenFile>>;

    fn open(device: &Arc<Device>) -> Result<Self::Ptr> {
        KBox::try_pin_init(
            try_pin_init!(OpenFile {
                device: device.clone(),
                contexts <- new_mutex!(KVec::new()),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    fn ioctl(file: Pin<&OpenFile>, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            IOCTL_SETPARAM => with_arg(arg, false, |p| file.setparam(p)),
            IOCTL_GETPARAM => with_arg(arg, true, |p| file.getparam(p)),
            IOCTL_CTX_CREATE => with_arg(arg, true, |c| file.ctx_create(c)),
            IOCTL_CTX_GET => with_arg(arg, true, |c| file.ctx_get(c)),
            _ => Err(ENOTTY),
        }
    }
}

static FOPS: MiscDeviceVtable<OpenFile> = MiscDeviceVtable::new(&THIS_MODULE);

struct RustCgroupGpu {
    _devices: KVec<MiscDeviceRegistration<OpenFile>>,
}

impl kernel::Module for RustCgroupGpu {
    fn init(module: &'static ThisModule) -> Result<Self> {
        if DEVICES.get() > MAX_DEVICES {
            return Err(EINVAL);
        }
        let mut devices = KVec::new();
        for index in 0..DEVICES.get() {
            let device = Arc::new(
                Device {
                    settings: Registration::new(module, ())?,
                },
                GFP_KERNEL,
            )?;
            let name = CString::try_from_fmt(fmt!("cgroup_gpu_rust{index}"))?;
            devices.push(
                // Like a DRM render node: any user may open it.
                MiscDeviceRegistration::register(name, 0o666, &FOPS, device)?,
                GFP_KERNEL,
            )?;
        }
        Ok(RustCgroupGpu { _devices: devices })
    }
}
