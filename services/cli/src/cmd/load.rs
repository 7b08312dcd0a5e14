//! `fazhi load`: a bounded load generator over gRPC, loopback only.
//!
//! Closed loop (`--rate 0`): `--concurrency` tasks submit back to back. Open loop (`--rate R`):
//! submissions are scheduled every 1/R s, at most `--concurrency` in flight, and latency is taken
//! from the *scheduled* time, so a stalled server shows up in the percentiles (no coordinated
//! omission). Both stop at `--duration` or `--max-requests`, whichever comes first.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Args;
use fazhi_proto::v1::{Document, JobState, SubmitReportRequest};
use hdrhistogram::Histogram;
use tokio::{sync::Semaphore, task::JoinSet};
use tonic::Request;

use super::{parse_duration, submit::ConnArgs};
use crate::client::{self, ApiKey, Client};

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Submissions in flight at most.
    #[arg(long, env = "FAZHI_LOAD_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Target submissions per second; 0 = closed loop (as fast as the concurrency allows).
    #[arg(long, env = "FAZHI_LOAD_RATE", default_value_t = 0.0)]
    pub rate: f64,
    /// How long to submit for.
    #[arg(long, env = "FAZHI_LOAD_DURATION", default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Stop after this many submissions even if time is left.
    #[arg(long, env = "FAZHI_LOAD_MAX_REQUESTS", default_value_t = 1_000_000)]
    pub max_requests: u64,
    /// Directory of reports to cycle through (every regular file in it).
    #[arg(long, env = "FAZHI_LOAD_DIR", default_value = "examples/reports")]
    pub dir: PathBuf,
    /// Make every submission unique (invisible trailing whitespace, an HTML or PDF comment) so
    /// the result cache does not answer it; .docx files are sent unchanged.
    #[arg(long, env = "FAZHI_LOAD_VARY")]
    pub vary: bool,
    /// With --vary: make the read text unique too (a visible numbered line at the end of text
    /// and HTML reports), so every job stores a text of its own, as distinct reports do.
    #[arg(long, env = "FAZHI_LOAD_VARY_TEXT", requires = "vary")]
    pub vary_text: bool,
    /// Also measure end-to-end completion by watching a sample of the accepted jobs.
    #[arg(long, env = "FAZHI_LOAD_WAIT_COMPLETION")]
    pub wait_completion: bool,
    /// With --wait-completion: watch one of every N accepted jobs.
    #[arg(long, env = "FAZHI_LOAD_SAMPLE_EVERY", default_value_t = 10)]
    pub sample_every: u64,
    /// With --wait-completion: how long to wait for the sampled jobs after the last submission.
    #[arg(long, env = "FAZHI_LOAD_COMPLETION_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub completion_timeout: Duration,
    /// HTTP/2 connections to spread the calls over.
    #[arg(long, env = "FAZHI_LOAD_CONNECTIONS", default_value_t = 4)]
    pub connections: usize,
    /// Checklist to assess against; default: by report year.
    #[arg(long, env = "FAZHI_CHECKLIST", value_name = "ID")]
    pub checklist: Option<String>,
    /// Print the summary as JSON.
    #[arg(long, env = "FAZHI_JSON")]
    pub json: bool,
}

/// Deadline of each submission.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most jobs watched at once for --wait-completion (the rest of the sample is skipped).
const MAX_WATCHES: usize = 2048;

struct Stats {
    submit_us: Histogram<u64>,
    ok: u64,
    deduplicated: u64,
    /// RESOURCE_EXHAUSTED answers waited out as RetryInfo asked.
    throttled: u64,
    errors: BTreeMap<String, u64>,
    completion_us: Histogram<u64>,
    sampled: u64,
    sample_skipped: u64,
    done: BTreeMap<&'static str, u64>,
}

impl Stats {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            submit_us: Histogram::new_with_bounds(1, 3_600_000_000, 3)?,
            ok: 0,
            deduplicated: 0,
            throttled: 0,
            errors: BTreeMap::new(),
            completion_us: Histogram::new_with_bounds(1, 3_600_000_000, 3)?,
            sampled: 0,
            sample_skipped: 0,
            done: BTreeMap::new(),
        })
    }
}

