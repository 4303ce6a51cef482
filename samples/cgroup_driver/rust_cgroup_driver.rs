// SPDX-License-Identifier: GPL-2.0

//! A GPU-like driver in Rust that keeps, per device and per cgroup, a
//! priority offset and a display boost with cgroup driver data, and applies
//! the offset to the contexts that processes create.
//!
//! Each device is a misc device, `/dev/cgroup_gpu_rust<N>`, that answers the
//! ioctls of `include/uapi/drm/cgroup_gpu_drm.h`, like the C DRM sample.

use core::{
    mem::size_of,
    sync::atomic::{AtomicI32, Ordering},
};
use kernel::{
    capability::{capable, CAP_SYS_ADMIN},
    cgroup::{Cgroup, CgroupData, CgroupDir, Registration},
    fmt,
    ioctl::{_IOC_NR, _IOC_SIZE},
    miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable},
    module_param_uint, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex},
    uaccess::{UserSlice, UserSliceReader, UserSliceWriter},
    uapi,
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
    "Number of devices to create (default: 2)"
);

const PRIORITY_MIN: i32 = uapi::CGROUP_GPU_PRIORITY_MIN;
const PRIORITY_MAX: i32 = uapi::CGROUP_GPU_PRIORITY_MAX as i32;

/// One device's settings for one cgroup.
struct Settings {
    priority_offset: AtomicI32,
    dispboost: AtomicI32,
}

