//! Timing primitives: medians of repeated runs, timed child processes, and the
//! CPU time and peak memory of one child (`wait4`).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Repeated timings of one operation.
#[derive(Clone, Debug, Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn push(&mut self, sample: Duration) {
        self.0.push(sample);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn sorted(&self) -> Vec<Duration> {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        sorted
    }

    /// The median (the mean of the two middle samples for an even count).
    pub fn median(&self) -> Duration {
        let sorted = self.sorted();
        assert!(!sorted.is_empty(), "median of no samples");
        let mid = sorted.len() / 2;
        if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2
        }
    }

    pub fn min(&self) -> Duration {
        self.0.iter().copied().min().expect("min of no samples")
    }

    /// The `p`-th percentile (0..=100), nearest rank.
    pub fn percentile(&self, p: usize) -> Duration {
        let sorted = self.sorted();
        assert!(!sorted.is_empty(), "percentile of no samples");
        let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    /// `median (min … p90, n)` for the detail lines.
    pub fn summary(&self) -> String {
        format!(
            "median {} (min {}, p90 {}, n={})",
            fmt_duration(self.median()),
            fmt_duration(self.min()),
            fmt_duration(self.percentile(90)),
            self.len()
        )
    }
}

/// Times `f` once.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// Prints one step of a "where the time goes" breakdown: its name, then the
/// summary of its timings.
pub fn print_step(name: &str, samples: &Samples) {
    println!("  {name:<50} {}", samples.summary());
}

/// Times `f(1..=runs)` after one warm-up call `f(0)`, and prints the summary.
pub fn time_step(name: &str, runs: usize, f: &mut dyn FnMut(usize)) -> Samples {
    let mut samples = Samples::default();
    f(0);
    for i in 1..=runs {
        samples.push(time(|| f(i)).1);
    }
    print_step(name, &samples);
    samples
}

/// Times several commands interleaved, so that the differences between them
/// (what each adds to the one before) are not background load: `round(0)` is
/// a warm-up, then `round(1..=runs)` each return one timing per name, in the
/// order of `names`. Prints the summary of each.
pub fn time_interleaved<const N: usize>(
    names: [&str; N],
    runs: usize,
    round: &mut dyn FnMut(usize) -> [Duration; N],
) {
    let mut samples: [Samples; N] = std::array::from_fn(|_| Samples::default());
    for i in 0..=runs {
        let times = round(i);
        if i > 0 {
            for (samples, elapsed) in samples.iter_mut().zip(times) {
                samples.push(elapsed);
            }
        }
    }
    for (name, samples) in names.iter().zip(&samples) {
        print_step(name, samples);
    }
}

