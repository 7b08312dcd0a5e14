//! Child processes with a wall-clock limit. Output goes to files or is small (`--list-langs`,
//! `pdfinfo`), so reading stdout after exit cannot deadlock on a full pipe for the tools used.

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

/// Waits for `child` until `limit`, killing it past that.
fn wait(child: &mut Child, tool: &Path, limit: Duration, page: u32) -> Result<(), OcrError> {
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(5);
    loop {
        match child.try_wait()? {
            Some(status) if status.success() => return Ok(()),
            Some(status) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.by_ref().take(4096).read_to_string(&mut err);
                }
                return Err(OcrError::ToolFailed {
                    tool: tool.display().to_string(),
                    detail: format!("{status}: {}", err.trim()),
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
    // stderr is read only after exit, so keep it from filling a pipe: tools here write little.
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = spawn(tool, c)?;
    wait(&mut child, tool, limit, page)
}

/// Runs a tool whose (short) stdout is the answer.
pub(crate) fn output(tool: &Path, args: &[&str], limit: Duration) -> Result<Vec<u8>, OcrError> {
    let mut c = command(tool, args);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn(tool, c)?;
    // Read stdout on a thread so a chatty tool cannot block on a full pipe before it exits.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(1 << 20).read_to_end(&mut buf);
        }
        buf
    });
    wait(&mut child, tool, limit, 0)?;
    reader.join().map_err(|_| OcrError::ToolFailed {
        tool: tool.display().to_string(),
        detail: "output reader panicked".into(),
    })
}
