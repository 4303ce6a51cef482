// SPDX-License-Identifier: GPL-2.0

//! A Rust driver whose per-cgroup data holds an [`Arc`] of the device that
//! owns the data's [`Registration`]: a reference cycle that safe Rust
//! allows, and that the core must survive when the cgroup is freed. The
//! kselftests drive it through `/dev/cgroup_driver_rust_kselftest`:
//!
//! - `CYCLE` (argument: a cgroup fd) creates a device, stores an `Arc` of it
//!   in its own data of that cgroup and drops every other reference, so
//!   that the device lives only until the cgroup is freed; its drop then
//!   drops the registration from inside the core's hand-back of that data.
//! - `DROPPED` returns how many such devices were dropped.
//!
//! No `unsafe` here: whatever the core gets wrong, this module cannot.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    cgroup::{Cgroup, CgroupData, Registration},
    fmt,
    ioctl::_IO,
    miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable},
    new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex},
};

module! {
    type: CycleTest,
    name: "rust_cgroup_driver_kselftest",
    author: "cgroup driver data authors",
    description: "cgroup driver data: a Rust reference cycle through a cgroup's data",
    license: "GPL",
}

const IOCTL_CYCLE: u32 = _IO(b'c' as u32, 1);
const IOCTL_DROPPED: u32 = _IO(b'c' as u32, 2);

/// How many [`Device`]s were dropped.
static DROPPED: AtomicU32 = AtomicU32::new(0);

/// A device that owns a registration.
struct Device {
    data: Registration<Pins>,
}

impl Drop for Device {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// A cgroup's data, which may keep its device alive.
#[pin_data]
struct Pins {
    #[pin]
    device: Mutex<Option<Arc<Device>>>,
}

impl CgroupData for Pins {
    type Context = ();

    fn new(_context: &()) -> impl PinInit<Self, Error> {
        try_pin_init!(Pins {
            device <- new_mutex!(None),
        })
    }
}

/// A device that only the data of the cgroup open as `fd` keeps.
fn cycle(fd: i32) -> Result<isize> {
    let cgroup = Cgroup::from_fd(fd)?;
    let device = Arc::new(
        Device {
            data: Registration::new(&THIS_MODULE, ())?,
        },
        GFP_KERNEL,
    )?;
    let (pins, _) = device.data.get(&cgroup)?;
    *pins.device.lock() = Some(device.clone());
    Ok(0)
}

struct Control;

#[vtable]
impl MiscDevice for Control {
    type Data = ();
    type Ptr = ();

    fn open(_: &Arc<()>) -> Result {
        Ok(())
    }

    fn ioctl(_: (), cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            IOCTL_CYCLE => cycle(i32::try_from(arg).map_err(|_| EBADF)?),
            IOCTL_DROPPED => Ok(DROPPED.load(Ordering::Relaxed) as isize),
            _ => Err(ENOTTY),
        }
    }
}

static FOPS: MiscDeviceVtable<Control> = MiscDeviceVtable::new(&THIS_MODULE);

struct CycleTest {
    _control: MiscDeviceRegistration<Control>,
}

impl kernel::Module for CycleTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let name = CString::try_from_fmt(fmt!("cgroup_driver_rust_kselftest"))?;
        let control =
            MiscDeviceRegistration::register(name, 0o600, &FOPS, Arc::new((), GFP_KERNEL)?)?;
        Ok(CycleTest { _control: control })
    }
}
