//! The real `fazhi` binary: offline scoring, the config-file layering, the server commands'
//! errors, and `serve` (embedded, and on RabbitMQ + Redis) driven by `submit` and `load`, then
//! stopped with SIGTERM.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_fazhi");

/// A `fazhi` command with no FAZHI_* variables inherited from the caller.
fn fazhi() -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("FAZHI_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run fazhi")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn seeds() -> Vec<PathBuf> {
    fazhi_tests::sample_reports()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("{}-{tag}", fazhi_tests::unique_prefix()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn help_documents_env_twins() {
    let out = run(fazhi().arg("--help"));
    assert!(out.status.success());
    let top = text(&out.stdout);
    for sub in [
        "serve", "gateway", "worker", "score", "eval", "submit", "load",
    ] {
        assert!(top.contains(sub), "--help lacks {sub}");
    }
    for (sub, vars) in [
        (
            "serve",
            &[
                "FAZHI_GRPC_ADDR",
                "FAZHI_HTTP_ADDR",
                "FAZHI_AMQP_URL",
                "FAZHI_REDIS_URL",
                "FAZHI_WORKERS",
                "FAZHI_CONFIG",
                "FAZHI_LOG_FORMAT",
                "FAZHI_OTLP_ENDPOINT",
                "FAZHI_OTLP_SERVICE_NAME",
                "FAZHI_OTLP_SAMPLE_RATIO",
            ][..],
        ),
        (
            "submit",
            &[
                "FAZHI_SERVER",
                "FAZHI_API_KEY",
                "FAZHI_WAIT",
                "FAZHI_CHECKLIST",
                "FAZHI_REQUEST_ID",
            ][..],
        ),
        (
            "load",
            &[
                "FAZHI_LOAD_CONCURRENCY",
                "FAZHI_LOAD_RATE",
                "FAZHI_LOAD_DURATION",
                "FAZHI_LOAD_DIR",
                "FAZHI_LOAD_VARY",
                "FAZHI_LOAD_WAIT_COMPLETION",
            ][..],
        ),
        ("score", &["FAZHI_FORMAT", "FAZHI_CHECKLIST"][..]),
    ] {
        let out = run(fazhi().args([sub, "--help"]));
        assert!(out.status.success());
        let help = text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for v in vars {
            assert!(
                help.contains(&format!("env: {v}")),
                "`fazhi {sub} --help` lacks {v}"
            );
        }
        assert!(
            help.contains("[default: "),
            "`fazhi {sub} --help` shows no defaults"
        );
    }
}

#[test]
fn score_json_is_one_assessment_per_line() {
    let seeds = seeds();
    let out = run(fazhi().args(["score", "--format", "json"]).args(&seeds));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), seeds.len());
    for (line, path) in lines.iter().zip(&seeds) {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        // proto3 JSON mapping: lowerCamelCase names.
        assert_eq!(
            v["contentSha256"].as_str().map(str::len),
            Some(64),
            "{}",
            path.display()
        );
        let score = v["score"].as_f64().unwrap_or(0.0);
        assert!((0.0..=100.0).contains(&score));
        assert!(v.get("requiredParts").is_some());
        // The examples name their one non-report `YEAR-plan-…`: not scored, no areas.
        if path.to_string_lossy().contains("-plan-") {
            assert_eq!(v["report"]["kind"], "not_report", "{}", path.display());
            assert!(v.get("areas").is_none(), "{}", path.display());
            continue;
        }
        let want = if path.to_string_lossy().contains("2020-") {
            8
        } else {
            9
        };
        assert_eq!(
            v["areas"].as_array().map(Vec::len),
            Some(want),
            "{}",
            path.display()
        );
        assert!(v.get("requiredParts").is_some());
    }
}

#[test]
fn score_text_and_checklist_override() {
    let seed = &seeds()[0];
    let out = run(fazhi()
        .args([
            "score",
            "--format",
            "text",
            "--checklist",
            "gangyao-2015-2020",
        ])
        .arg(seed));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!out.stdout.is_empty());
    let out = run(fazhi()
        .args([
            "score",
            "--format",
            "json",
            "--checklist",
            "gangyao-2015-2020",
        ])
        .arg(seed));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["checklistId"], "gangyao-2015-2020");
}

