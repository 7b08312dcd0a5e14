//! Child processes with a wall-clock limit. Their pipes are drained on threads while they run,
//! so a chatty tool can never block on a full pipe (and so outlive its limit).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::OcrError;

fn command(tool: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(tool);
    c.args(args)
        // One OCR run is one core: the worker's OCR slots decide the parallelism.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null());
    c
}

fn spawn(tool: &Path, mut c: Command) -> Result<Child, OcrError> {
    c.spawn().map_err(|e| OcrError::ToolMissing {
        tool: tool.display().to_string(),
        detail: e.to_string(),
    })
}

/// Reads a pipe to its end on a thread, keeping the first `keep` bytes.
fn drain<R: Read + Send + 'static>(pipe: Option<R>, keep: u64) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.by_ref().take(keep).read_to_end(&mut buf);
            let _ = std::io::copy(&mut p, &mut std::io::sink());
        }
        buf
    })
}

/// Waits for `child` until `limit`, killing it past that; the error carries the start of stderr.
fn wait(child: &mut Child, tool: &Path, limit: Duration, page: u32) -> Result<(), OcrError> {
    let stderr = drain(child.stderr.take(), 4096);
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(5);
    loop {
        match child.try_wait()? {
            Some(status) if status.success() => return Ok(()),
            Some(status) => {
                let err = stderr.join().unwrap_or_default();
                return Err(OcrError::ToolFailed {
                    tool: tool.display().to_string(),
                    detail: format!("{status}: {}", String::from_utf8_lossy(&err).trim()),
                });
            }
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(OcrError::Timeout {
                    tool: tool.display().to_string(),
                    page,
                    limit,
                });
            }
            None => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
        }
    }
}

/// Runs a tool that writes its output to files.
pub(crate) fn status(
    tool: &Path,
    args: &[&str],
    limit: Duration,
    page: u32,
) -> Result<(), OcrError> {
    let mut c = command(tool, args);
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = spawn(tool, c)?;
    wait(&mut child, tool, limit, page)
}

/// Runs a tool whose (short) stdout is the answer.
pub(crate) fn output(tool: &Path, args: &[&str], limit: Duration) -> Result<Vec<u8>, OcrError> {
    let mut c = command(tool, args);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn(tool, c)?;
    let reader = drain(child.stdout.take(), 1 << 20);
    wait(&mut child, tool, limit, 0)?;
    reader.join().map_err(|_| OcrError::ToolFailed {
        tool: tool.display().to_string(),
        detail: "output reader panicked".into(),
    })
}