struct Shared {
    files: Vec<(PathBuf, Document)>,
    clients: Vec<Client>,
    next: AtomicU64,
    stop_at: Instant,
    max_requests: u64,
    vary: bool,
    vary_text: bool,
    nonce: u64,
    checklist: String,
    wait_completion: bool,
    sample_every: u64,
    watch_slots: Arc<Semaphore>,
    watchers: Mutex<JoinSet<()>>,
    stats: Mutex<Stats>,
}

impl Shared {
    /// The next submission number, or `None` when the run is over.
    fn take(&self) -> Option<u64> {
        if Instant::now() >= self.stop_at {
            return None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        (n < self.max_requests).then_some(n)
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        // A panicking task cannot leave Stats half-updated in a way that matters here.
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub async fn run(args: &LoadArgs) -> anyhow::Result<ExitCode> {
    client::require_loopback(&args.conn.server)?;
    if args.concurrency == 0 || args.connections == 0 || args.sample_every == 0 {
        bail!("--concurrency, --connections and --sample-every must be at least 1");
    }
    if !args.rate.is_finite() || args.rate < 0.0 {
        bail!("--rate must be ≥ 0");
    }
    let files = read_dir(&args.dir)?;
    let key = ApiKey::new(args.conn.api_key.as_deref())?;
    let mut clients = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let channel = client::endpoint(&args.conn.server)?
            .connect()
            .await
            .with_context(|| format!("cannot connect to {}", args.conn.server))?;
        clients.push(client::with_channel(channel, key.clone()));
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let started = Instant::now();
    let shared = Arc::new(Shared {
        files,
        clients,
        next: AtomicU64::new(0),
        stop_at: started + args.duration,
        max_requests: args.max_requests,
        vary: args.vary,
        vary_text: args.vary_text,
        nonce,
        checklist: args.checklist.clone().unwrap_or_default(),
        wait_completion: args.wait_completion,
        sample_every: args.sample_every,
        watch_slots: Arc::new(Semaphore::new(MAX_WATCHES)),
        watchers: Mutex::new(JoinSet::new()),
        stats: Mutex::new(Stats::new()?),
    });

    if args.rate > 0.0 {
        open_loop(&shared, args.rate, args.concurrency).await;
    } else {
        closed_loop(&shared, args.concurrency).await;
    }
    let submit_elapsed = started.elapsed();

    let mut watchers = {
        let mut guard = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *guard)
    };
    let mut timed_out = 0u64;
    if args.wait_completion {
        let deadline = tokio::time::Instant::now() + args.completion_timeout;
        loop {
            match tokio::time::timeout_at(deadline, watchers.join_next()).await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    timed_out = watchers.len() as u64;
                    watchers.abort_all();
                    break;
                }
            }
        }
    }
    let total_elapsed = started.elapsed();