impl CgroupData for Settings {
    fn new() -> Result<Self> {
        Ok(Settings {
            priority_offset: AtomicI32::new(0),
            dispboost: AtomicI32::new(0),
        })
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
            p if p == u64::from(uapi::CGROUP_GPU_PARAM_PRIORITY_OFFSET) => {
                Ok(Param::PriorityOffset)
            }
            p if p == u64::from(uapi::CGROUP_GPU_PARAM_DISPBOOST) => Ok(Param::DispBoost),
            _ => Err(EINVAL),
        }
    }

    fn check(self, value: i64) -> Result<i32> {
        let (min, max) = match self {
            Param::PriorityOffset => (PRIORITY_MIN, PRIORITY_MAX),
            Param::DispBoost => (0, uapi::CGROUP_GPU_DISPBOOST_MAX as i32),
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

/// An open file of a device: the effective priorities of the contexts it
/// created, indexed by context id.
#[pin_data]
struct OpenFile {
    device: Arc<Device>,
    #[pin]
    contexts: Mutex<KVec<i32>>,
}

impl OpenFile {
    fn setparam(&self, arg: &mut uapi::cgroup_gpu_param) -> Result {
        let param = Param::from_uapi(arg.param)?;
        let value = param.check(arg.value)?;
        if arg.flags != 0 {
            return Err(EINVAL);
        }
        let dir = CgroupDir::from_fd(arg.cgroup_fd)?;
        if !dir.may_write() && !capable(CAP_SYS_ADMIN) {
            return Err(EACCES);
        }
        let (settings, _) = self.device.settings.get(dir.cgroup())?;
        param.of(settings).store(value, Ordering::Relaxed);
        Ok(())
    }

    fn getparam(&self, arg: &mut uapi::cgroup_gpu_param) -> Result {
        let param = Param::from_uapi(arg.param)?;
        if arg.flags != 0 {
            return Err(EINVAL);
        }
        let cgroup = Cgroup::from_fd(arg.cgroup_fd)?;
        arg.value = self.device.settings.find(&cgroup)?.map_or(0, |settings| {
            param.of(settings).load(Ordering::Relaxed).into()
        });
        Ok(())
    }

    fn ctx_create(&self, arg: &mut uapi::cgroup_gpu_ctx) -> Result {
        if arg.pad != 0 || !(PRIORITY_MIN..=PRIORITY_MAX).contains(&arg.priority) {
            return Err(EINVAL);
        }
        let cgroup = Cgroup::current();
        let offset = self.device.settings.find(&cgroup)?.map_or(0, |settings| {
            settings.priority_offset.load(Ordering::Relaxed)
        });
        let effective = (arg.priority + offset).clamp(PRIORITY_MIN, PRIORITY_MAX);
        let mut contexts = self.contexts.lock();
        arg.ctx_id = u32::try_from(contexts.len()).map_err(|_| ENOSPC)?;
        contexts.push(effective, GFP_KERNEL)?;
        arg.effective = effective;
        Ok(())
    }

    fn ctx_get(&self, arg: &mut uapi::cgroup_gpu_ctx) -> Result {
        if arg.pad != 0 {
            return Err(EINVAL);
        }
        let contexts = self.contexts.lock();
        let id = usize::try_from(arg.ctx_id).map_err(|_| ENOENT)?;
        arg.effective = *contexts.get(id).ok_or(ENOENT)?;
        Ok(())
    }
}

/// An ioctl argument of the uAPI, copied field by field.
trait IoctlArg: Sized {
    fn read(reader: &mut UserSliceReader) -> Result<Self>;
    fn write(&self, writer: &mut UserSliceWriter) -> Result;
}

impl IoctlArg for uapi::cgroup_gpu_param {
    fn read(reader: &mut UserSliceReader) -> Result<Self> {
        Ok(Self {
            cgroup_fd: reader.read()?,
            flags: reader.read()?,
            param: reader.read()?,
            value: reader.read()?,
        })
    }

    fn write(&self, writer: &mut UserSliceWriter) -> Result {
        writer.write(&self.cgroup_fd)?;
        writer.write(&self.flags)?;
        writer.write(&self.param)?;
        writer.write(&self.value)
    }
}

impl IoctlArg for uapi::cgroup_gpu_ctx {
    fn read(reader: &mut UserSliceReader) -> Result<Self> {
        Ok(Self {
            priority: reader.read()?,
            effective: reader.read()?,
            ctx_id: reader.read()?,
            pad: reader.read()?,
        })
    }

    fn write(&self, writer: &mut UserSliceWriter) -> Result {
        writer.write(&self.priority)?;
        writer.write(&self.effective)?;
        writer.write(&self.ctx_id)?;
        writer.write(&self.pad)
    }
}

/// Runs `op` on the ioctl's argument, copied from and back to user space.
fn with_arg<T: IoctlArg>(arg: usize, op: impl FnOnce(&mut T) -> Result) -> Result<isize> {
    let (mut reader, mut writer) = UserSlice::new(arg, size_of::<T>()).reader_writer();
    let mut value = T::read(&mut reader)?;
    op(&mut value)?;
    value.write(&mut writer)?;
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
            GFP_KERNEL,
        )
    }

    fn ioctl(file: Pin<&OpenFile>, cmd: u32, arg: usize) -> Result<isize> {
        // The same numbers as the DRM sample's driver ioctls.
        let param = _IOC_SIZE(cmd) == size_of::<uapi::cgroup_gpu_param>();
        let ctx = _IOC_SIZE(cmd) == size_of::<uapi::cgroup_gpu_ctx>();
        match _IOC_NR(cmd).wrapping_sub(uapi::DRM_COMMAND_BASE) {
            uapi::DRM_CGROUP_GPU_SETPARAM if param => with_arg(arg, |p| file.setparam(p)),
            uapi::DRM_CGROUP_GPU_GETPARAM if param => with_arg(arg, |p| file.getparam(p)),
            uapi::DRM_CGROUP_GPU_CTX_CREATE if ctx => with_arg(arg, |c| file.ctx_create(c)),
            uapi::DRM_CGROUP_GPU_CTX_GET if ctx => with_arg(arg, |c| file.ctx_get(c)),
            _ => Err(ENOTTY),
        }
    }
}

static FOPS: MiscDeviceVtable<OpenFile> = MiscDeviceVtable::new(&THIS_MODULE);

struct RustCgroupGpu {
    _devices: KVec<Pin<KBox<MiscDeviceRegistration<OpenFile>>>>,
}

impl kernel::Module for RustCgroupGpu {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut devices = KVec::new();
        for index in 0..DEVICES.get() {
            let device = Arc::new(
                Device {
                    settings: Registration::new()?,
                },
                GFP_KERNEL,
            )?;
            let name = CString::try_from_fmt(fmt!("cgroup_gpu_rust{index}"))?;
            devices.push(
                MiscDeviceRegistration::register(name, &FOPS, device)?,
                GFP_KERNEL,
            )?;
        }
        Ok(RustCgroupGpu { _devices: devices })
    }
}
