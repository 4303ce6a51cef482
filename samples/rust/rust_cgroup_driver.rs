// SPDX-License-Identifier: GPL-2.0

//! A GPU-like driver in Rust that keeps, per device and per cgroup, a
//! priority offset and a display boost with cgroup driver data, and applies
//! the offset to the contexts that processes create. Contexts submit jobs to
//! their device's engine, each at the level of its context's effective
//! priority at submission, and the engine runs them as the DRM sample's GPU
//! scheduler does: strict priority, first come first served within a level,
//! one job at a time.
//!
//! 6.12's kernel crate has no timer, thread or GPU scheduler, so the engine
//! is a model of one, advanced to the present whenever it is looked at (a
//! submission, a wait, a release, a close): a job that would have left the
//! engine by then leaves it at the time it would have, and the next one
//! starts then. Waiters sleep until the running job's end, in jiffies: the
//! time base is coarser than the C sample's.
//!
//! Each device is a misc device, `/dev/cgroup_gpu_rust<N>`, that answers the
//! ioctls of `samples/cgroup_driver/cgroup_gpu_drm.h`, like the C DRM sample;
//! the definitions below are that header's, and the selftests, which use the
//! header, run against both samples. Its cgroups' settings and usage are in
//! `/sys/kernel/debug/cgroup_gpu_rust<N>/cgroups`, in the DRM sample's format.