#[test]
fn score_fails_loudly_per_file() {
    let seed = &seeds()[0];
    let dir = temp_dir("score");
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, b"").expect("write");
    let missing = dir.join("missing.txt");
    let out = run(fazhi()
        .args(["score", "--format", "json"])
        .arg(seed)
        .arg(&missing)
        .arg(&empty));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("missing.txt"), "{err}");
    assert!(err.contains("empty.txt"), "{err}");
    assert!(err.contains("2 of 3"), "{err}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "the good file is still scored"
    );
    let out = run(fazhi().args(["score", "--checklist", "no-such"]).arg(seed));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("UNKNOWN_CHECKLIST"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_file_layers_under_env_and_flags() {
    let seed = &seeds()[0];
    let dir = temp_dir("config");
    let cfg = dir.join("fazhi.toml");
    std::fs::write(&cfg, "format = \"json\"\n[load]\nconcurrency = 3\n").expect("write");
    let is_json = |o: &Output| o.stdout.first() == Some(&b'{');

    // file > default
    let out = run(fazhi().arg("--config").arg(&cfg).arg("score").arg(seed));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(is_json(&out), "config file format=json not applied");
    // FAZHI_CONFIG works as well
    let out = run(fazhi().env("FAZHI_CONFIG", &cfg).arg("score").arg(seed));
    assert!(is_json(&out));
    // env > file
    let out = run(fazhi()
        .env("FAZHI_CONFIG", &cfg)
        .env("FAZHI_FORMAT", "text")
        .arg("score")
        .arg(seed));
    assert!(out.status.success());
    assert!(!is_json(&out), "env must override the file");
    // flag > env
    let out = run(fazhi()
        .env("FAZHI_CONFIG", &cfg)
        .env("FAZHI_FORMAT", "text")
        .args(["score", "--format", "json"])
        .arg(seed));
    assert!(is_json(&out), "flag must override env");
    // file values show as defaults in --help
    let out = run(fazhi().arg("--config").arg(&cfg).args(["load", "--help"]));
    let help = text(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("[default: 3]"), "{help}");
    // unknown keys are an error, not silently ignored
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "grpc_adress = \"x\"\n").expect("write");
    let out = run(fazhi().arg("--config").arg(&bad).arg("score").arg(seed));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("grpc_adress"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn split_roles_need_both_urls() {
    for role in ["gateway", "worker"] {
        let out = run(fazhi().args([role, "--http-addr", "off"]));
        assert!(!out.status.success(), "{role} started without backends");
        let err = text(&out.stderr);
        assert!(
            err.contains("FAZHI_AMQP_URL") && err.contains("FAZHI_REDIS_URL"),
            "{err}"
        );
    }
    let out = run(fazhi()
        .args(["serve", "--http-addr", "off"])
        .env("FAZHI_AMQP_URL", "amqp://127.0.0.1:5672/%2f"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("set both or neither"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn load_refuses_non_loopback() {
    let out = run(fazhi().args([
        "load",
        "--server",
        "http://192.0.2.1:50051",
        "--duration",
        "1s",
    ]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("loopback"),
        "{}",
        text(&out.stderr)
    );
}

/// A `fazhi serve` child, killed on drop if still running. Its stderr goes to a file (a pipe
/// nobody reads could fill up and block the server).
struct Server {
    child: Option<Child>,
    grpc: String,
    http: u16,
    log: PathBuf,
}

impl Server {
    fn start(envs: &[(&str, String)]) -> Self {
        let (grpc_port, http_port) = (free_port(), free_port());
        let log = temp_dir("serve").join("stderr.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = fazhi();
        cmd.arg("serve")
            .env("FAZHI_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
            .env("FAZHI_HTTP_ADDR", format!("127.0.0.1:{http_port}"))
            .env("FAZHI_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn fazhi serve");
        let mut s = Self {
            child: Some(child),
            grpc: format!("127.0.0.1:{grpc_port}"),
            http: http_port,
            log,
        };
        s.wait_ready();
        s
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = run(fazhi().args([
                "probe",
                "--url",
                &format!("http://127.0.0.1:{}/readyz", self.http),
            ]));
            if out.status.success() {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("fazhi serve exited early ({status}): {}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "fazhi serve not ready: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status within `limit`.
    fn terminate(mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(ok.success());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return (status, self.stderr());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "fazhi serve did not stop within {limit:?} of SIGTERM: {}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(dir) = self.log.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn exercise(server: &Server) {
    let seeds = seeds();
    // A directory of 3,000 distinct reports (a province's worth) on the default limits: every
    // one accepted, one line each on stdout, and the summary on stderr.
    let dir = temp_dir("bulk");
    let base = std::fs::read(&seeds[0]).expect("example report");
    for i in 0..3000 {
        let mut content = base.clone();
        content.extend_from_slice(format!("\n附：批量导入测试第{i}份。\n").as_bytes());
        std::fs::write(dir.join(format!("r{i:04}.txt")), content).expect("write report");
    }
    let out = run(fazhi().args(["submit", "--server", &server.grpc]).arg(&dir));
    assert!(out.status.success(), "submit DIR: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.contains(" job "))
            .count(),
        3000
    );
    let err = text(&out.stderr);
    assert!(err.contains("3000 file(s): 3000 accepted"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    // submit --wait: job printed, then the scorecard; exit 0.
    let out = run(fazhi()
        .args([
            "submit",
            "--server",
            &server.grpc,
            "--wait",
            "--request-id",
            "cli-e2e",
        ])
        .arg(&seeds[0])
        .arg(&seeds[1]));
    assert!(out.status.success(), "submit: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("QUEUED"), "{stdout}");
    assert!(stdout.contains("SUCCEEDED"), "{stdout}");
    // Same files, same request ids: the same jobs, already done.
    let out = run(fazhi()
        .args([
            "submit",
            "--json",
            "--server",
            &server.grpc,
            "--request-id",
            "cli-e2e",
        ])
        .arg(&seeds[0])
        .arg(&seeds[1]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    for line in text(&out.stdout).lines() {
        let job: serde_json::Value = serde_json::from_str(line).expect("job JSON");
        assert_eq!(job["state"], "SUCCEEDED", "{line}");
    }
    // A fresh submission of scored bytes is deduplicated.
    let out = run(fazhi()
        .args(["submit", "--server", &server.grpc])
        .arg(&seeds[0]));
    assert!(
        text(&out.stdout).contains("(deduplicated)"),
        "{}",
        text(&out.stdout)
    );

    // load: bounded, unique bodies, completion tracked on every job.
    let out = run(fazhi()
        .args([
            "load",
            "--server",
            &server.grpc,
            "--duration",
            "2s",
            "--max-requests",
            "200",
            "--concurrency",
            "8",
            "--vary",
            "--wait-completion",
            "--sample-every",
            "1",
            "--completion-timeout",
            "60s",
            "--json",
        ])
        .arg("--dir")
        .arg(fazhi_tests::examples_dir()));
    assert!(out.status.success(), "load: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("load JSON");
    let ok = v["submitted_ok"].as_u64().unwrap_or(0);
    assert!(ok > 0, "{v}");
    assert!(ok <= 200, "--max-requests not honoured: {v}");
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["deduplicated"], 0, "--vary must defeat the cache: {v}");
    assert!(v["submit_latency_ms"]["p99"].as_f64().is_some(), "{v}");
    let c = &v["completion"];
    assert_eq!(c["sampled"].as_u64(), Some(ok), "{v}");
    assert_eq!(
        c["rate"].as_f64(),
        Some(1.0),
        "every job must complete: {v}"
    );

    // open loop at a fixed rate
    let out = run(fazhi()
        .args([
            "load",
            "--server",
            &server.grpc,
            "--duration",
            "1s",
            "--rate",
            "50",
            "--json",
        ])
        .arg("--dir")
        .arg(fazhi_tests::examples_dir()));
    assert!(out.status.success(), "load --rate: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("load JSON");
    let n = v["submitted_ok"].as_u64().unwrap_or(0);
    assert!((30..=60).contains(&n), "50 req/s for 1 s gave {n}: {v}");

    // metrics endpoint shows the gateway's and the workers' series
    let out = run(fazhi().args([
        "probe",
        "--url",
        &format!("http://127.0.0.1:{}/metrics", server.http),
    ]));
    assert!(out.status.success());
}

#[test]
fn serve_embedded_end_to_end() {
    let server = Server::start(&[("FAZHI_WORKERS", "2".into())]);
    exercise(&server);
    let (status, err) = server.terminate(Duration::from_secs(30));
    assert!(status.success(), "exit {status} after SIGTERM: {err}");
}

#[test]
fn serve_on_rabbitmq_and_redis_end_to_end() {
    let prefix = fazhi_tests::unique_prefix();
    let (qp, rp) = (format!("{prefix}."), format!("{prefix}:"));
    let guard = Purge(qp.clone(), rp.clone());
    let server = Server::start(&[
        ("FAZHI_AMQP_URL", fazhi_tests::amqp_url()),
        ("FAZHI_REDIS_URL", fazhi_tests::redis_url()),
        ("FAZHI_QUEUE_PREFIX", qp),
        ("FAZHI_REDIS_PREFIX", rp),
        (
            "FAZHI_DELIVERY_LIMIT",
            fazhi_tests::DELIVERY_LIMIT.to_string(),
        ),
        ("FAZHI_CONNECT_TIMEOUT", "5s".into()),
        ("FAZHI_WORKERS", "2".into()),
    ]);
    exercise(&server);
    let (status, err) = server.terminate(Duration::from_secs(30));
    assert!(status.success(), "exit {status} after SIGTERM: {err}");
    drop(guard);
}

/// Deletes a run's queues and keys, also when the test panics.
struct Purge(String, String);

impl Drop for Purge {
    fn drop(&mut self) {
        let (q, r) = (self.0.clone(), self.1.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(fazhi_tests::purge_real(&q, &r));
            }
        })
        .join();
    }
}
