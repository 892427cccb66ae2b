//! The `ipamd serve` process under test: found next to this executable (built when
//! missing), started on free loopback ports, killed when dropped.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long the server may take to accept its first connection.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Finds the `ipamd` binary: `explicit`, else next to this executable; builds it with
/// cargo (same profile and target directory) when it is not there.
pub fn locate_ipamd(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_owned());
        }
        bail!("no ipamd binary at {}", p.display());
    }
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut dir = exe.parent().context("executable without a directory")?;
    // Test binaries live in target/<profile>/deps.
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().context("deps without a parent")?;
    }
    let candidate = dir.join(format!("ipamd{}", std::env::consts::EXE_SUFFIX));
    if candidate.is_file() {
        return Ok(candidate);
    }
    let profile = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_owned();
    let target_dir = dir.parent().context("profile directory without a parent")?;
    eprintln!(
        "[bench] {} is missing; building it (cargo build -p ipamd, profile {profile})",
        candidate.display()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "ipamd"])
        .env("CARGO_TARGET_DIR", target_dir);
    if profile == "release" {
        cmd.arg("--release");
    } else if profile != "debug" {
        cmd.args(["--profile", &profile]);
    }
    let status = cmd.status().context("cannot run cargo to build ipamd")?;
    if !status.success() || !candidate.is_file() {
        bail!(
            "could not build ipamd ({status}); build it with `cargo build --release -p ipamd` or pass --ipamd PATH"
        );
    }
    Ok(candidate)
}

/// A free loopback port (bound, then released).
fn free_port() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(l.local_addr()?)
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub binary: PathBuf,
    pub database_url: String,
    pub durable: bool,
    pub max_message_size: usize,
    /// `--writer-lanes` (PostgreSQL; 1 is the default).
    pub writer_lanes: usize,
    /// Where its log goes.
    pub log: PathBuf,
}

/// A running `ipamd serve`; killed on drop.
pub struct ServerProcess {
    child: Child,
    /// The net.tcp listener.
    pub nettcp: SocketAddr,
    /// The HTTP listener (`/metrics`).
    http: SocketAddr,
    log: PathBuf,
}

/// The server's group-commit counters (`ipamd_store_commits_total`,
/// `ipamd_store_writes_total` on `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Commits {
    /// Durable commits (one fsync each).
    pub commits: u64,
    /// Writes run in them.
    pub writes: u64,
}

impl std::ops::Add for Commits {
    type Output = Commits;
    fn add(self, other: Commits) -> Commits {
        Commits {
            commits: self.commits + other.commits,
            writes: self.writes + other.writes,
        }
    }
}

impl Commits {
    /// The counts between `before` and `self`.
    pub fn since(self, before: Commits) -> Commits {
        Commits {
            commits: self.commits.saturating_sub(before.commits),
            writes: self.writes.saturating_sub(before.writes),
        }
    }
}

/// Memory of the server process, KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: peak resident since start.
    pub hwm_kib: u64,
}

impl ServerProcess {
    /// Starts the server and waits until its net.tcp listener accepts.
    pub async fn start(cfg: &ServerConfig) -> anyhow::Result<ServerProcess> {
        let mut last = None;
        // A port picked free may be taken before the server binds it: try again.
        for _ in 0..3 {
            match Self::try_start(cfg).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    async fn try_start(cfg: &ServerConfig) -> anyhow::Result<ServerProcess> {
        let nettcp = free_port()?;
        let http = free_port()?;
        let log = std::fs::File::create(&cfg.log)
            .with_context(|| format!("cannot create {}", cfg.log.display()))?;
        let child = Command::new(&cfg.binary)
            .arg("serve")
            .arg("--insecure")
            .args(["--database-url", &cfg.database_url])
            .args(["--nettcp-listen", &nettcp.to_string()])
            .args(["--http-listen", &http.to_string()])
            .args(["--max-message-size", &cfg.max_message_size.to_string()])
            .args(["--durable", if cfg.durable { "true" } else { "false" }])
            .args(["--writer-lanes", &cfg.writer_lanes.to_string()])
            .args(["--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", cfg.binary.display()))?;
        let mut server = ServerProcess {
            child,
            nettcp,
            http,
            log: cfg.log.clone(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "ipamd exited ({status}) before accepting connections:\n{}",
                    server.log_tail()
                );
            }
            if tokio::net::TcpStream::connect(nettcp).await.is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!(
                    "ipamd did not accept on {nettcp} within {START_TIMEOUT:?}:\n{}",
                    server.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Current and peak resident memory, from /proc/PID/status.
    pub fn memory(&self) -> Memory {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", self.pid())) else {
            return Memory::default();
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }

    /// The group-commit counters, read from `/metrics` (one HTTP/1.1 request).
    pub async fn commits(&self) -> anyhow::Result<Commits> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.http)
            .await
            .context("cannot reach the server's HTTP listener")?;
        let request = format!(
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.http
        );
        stream.write_all(request.as_bytes()).await?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await?;
        let counter = |name: &str| -> anyhow::Result<u64> {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
                .with_context(|| format!("no {name} in the server's /metrics"))
        };
        Ok(Commits {
            commits: counter("ipamd_store_commits_total")?,
            writes: counter("ipamd_store_writes_total")?,
        })
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// CPU time the server has used so far (user + system).
    pub fn cpu_time(&self) -> Duration {
        process_cpu_time(&format!("/proc/{}/stat", self.pid()))
    }

    /// Stops the server: SIGTERM (a graceful shutdown, so that a profiler wrapped
    /// around it writes its output), SIGKILL after a few seconds.
    pub fn stop(mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.pid().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.kill();
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// User + system CPU time of a process from its `/proc/PID/stat` (or `/proc/self/stat`).
pub fn process_cpu_time(stat_path: &str) -> Duration {
    let Ok(stat) = std::fs::read_to_string(stat_path) else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // rest starts at field 3 (state): utime = field 14 -> index 11, stime -> index 12.
    let total = ticks(11) + ticks(12);
    Duration::from_secs_f64(total as f64 / clock_ticks_per_sec())
}

/// `getconf CLK_TCK` (100 on Linux nearly everywhere).
fn clock_ticks_per_sec() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
