//! Real `fazhi` processes for the fault and tracing tests: spawn `fazhi gateway` / `fazhi
//! worker` on free loopback ports under a per-run queue and key prefix, wait for `/readyz`,
//! signal them, and clean everything up on drop (also on panic).
//!
//! The binary: `FAZHI_BIN`, else `<target dir>/debug/fazhi` (`CARGO_TARGET_DIR` respected);
//! build it first with `cargo build --bin fazhi` (scripts/test does).

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use crate::{
    Client, DELIVERY_LIMIT, Key, amqp_url, purge_real, redis_url, unique_prefix,
    wire::report_service_client::ReportServiceClient,
};

// ---------------------------------------------------------------- locating things

pub fn fazhi_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("FAZHI_BIN") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "FAZHI_BIN={} does not exist; run `cargo build --bin fazhi`",
            p.display()
        );
        return p;
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    let p = target.join("debug").join("fazhi");
    assert!(
        p.is_file(),
        "the fazhi binary is missing at {}: run `cargo build --bin fazhi` first (or set FAZHI_BIN)",
        p.display()
    );
    p
}

pub fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr")
}

pub fn sh(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

pub fn redis_cli(args: &[&str]) -> String {
    sh(
        "redis-cli",
        &[&["-h", "127.0.0.1", "-p", "6379"], args].concat(),
    )
    .unwrap_or_else(|e| panic!("redis-cli: {e}"))
}

/// Keys matching `pattern` (SCAN).
pub fn redis_count(pattern: &str) -> usize {
    redis_cli(&["--scan", "--pattern", pattern])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

/// Status code of `GET path` on the HTTP side port (None: no answer within 3 s).
pub async fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || {
        let t = Duration::from_secs(3);
        let mut s = TcpStream::connect_timeout(&addr, t).ok()?;
        s.set_read_timeout(Some(t)).ok()?;
        s.set_write_timeout(Some(t)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).ok()?;
        let head = String::from_utf8_lossy(&buf[..n]);
        head.split_whitespace().nth(1)?.parse().ok()
    })
    .await
    .ok()
    .flatten()
}

pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if f().await {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---------------------------------------------------------------- processes

pub struct Proc {
    pub name: String,
    pub child: Option<Child>,
    pub log: PathBuf,
    pub grpc: Option<SocketAddr>,
    pub http: SocketAddr,
}

/// One scenario's processes and backend resources; dropping it kills the processes and
/// deletes the queues and keys.
pub struct Run {
    pub bin: PathBuf,
    pub queue_prefix: String,
    pub redis_prefix: String,
    pub log_dir: PathBuf,
    pub procs: Vec<Proc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pid(pub usize);

impl Run {
    pub fn new() -> Self {
        let bin = fazhi_bin();
        let prefix = unique_prefix();
        let log_dir = std::env::temp_dir().join(format!("fazhi-procs-{prefix}"));
        std::fs::create_dir_all(&log_dir).expect("log dir");
        Self {
            bin,
            queue_prefix: format!("{prefix}."),
            redis_prefix: format!("{prefix}:"),
            log_dir,
            procs: Vec::new(),
        }
    }

    pub fn spawn(&mut self, role: &str, grpc: Option<SocketAddr>, args: &[&str]) -> Pid {
        let http = free_addr();
        let name = format!("{role}-{}", self.procs.len());
        let log = self.log_dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(&self.bin);
        cmd.arg(role)
            .args(["--amqp-url", &amqp_url(), "--redis-url", &redis_url()])
            .args(["--queue-prefix", &self.queue_prefix])
            .args(["--redis-prefix", &self.redis_prefix])
            .args(["--delivery-limit", &DELIVERY_LIMIT.to_string()])
            .args(["--http-addr", &http.to_string()])
            .args(["--connect-timeout", "20s"])
            .args(args)
            .env("FAZHI_LOG", "info,lapin=warn")
            .env_remove("FAZHI_AUTH_FILE")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file);
        if let Some(g) = grpc {
            cmd.args(["--grpc-addr", &g.to_string()]);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.procs.push(Proc {
            name,
            child: Some(child),
            log,
            grpc,
            http,
        });
        Pid(self.procs.len() - 1)
    }

    /// Starts a gateway with open auth and limits out of the way; waits until it is ready.
    pub async fn gateway(&mut self, extra: &[&str]) -> Pid {
        let mut args = vec![
            "--max-in-flight",
            "100000",
            "--submit-rate",
            "100000",
            "--submit-burst",
            "100000",
            "--store-timeout",
            "2s",
            "--publish-timeout",
            "3s",
            "--shutdown-grace",
            "10s",
        ];
        args.extend_from_slice(extra);
        self.start("gateway", true, &args).await
    }

    /// Starts a worker process (`extra` flags last, so they win); waits until it is ready.
    pub async fn worker(&mut self, extra: &[&str]) -> Pid {
        // clap refuses a repeated flag: defaults only where `extra` sets nothing.
        let defaults = [
            ("--shutdown-grace", "10s"),
            ("--job-timeout", "60s"),
            ("--reconcile-every", "0"),
        ];
        let mut args: Vec<&str> = Vec::new();
        for (k, v) in defaults {
            if !extra.contains(&k) {
                args.extend([k, v]);
            }
        }
        args.extend_from_slice(extra);
        self.start("worker", false, &args).await
    }

    /// Spawns and waits until ready. A free port can be taken by someone else between
    /// `free_addr` probing it and the child binding it; that start is retried on new ports.
    pub async fn start(&mut self, role: &str, grpc: bool, args: &[&str]) -> Pid {
        let mut attempt = 0;
        loop {
            let p = self.spawn(role, grpc.then(free_addr), args);
            match self.wait_ready(p).await {
                Ok(()) => return p,
                Err(log) if attempt < 3 && log.contains("Address already in use") => attempt += 1,
                Err(log) => panic!("{} exited during startup\n{log}", self.procs[p.0].name),
            }
        }
    }

    /// Ready, or the log tail of a process that exited during startup.
    pub async fn wait_ready(&mut self, p: Pid) -> Result<(), String> {
        let http = self.procs[p.0].http;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.try_wait(p) {
                return Err(format!("exit status: {st}\n{}", self.log_tail(p)));
            }
            if http_status(http, "/readyz").await == Some(200) {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready within 30 s\n{}",
                self.procs[p.0].name,
                self.log_tail(p)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn http(&self, p: Pid) -> SocketAddr {
        self.procs[p.0].http
    }

    pub async fn client(&self, p: Pid) -> Client {
        let addr = self.procs[p.0].grpc.expect("not a gateway");
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            .connect()
            .await
            .expect("connect to the gateway");
        ReportServiceClient::with_interceptor(channel, Key::default())
    }

    pub fn pid(&self, p: Pid) -> u32 {
        self.procs[p.0].child.as_ref().expect("process gone").id()
    }

    pub fn signal(&self, p: Pid, sig: &str) {
        sh("kill", &[&format!("-{sig}"), &self.pid(p).to_string()])
            .unwrap_or_else(|e| panic!("kill -{sig}: {e}"));
    }

    /// SIGKILL and reap.
    pub fn kill9(&mut self, p: Pid) {
        if let Some(mut c) = self.procs[p.0].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn try_wait(&mut self, p: Pid) -> Option<ExitStatus> {
        let c = self.procs[p.0].child.as_mut()?;
        c.try_wait().ok().flatten()
    }

    /// Waits for the process to exit on its own (reaps it).
    pub async fn wait_exit(&mut self, p: Pid, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.try_wait(p) {
                self.procs[p.0].child = None;
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {limit:?}\n{}",
                self.procs[p.0].name,
                self.log_tail(p)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_tail(&self, p: Pid) -> String {
        let text = std::fs::read_to_string(&self.procs[p.0].log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "--- last lines of {} ---\n{}",
            self.procs[p.0].log.display(),
            lines[from..].join("\n")
        )
    }
}

impl Default for Run {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        for i in 0..self.procs.len() {
            if panicking && self.procs[i].child.is_some() {
                eprintln!("{}", self.log_tail(Pid(i)));
            }
            self.kill9(Pid(i));
        }
        let (q, r) = (self.queue_prefix.clone(), self.redis_prefix.clone());
        // Fresh runtime on a thread of its own: this one may be unwinding.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(purge_real(&q, &r));
            }
        })
        .join();
        if !panicking {
            let _ = std::fs::remove_dir_all(&self.log_dir);
        }
    }
}