use core::{
    mem::size_of,
    sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering},
};
use kernel::{
    c_str,
    capability::{capable, CAP_SYS_NICE},
    cgroup::{Cgroup, CgroupData, Registration},
    debugfs::{Dir, Show},
    fmt,
    ioctl::{_IOW, _IOWR},
    miscdevice::{MiscDevice, MiscDeviceRegistration, MiscDeviceVtable},
    module_param_uint, new_condvar, new_mutex,
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    seq_file::SeqFile,
    seq_print,
    str::CString,
    sync::{Arc, CondVar, CondVarTimeoutResult, Mutex},
    time::{msecs_to_jiffies, Ktime, NSEC_PER_MSEC},
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
const JOB_MAX_NS: u64 = 1_000_000_000;
const MAX_JOBS: usize = 64;
const SUBMIT_PLUG: u32 = 1 << 0;

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

/// `struct cgroup_gpu_submit`.
#[repr(C)]
struct CgroupGpuSubmit {
    ctx_id: u32,
    flags: u32,
    duration_ns: u64,
    syncobj: u32,
    job_id: u32,
    priority: i32,
    pad: u32,
}

/// `struct cgroup_gpu_wait`.
#[repr(C)]
struct CgroupGpuWait {
    job_id: u32,
    flags: u32,
    timeout_ns: i64,
    status: i32,
    pad: u32,
    end_seq: u64,
}

/// `struct cgroup_gpu_job`.
#[repr(C)]
struct CgroupGpuJob {
    job_id: u32,
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
// SAFETY: As for `CgroupGpuParam`.
unsafe impl FromBytes for CgroupGpuSubmit {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl AsBytes for CgroupGpuSubmit {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl FromBytes for CgroupGpuWait {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl AsBytes for CgroupGpuWait {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl FromBytes for CgroupGpuJob {}
// SAFETY: As for `CgroupGpuParam`.
unsafe impl AsBytes for CgroupGpuJob {}

/// The DRM sample's driver ioctl numbers: type `'d'`, from
/// `DRM_COMMAND_BASE`, with their direction and size.
const DRM_IOCTL_BASE: u32 = b'd' as u32;
const DRM_COMMAND_BASE: u32 = 0x40;
const IOCTL_SETPARAM: u32 = _IOW::<CgroupGpuParam>(DRM_IOCTL_BASE, DRM_COMMAND_BASE);
const IOCTL_GETPARAM: u32 = _IOWR::<CgroupGpuParam>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 1);
const IOCTL_CTX_CREATE: u32 = _IOWR::<CgroupGpuCtx>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 2);
const IOCTL_CTX_GET: u32 = _IOWR::<CgroupGpuCtx>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 3);
const IOCTL_SUBMIT: u32 = _IOWR::<CgroupGpuSubmit>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 4);
const IOCTL_WAIT: u32 = _IOWR::<CgroupGpuWait>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 5);
const IOCTL_UNPLUG: u32 = _IOW::<CgroupGpuJob>(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 6);

/// The errnos of a job's end, and of a WAIT, that 6.12's kernel crate does
/// not name.
fn errno(code: u32) -> Error {
    Error::from_errno(-(code as i32))
}

/// A cgroup's value that is not set: unset is not 0.
const UNSET: i32 = i32::MIN;

/// One device's settings for one cgroup, `UNSET` or a value each, and the
/// usage of the contexts created in it.
struct Settings {
    priority_offset: AtomicI32,
    dispboost: AtomicI32,
    engine_ns: AtomicU64,
    jobs_done: AtomicU64,
}

impl CgroupData for Settings {
    type Context = ();

    fn new(_context: &()) -> impl PinInit<Self, Error> {
        Settings {
            priority_offset: AtomicI32::new(UNSET),
            dispboost: AtomicI32::new(UNSET),
            engine_ns: AtomicU64::new(0),
            jobs_done: AtomicU64::new(0),
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

/// The levels of the DRM sample's scheduler that contexts use, lowest first.
const LEVELS: usize = 3;

/// The level of a job of effective priority `priority`, as the DRM sample
/// maps it: HIGH above 0, NORMAL at 0, LOW below.
fn level_of(priority: i32) -> usize {
    match priority {
        p if p > 0 => 2,
        0 => 1,
        _ => 0,
    }
}

/// A job: it holds its device's engine for `ns`, or, a plug, until it is
/// released. What changes is written under the engine's lock only.
struct Job {
    ns: u64,
    plug: bool,
    /// The cgroup of its context, which its usage goes to.
    cgroup: ARef<Cgroup>,
    /// Its place: a level, and its order of submission within the device.
    level: usize,
    key: u64,
    /// When a plug was released, in ns of `Ktime`; `i64::MAX` before.
    released_at: AtomicI64,
    ended: AtomicBool,
    status: AtomicI32,
    end_seq: AtomicU64,
}

impl Job {
    /// When the job leaves the engine if it started at `start`, if known.
    fn end(&self, start: i64) -> Option<i64> {
        match self.released_at.load(Ordering::Relaxed) {
            _ if !self.plug => Some(start.saturating_add(self.ns as i64)),
            i64::MAX => None,
            released => Some(released.max(start)),
        }
    }

    /// How it ended, once it has.
    fn result(&self) -> Option<(i32, u64)> {
        self.ended.load(Ordering::Relaxed).then(|| {
            (
                self.status.load(Ordering::Relaxed),
                self.end_seq.load(Ordering::Relaxed),
            )
        })
    }
}

/// The job on the engine, since `start`.
struct Running {
    job: Arc<Job>,
    start: i64,
}

/// A device's engine: the queued jobs of each level, by order of
/// submission, and the one it runs.
struct Engine {
    queues: [RBTree<u64, Arc<Job>>; LEVELS],
    running: Option<Running>,
    /// Jobs that have left it: the `end_seq` of the last one.
    ended: u64,
}

impl Engine {
    fn new() -> Self {
        Engine {
            queues: core::array::from_fn(|_| RBTree::new()),
            running: None,
            ended: 0,
        }
    }

    /// Puts the oldest job of the highest level that has one on the engine
    /// at `at`, if it is idle.
    fn start_next(&mut self, at: i64) {
        if self.running.is_some() {
            return;
        }
        let next = self.queues.iter_mut().rev().find_map(|queue| {
            let (_, node) = queue.cursor_front()?.remove_current();
            Some(node.to_key_value().1)
        });
        self.running = next.map(|job| Running { job, start: at });
    }
}

/// The core's lookup of a job's cgroup, for its accounting.
fn account(settings: &Registration<Settings>, job: &Job, ns: u64, status: i32) {
    if let Ok(Some(usage)) = settings.find(&job.cgroup) {
        usage.engine_ns.fetch_add(ns, Ordering::Relaxed);
        if status == 0 {
            usage.jobs_done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A device: its cgroup data, one registration each, and its engine.
#[pin_data]
struct Device {
    settings: Registration<Settings>,
    #[pin]
    engine: Mutex<Engine>,
    /// Notified when a job ends, and when the schedule changes other than
    /// by time passing (a plug released, a job cancelled).
    #[pin]
    changed: CondVar,
    /// The order of submission, across the device's files.
    next_key: AtomicU64,
}

impl Device {
    /// Ends `job`, which ran for `ns`, with `status`.
    fn finish(&self, engine: &mut Engine, job: &Job, ns: u64, status: i32) {
        engine.ended += 1;
        job.end_seq.store(engine.ended, Ordering::Relaxed);
        job.status.store(status, Ordering::Relaxed);
        job.ended.store(true, Ordering::Relaxed);
        account(&self.settings, job, ns, status);
        self.changed.notify_all();
    }

    /// Brings the engine to `now`: every job that would have left it by
    /// then leaves it, at the time it would have, and the next starts then.
    fn advance(&self, engine: &mut Engine, now: i64) {
        while let Some(running) = engine.running.take() {
            match running.job.end(running.start) {
                Some(end) if end <= now => {
                    self.finish(engine, &running.job, (end - running.start) as u64, 0);
                    engine.start_next(end);
                }
                _ => {
                    engine.running = Some(running);
                    return;
                }
            }
        }
    }

    /// Queues `job` in the node `reservation` holds for it.
    fn queue(&self, job: Arc<Job>, reservation: RBTreeNodeReservation<u64, Arc<Job>>) {
        let now = Ktime::ktime_get().to_ns();
        let mut engine = self.engine.lock();
        self.advance(&mut engine, now);
        let (level, key) = (job.level, job.key);
        engine.queues[level].insert(reservation.into_node(key, job));
        engine.start_next(now);
    }

    /// Releases plug `job`: it ends now if it runs, or when it starts.
    fn release(&self, job: &Job) {
        let now = Ktime::ktime_get().to_ns();
        let mut engine = self.engine.lock();
        self.advance(&mut engine, now);
        if job.released_at.load(Ordering::Relaxed) == i64::MAX {
            job.released_at.store(now, Ordering::Relaxed);
        }
        self.advance(&mut engine, now);
        self.changed.notify_all();
    }

    /// Ends those of `jobs` that have not ended, as closing their file
    /// does: the queued ones with `-ESRCH`, never run, as the DRM sample's
    /// scheduler drops them, then the one on the engine, if it is one of
    /// them, with `-ECANCELED`. None of them starts in between.
    fn cancel(&self, jobs: &[Option<Arc<Job>>]) {
        let now = Ktime::ktime_get().to_ns();
        let mut engine = self.engine.lock();
        self.advance(&mut engine, now);
        for job in jobs.iter().flatten() {
            if engine.queues[job.level].remove(&job.key).is_some() {
                job.status
                    .store(-(kernel::bindings::ESRCH as i32), Ordering::Relaxed);
                job.ended.store(true, Ordering::Relaxed);
            }
        }
        match engine.running.take() {
            Some(running) if jobs.iter().flatten().any(|j| Arc::ptr_eq(j, &running.job)) => {
                let status = -(kernel::bindings::ECANCELED as i32);
                self.finish(
                    &mut engine,
                    &running.job,
                    (now - running.start) as u64,
                    status,
                );
                engine.start_next(now);
            }
            running => engine.running = running,
        }
        self.changed.notify_all();
    }

    /// Waits until `job` has ended or `deadline` (ns of `Ktime`) has come.
    fn wait(&self, job: &Job, deadline: i64) -> Result<(i32, u64)> {
        let mut engine = self.engine.lock();
        loop {
            let now = Ktime::ktime_get().to_ns();
            self.advance(&mut engine, now);
            if let Some(result) = job.result() {
                return Ok(result);
            }
            if now >= deadline {
                return Err(errno(kernel::bindings::ETIME));
            }
            // Until the running job ends, unless the schedule changes first.
            let next = engine
                .running
                .as_ref()
                .and_then(|r| r.job.end(r.start))
                .map_or(deadline, |end| end.min(deadline));
            let ms = ((next - now) as u64).div_ceil(NSEC_PER_MSEC as u64);
            let jiffies = msecs_to_jiffies(u32::try_from(ms).unwrap_or(u32::MAX));
            if let CondVarTimeoutResult::Signal { .. } = self
                .changed
                .wait_interruptible_timeout(&mut engine, jiffies)
            {
                return Err(ERESTARTSYS);
            }
        }
    }

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

/// The `cgroups` file of a device's debugfs: a line per cgroup that holds its
/// data, with the cgroup's id, values and usage.
impl Show for Device {
    fn show(&self, m: &SeqFile) {
        for cgroup in Cgroup::root().descendants() {
            let Ok(Some(settings)) = self.settings.find(&cgroup) else {
                continue;
            };
            seq_print!(m, "cgroup {}", cgroup.id());
            for (name, param) in [
                ("priority_offset", Param::PriorityOffset),
                ("dispboost", Param::DispBoost),
            ] {
                match param.of(settings).load(Ordering::Relaxed) {
                    UNSET => seq_print!(m, " {name} unset"),
                    value => seq_print!(m, " {name} {value}"),
                }
            }
            seq_print!(
                m,
                " engine_ns {} jobs_done {}\n",
                settings.engine_ns.load(Ordering::Relaxed),
                settings.jobs_done.load(Ordering::Relaxed)
            );
        }
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

/// An open file of a device: the contexts it created, indexed by id, and
/// its jobs not yet waited for, in slots of ids 1 to `MAX_JOBS`.
#[pin_data(PinnedDrop)]
struct OpenFile {
    device: Arc<Device>,
    #[pin]
    contexts: Mutex<KVec<Context>>,
    #[pin]
    jobs: Mutex<KVec<Option<Arc<Job>>>>,
}

/// The slot of job `id` in a file's jobs.
fn job_slot(id: u32) -> Result<usize> {
    match usize::try_from(id) {
        Ok(id @ 1..=MAX_JOBS) => Ok(id - 1),
        _ => Err(ENOENT),
    }
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
        // The cgroup's accounting, for its jobs.
        self.device.settings.get(&context.cgroup)?;
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

    fn submit(&self, arg: &mut CgroupGpuSubmit) -> Result {
        let plug = arg.flags & SUBMIT_PLUG != 0;
        let ns_ok = match plug {
            true => arg.duration_ns == 0,
            false => (1..=JOB_MAX_NS).contains(&arg.duration_ns),
        };
        // No syncobjs here: they are DRM's.
        if arg.pad != 0 || arg.flags & !SUBMIT_PLUG != 0 || !ns_ok || arg.syncobj != 0 {
            return Err(EINVAL);
        }
        let (cgroup, priority) = {
            let contexts = self.contexts.lock();
            let id = usize::try_from(arg.ctx_id).map_err(|_| ENOENT)?;
            let context = contexts.get(id).ok_or(ENOENT)?;
            // The lookup of a submission path: RCU only, no cgroup_mutex.
            (context.cgroup.clone(), context.effective(&self.device)?)
        };
        let mut jobs = self.jobs.lock();
        let slot = jobs.iter().position(Option::is_none).ok_or(EBUSY)?;
        let job = Arc::new(
            Job {
                ns: arg.duration_ns,
                plug,
                cgroup,
                level: level_of(priority),
                key: self.device.next_key.fetch_add(1, Ordering::Relaxed),
                released_at: AtomicI64::new(i64::MAX),
                ended: AtomicBool::new(false),
                status: AtomicI32::new(0),
                end_seq: AtomicU64::new(0),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)?;
        self.device.queue(job.clone(), reservation);
        jobs[slot] = Some(job);
        arg.job_id = (slot + 1) as u32;
        arg.priority = priority;
        Ok(())
    }

    /// Job `id`, if the file has it.
    fn job(&self, id: u32) -> Result<(usize, Arc<Job>)> {
        let slot = job_slot(id)?;
        let job = self.jobs.lock()[slot].clone().ok_or(ENOENT)?;
        Ok((slot, job))
    }

    fn wait(&self, arg: &mut CgroupGpuWait) -> Result {
        if arg.flags != 0 || arg.pad != 0 || arg.timeout_ns < 0 {
            return Err(EINVAL);
        }
        let (slot, job) = self.job(arg.job_id)?;
        let deadline = Ktime::ktime_get().to_ns().saturating_add(arg.timeout_ns);
        (arg.status, arg.end_seq) = self.device.wait(&job, deadline)?;
        // Reported: forgotten, unless another WAIT was first.
        let mut jobs = self.jobs.lock();
        if jobs[slot].as_ref().is_some_and(|j| Arc::ptr_eq(j, &job)) {
            jobs[slot] = None;
        }
        Ok(())
    }

    fn unplug(&self, arg: &mut CgroupGpuJob) -> Result {
        if arg.pad != 0 {
            return Err(EINVAL);
        }
        let (_, job) = self.job(arg.job_id)?;
        if !job.plug {
            return Err(EINVAL);
        }
        self.device.release(&job);
        Ok(())
    }
}

// Closing a file ends its jobs, running or queued, with `-ECANCELED`.
#[pinned_drop]
impl PinnedDrop for OpenFile {
    fn drop(self: Pin<&mut Self>) {
        self.device.cancel(&self.jobs.lock());
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
                jobs <- new_mutex!(KVec::from_elem(None, MAX_JOBS, GFP_KERNEL_ACCOUNT)?),
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
            IOCTL_SUBMIT => with_arg(arg, true, |s| file.submit(s)),
            IOCTL_WAIT => with_arg(arg, true, |w| file.wait(w)),
            IOCTL_UNPLUG => with_arg(arg, false, |j| file.unplug(j)),
            _ => Err(ENOTTY),
        }
    }
}

static FOPS: MiscDeviceVtable<OpenFile> = MiscDeviceVtable::new(&THIS_MODULE);

/// A device as the module keeps it: its node and its debugfs directory.
struct Registered {
    _node: MiscDeviceRegistration<OpenFile>,
    _debugfs: Dir,
}

struct RustCgroupGpu {
    _devices: KVec<Registered>,
}

impl kernel::Module for RustCgroupGpu {
    fn init(module: &'static ThisModule) -> Result<Self> {
        if DEVICES.get() > MAX_DEVICES {
            return Err(EINVAL);
        }
        let mut devices = KVec::new();
        for index in 0..DEVICES.get() {
            let device = Arc::pin_init(
                try_pin_init!(Device {
                    settings: Registration::new(module, ())?,
                    engine <- new_mutex!(Engine::new()),
                    changed <- new_condvar!(),
                    next_key: AtomicU64::new(0),
                }),
                GFP_KERNEL,
            )?;
            let name = CString::try_from_fmt(fmt!("cgroup_gpu_rust{index}"))?;
            let mut debugfs = Dir::new(&name);
            debugfs.show_file(c_str!("cgroups"), device.clone())?;
            devices.push(
                Registered {
                    // Like a DRM render node: any user may open it.
                    _node: MiscDeviceRegistration::register(name, 0o666, &FOPS, device)?,
                    _debugfs: debugfs,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(RustCgroupGpu { _devices: devices })
    }
}