    let stats = shared.stats();
    let summary = Summary::new(args, &stats, submit_elapsed, total_elapsed, timed_out);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary.json())?);
    } else {
        summary.print();
    }
    Ok(if stats.ok == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn closed_loop(shared: &Arc<Shared>, concurrency: usize) {
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let shared = shared.clone();
        tasks.spawn(async move {
            while let Some(n) = shared.take() {
                submit(&shared, n, Instant::now()).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn open_loop(shared: &Arc<Shared>, rate: f64, concurrency: usize) {
    let period = Duration::from_secs_f64((1.0 / rate).max(1e-6));
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let start = tokio::time::Instant::now();
    let mut i: u32 = 0;
    loop {
        // Scheduled send time of this submission; sleeping to it keeps the rate exact on average.
        let scheduled = start + period.saturating_mul(i);
        i = i.saturating_add(1);
        tokio::time::sleep_until(scheduled).await;
        let Some(n) = shared.take() else { break };
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let shared = shared.clone();
        tasks.spawn(async move {
            submit(&shared, n, scheduled.into_std()).await;
            drop(permit);
        });
        // Reap finished tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

async fn submit(shared: &Arc<Shared>, n: u64, start: Instant) {
    let idx = (n % shared.files.len() as u64) as usize;
    let (path, doc) = &shared.files[idx];
    let mut doc = doc.clone();
    if shared.vary {
        vary(path, &mut doc.content, shared.nonce, n, shared.vary_text);
    }
    let msg = SubmitReportRequest {
        request_id: String::new(),
        document: Some(doc),
        hints: None,
        checklist_id: shared.checklist.clone(),
        labels: Default::default(),
        notify_url: String::new(),
        batch_id: String::new(),
    };
    let client = shared.clients[(n % shared.clients.len() as u64) as usize].clone();
    // Honour RetryInfo (with jitter) instead of hammering a server that is limiting us; the
    // recorded latency then includes the waits, as a client would see it.
    let (result, throttled) = client::with_retry(|| {
        let mut req = Request::new(msg.clone());
        req.set_timeout(SUBMIT_TIMEOUT);
        let mut c = client.clone();
        async move { c.submit_report(req).await }
    })
    .await;
    if throttled > 0 {
        shared.stats().throttled += u64::from(throttled);
    }
    let latency = start.elapsed();
    match result {
        Ok(resp) => {
            let job = resp.into_inner();
            let mut sample = false;
            {
                let mut st = shared.stats();
                st.submit_us.saturating_record(micros(latency));
                st.ok += 1;
                if job.deduplicated {
                    st.deduplicated += 1;
                }
                if shared.wait_completion && st.ok.is_multiple_of(shared.sample_every) {
                    st.sampled += 1;
                    sample = true;
                }
            }
            if sample {
                watch(shared, client, job, start);
            }
        }
        Err(status) => {
            let mut st = shared.stats();
            *st.errors.entry(format!("{:?}", status.code())).or_default() += 1;
        }
    }
}

/// Follows a sampled job to its end and records the end-to-end latency.
fn watch(shared: &Arc<Shared>, mut client: Client, job: fazhi_proto::v1::Job, start: Instant) {
    let Ok(slot) = shared.watch_slots.clone().try_acquire_owned() else {
        let mut st = shared.stats();
        st.sampled -= 1;
        st.sample_skipped += 1;
        return;
    };
    let task_shared = shared.clone();
    let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
    watchers.spawn(async move {
        let outcome = super::submit::wait_done(&mut client, job).await;
        let elapsed = start.elapsed();
        let mut st = task_shared.stats();
        match outcome {
            Ok(job) => {
                let state = job.state();
                if state == JobState::Succeeded {
                    st.completion_us.saturating_record(micros(elapsed));
                }
                *st.done.entry(state.as_str_name()).or_default() += 1;
            }
            Err(_) => *st.done.entry("WATCH_ERROR").or_default() += 1,
        }
        drop(slot);
    });
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Makes the bytes unique without changing what a reader sees (with `text`, a numbered line
/// a reader does see, in UTF-8 text and HTML reports; other encodings stay invisible).
fn vary(path: &Path, content: &mut Vec<u8>, nonce: u64, n: u64, text: bool) {
    let media = client::media_type_for(path);
    let text = text && std::str::from_utf8(content).is_ok();
    if text && media == "text/html" {
        content.extend_from_slice(format!("\n<p>本报告编号：{nonce:x}-{n}。</p>\n").as_bytes());
        return;
    }
    if text && !matches!(media, "application/pdf" | fazhi_engine::media::DOCX_TYPE) {
        content.extend_from_slice(format!("\n本报告编号：{nonce:x}-{n}。\n").as_bytes());
        return;
    }
    match media {
        "text/html" => {
            content.extend_from_slice(format!("\n<!-- fazhi-load {nonce:x}-{n} -->\n").as_bytes())
        }
        "application/pdf" => {
            content.extend_from_slice(format!("\n%fazhi-load {nonce:x}-{n}\n").as_bytes())
        }
        // A zip archive with trailing bytes is not always readable: grow its comment instead.
        fazhi_engine::media::DOCX_TYPE => {
            extend_zip_comment(content, format!("fazhi-load {nonce:x}-{n}").as_bytes())
        }
        // Text in any ASCII-compatible charset (UTF-8, GBK …): trailing spaces and tabs encode the
        // two numbers in binary.
        _ => {
            content.push(b'\n');
            for v in [nonce, n] {
                for bit in (0..64).rev() {
                    content.push(if (v >> bit) & 1 == 1 { b'\t' } else { b' ' });
                }
            }
            content.push(b'\n');
        }
    }
}

/// Appends `tag` to a zip archive's end-of-central-directory comment (zip readers find the
/// directory from the end, so bytes after it must be declared as the comment). Leaves archives
/// whose record is not where the format puts it unchanged.
fn extend_zip_comment(content: &mut Vec<u8>, tag: &[u8]) {
    const EOCD: &[u8] = b"PK\x05\x06";
    let from = content.len().saturating_sub(22 + usize::from(u16::MAX));
    let Some(pos) = content[from..]
        .windows(EOCD.len())
        .rposition(|w| w == EOCD)
        .map(|p| from + p)
    else {
        return;
    };
    let Some(len_bytes) = content.get(pos + 20..pos + 22) else {
        return;
    };
    let len = usize::from(u16::from_le_bytes([len_bytes[0], len_bytes[1]]));
    let Ok(new_len) = u16::try_from(len + tag.len()) else {
        return;
    };
    if pos + 22 + len != content.len() {
        return;
    }
    content[pos + 20..pos + 22].copy_from_slice(&new_len.to_le_bytes());
    content.extend_from_slice(tag);
}

fn read_dir(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Document)>> {
    let paths = client::report_files(dir)?;
    paths
        .into_iter()
        .map(|p| {
            let content =
                std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
            let doc = client::document(&p, content);
            Ok((p, doc))
        })
        .collect()
}

struct Summary {
    value: serde_json::Value,
}

fn pct(h: &Histogram<u64>) -> serde_json::Value {
    let ms = |v: u64| v as f64 / 1000.0;
    if h.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::json!({
        "p50": ms(h.value_at_quantile(0.50)),
        "p90": ms(h.value_at_quantile(0.90)),
        "p99": ms(h.value_at_quantile(0.99)),
        "max": ms(h.max()),
        "mean": h.mean() / 1000.0,
    })
}

impl Summary {
    fn new(
        args: &LoadArgs,
        st: &Stats,
        submit_elapsed: Duration,
        total_elapsed: Duration,
        timed_out: u64,
    ) -> Self {
        let secs = submit_elapsed.as_secs_f64().max(1e-9);
        let errors: u64 = st.errors.values().sum();
        let succeeded = st.done.get("SUCCEEDED").copied().unwrap_or(0);
        let completion = args.wait_completion.then(|| {
            serde_json::json!({
                "sample_every": args.sample_every,
                "sampled": st.sampled,
                "skipped": st.sample_skipped,
                "states": st.done,
                "timed_out": timed_out,
                "rate": if st.sampled == 0 { 0.0 } else { succeeded as f64 / st.sampled as f64 },
                "latency_ms": pct(&st.completion_us),
                "elapsed_s": total_elapsed.as_secs_f64(),
            })
        });
        Self {
            value: serde_json::json!({
                "server": args.conn.server,
                "mode": if args.rate > 0.0 { "open" } else { "closed" },
                "target_rate": args.rate,
                "concurrency": args.concurrency,
                "connections": args.connections,
                "vary": args.vary,
                "vary_text": args.vary_text,
                "duration_s": secs,
                "submitted_ok": st.ok,
                "deduplicated": st.deduplicated,
                "throttled": st.throttled,
                "errors": errors,
                "errors_by_code": st.errors,
                "throughput_rps": st.ok as f64 / secs,
                "submit_latency_ms": pct(&st.submit_us),
                "completion": completion,
            }),
        }
    }

    fn json(&self) -> &serde_json::Value {
        &self.value
    }

    fn print(&self) {
        let v = &self.value;
        let f = |p: &serde_json::Value, k: &str| p.get(k).and_then(|x| x.as_f64()).unwrap_or(0.0);
        let mode = if f(v, "target_rate") > 0.0 {
            format!("open loop at {} req/s", f(v, "target_rate"))
        } else {
            "closed loop".to_string()
        };
        println!(
            "fazhi load → {} ({mode}, concurrency {}, {} connections, vary {})",
            v["server"].as_str().unwrap_or_default(),
            v["concurrency"],
            v["connections"],
            v["vary"],
        );
        println!(
            "submitted   {} ok ({} deduplicated, {} throttled and retried), {} errors in {:.2} s → {:.1} req/s",
            v["submitted_ok"],
            v["deduplicated"],
            v["throttled"],
            v["errors"],
            f(v, "duration_s"),
            f(v, "throughput_rps"),
        );
        let lat = &v["submit_latency_ms"];
        if !lat.is_null() {
            println!(
                "submit latency ms   p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
                f(lat, "p50"),
                f(lat, "p90"),
                f(lat, "p99"),
                f(lat, "max")
            );
        }
        if let Some(errs) = v["errors_by_code"].as_object().filter(|m| !m.is_empty()) {
            let list: Vec<_> = errs.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("errors by code      {}", list.join(", "));
        }
        let c = &v["completion"];
        if !c.is_null() {
            println!(
                "completion  {} of {} sampled jobs (1 in {}) succeeded = {:.1}%, {} still open at timeout, {} not sampled (watch limit); states {}",
                c["states"]
                    .get("SUCCEEDED")
                    .and_then(|x| x.as_u64())
                    .unwrap_or(0),
                c["sampled"],
                c["sample_every"],
                f(c, "rate") * 100.0,
                c["timed_out"],
                c["skipped"],
                c["states"],
            );
            let lat = &c["latency_ms"];
            if !lat.is_null() {
                println!(
                    "completion latency ms   p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
                    f(lat, "p50"),
                    f(lat, "p90"),
                    f(lat, "p99"),
                    f(lat, "max")
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_is_unique_and_ascii_for_text() {
        let mut a = b"abc".to_vec();
        let mut b = b"abc".to_vec();
        vary(Path::new("x.txt"), &mut a, 7, 1, false);
        vary(Path::new("x.txt"), &mut b, 7, 2, false);
        assert_ne!(a, b);
        assert!(a[3..].iter().all(|c| c.is_ascii_whitespace()));
        let mut d = b"PK".to_vec();
        vary(Path::new("x.docx"), &mut d, 7, 1, false);
        assert_eq!(d, b"PK");
    }

    /// --vary-text: distinct texts, as distinct reports have.
    #[test]
    fn vary_text_changes_the_read_text() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/reports/2024-county-wangchuan.txt");
        let original = std::fs::read(&path).expect("example report");
        let text_of = |content: &[u8]| {
            let hints = fazhi_engine::Hints::default();
            let sub = fazhi_engine::Submission {
                content,
                media_type: "",
                filename: "",
                charset: "",
                hints: &hints,
                checklist_id: None,
            };
            fazhi_engine::assess(&sub, &fazhi_engine::Limits::default())
                .expect("assessed")
                .normalized_text
        };
        let (mut a, mut b, mut c) = (original.clone(), original.clone(), original.clone());
        vary(&path, &mut a, 7, 1, true);
        vary(&path, &mut b, 7, 2, true);
        vary(&path, &mut c, 7, 1, false);
        assert_ne!(text_of(&a), text_of(&b));
        assert_eq!(text_of(&c), text_of(&original));
    }

    /// A varied DOCX is new content that still reads as the same report.
    #[test]
    fn vary_keeps_docx_readable() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/reports/2023-department-nanyu-sifa.docx");
        let original = std::fs::read(&path).expect("example DOCX");
        let (mut a, mut b) = (original.clone(), original.clone());
        vary(&path, &mut a, 7, 1, false);
        vary(&path, &mut b, 7, 2, false);
        assert!(a != original && a != b);
        let title = |content: &[u8]| {
            let hints = fazhi_engine::Hints::default();
            let sub = fazhi_engine::Submission {
                content,
                media_type: fazhi_engine::media::DOCX_TYPE,
                filename: "",
                charset: "",
                hints: &hints,
                checklist_id: None,
            };
            fazhi_engine::parse(&sub, &fazhi_engine::Limits::default())
                .expect("readable DOCX")
                .meta
                .title
        };
        assert_eq!(title(&a), title(&original));
        assert!(title(&a).is_some());
    }
}