/// Runs `cmd` to completion (stdin closed, output captured), panicking with its
/// stderr if it fails, and returns its output and wall time.
pub fn run_timed(cmd: &mut Command) -> (Output, Duration) {
    cmd.stdin(Stdio::null());
    let description = format!("{cmd:?}");
    let (output, elapsed) = time(|| cmd.output());
    let output = output.unwrap_or_else(|err| panic!("cannot run {description}: {err}"));
    if !output.status.success() {
        panic!(
            "{description} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    (output, elapsed)
}

/// Runs `cmd` with `input` on its standard input (output captured), as git
/// runs a hook, and returns its output and wall time whatever its exit status.
/// The clock runs from the spawn to the reaping of the child.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> (Output, Duration) {
    let description = format!("{cmd:?}");
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (output, elapsed) = time(|| {
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {description}: {err}"));
        if let Some(mut stdin) = child.stdin.take() {
            // A hook that does not read its input may exit first: a broken pipe
            // is fine (git ignores it too).
            let _ = std::io::Write::write_all(&mut stdin, input);
        }
        child.wait_with_output()
    });
    let output = output.unwrap_or_else(|err| panic!("cannot wait for {description}: {err}"));
    (output, elapsed)
}

/// Runs `cmd` and returns its standard output as text (trimmed).
pub fn run_text(cmd: &mut Command) -> String {
    let (output, _) = run_timed(cmd);
    String::from_utf8(output.stdout)
        .expect("command output is UTF-8")
        .trim()
        .to_owned()
}

/// What one child process cost, as the kernel accounted it.
#[derive(Clone, Copy, Debug)]
pub struct ChildUsage {
    pub wall: Duration,
    pub user: Duration,
    pub system: Duration,
    /// Peak resident set size (Linux reports `ru_maxrss` in KiB).
    pub max_rss_kib: u64,
    /// Exit code, or `None` if killed by a signal.
    pub exit_code: Option<i32>,
}

impl ChildUsage {
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).expect("rusage seconds are non-negative");
    let micros = u32::try_from(tv.tv_usec).expect("rusage microseconds fit u32");
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// The first argument that turns this binary into the rusage helper.
const HELPER_FLAG: &str = "--rusage-exec";

/// Runs `cmd` (program, arguments, directory and environment; stdin closed,
/// stdout and stderr as given) and returns what it cost by `wait4`.
///
/// Peak RSS needs care: Linux carries the parent's peak RSS over into a child
/// started with fork or vfork when the child calls exec, so a child of this
/// (large) process would report at least this process's peak. The command is
/// therefore started by a small helper (this same binary, run with
/// `--rusage-exec`, see [`helper_main`]) that spawns it, reaps it with `wait4`
/// and hands the numbers back in a file.
pub fn run_with_rusage(cmd: &Command, stdout: Stdio, stderr: Stdio) -> ChildUsage {
    let description = format!("{cmd:?}");
    let report = tempfile::NamedTempFile::new().expect("create the rusage report file");
    let mut helper = Command::new(std::env::current_exe().expect("locate the bench binary"));
    helper
        .arg(HELPER_FLAG)
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    if let Some(dir) = cmd.get_current_dir() {
        helper.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => helper.env(key, value),
            None => helper.env_remove(key),
        };
    }
    let status = helper
        .status()
        .unwrap_or_else(|err| panic!("cannot start the rusage helper for {description}: {err}"));
    assert!(
        status.success(),
        "the rusage helper failed for {description}"
    );
    let text = std::fs::read_to_string(report.path()).expect("read the rusage report");
    let fields: Vec<i64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("the rusage report holds integers"))
        .collect();
    let [wall_ns, user_us, sys_us, max_rss_kib, exit_code] = fields[..] else {
        panic!("malformed rusage report `{text}` for {description}");
    };
    let micros = |v: i64| Duration::from_micros(u64::try_from(v).expect("non-negative time"));
    ChildUsage {
        wall: Duration::from_nanos(u64::try_from(wall_ns).expect("non-negative wall time")),
        user: micros(user_us),
        system: micros(sys_us),
        max_rss_kib: u64::try_from(max_rss_kib).expect("non-negative RSS"),
        exit_code: (exit_code >= 0).then(|| i32::try_from(exit_code).expect("exit code fits i32")),
    }
}

/// When this process was started as the rusage helper (`--rusage-exec REPORT
/// PROGRAM ARGS...`), runs PROGRAM with the inherited stdio, reaps it with
/// `wait4`, writes `wall_ns user_us sys_us max_rss_kib exit_code` to REPORT and
/// exits. Otherwise returns at once. Call it first thing in `main`.
pub fn helper_main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() < 4 || args[1] != HELPER_FLAG {
        return;
    }
    let mut cmd = Command::new(&args[3]);
    cmd.args(&args[4..]);
    let usage = wait4_child(&mut cmd);
    let as_micros = |d: Duration| d.as_micros();
    let report = format!(
        "{} {} {} {} {}\n",
        usage.wall.as_nanos(),
        as_micros(usage.user),
        as_micros(usage.system),
        usage.max_rss_kib,
        usage.exit_code.unwrap_or(-1)
    );
    std::fs::write(&args[2], report).expect("write the rusage report");
    std::process::exit(0);
}

/// Spawns `cmd` and reaps it with `wait4`, which returns the child's own user
/// and system CPU time and peak RSS.
fn wait4_child(cmd: &mut Command) -> ChildUsage {
    let description = format!("{cmd:?}");
    let start = Instant::now();
    let child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {description}: {err}"));
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped (std reaps only in
    // `wait`/`try_wait`, which we never call on it); both out-pointers point to
    // live, writable locals of the right types.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(
        reaped,
        pid,
        "wait4 on {description} failed: {}",
        std::io::Error::last_os_error()
    );
    // `child` is dropped without waiting: it has been reaped above.
    drop(child);
    let exit_code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    ChildUsage {
        wall,
        user: timeval(usage.ru_utime),
        system: timeval(usage.ru_stime),
        max_rss_kib: u64::try_from(usage.ru_maxrss).expect("ru_maxrss is non-negative"),
        exit_code,
    }
}

/// `1.23 ms`, `456 µs`, `2.50 s`: three significant digits or so.
pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// `a / b` as a plain number.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
