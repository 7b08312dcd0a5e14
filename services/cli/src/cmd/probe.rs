//! `fazhi probe`: exit 0 when an HTTP health endpoint answers 2xx. For container healthchecks
//! in images without a shell or curl (distroless).

use std::{
    io::{Read, Write},
    net::{TcpStream, ToSocketAddrs},
    process::ExitCode,
    time::Duration,
};

use anyhow::{Context, bail};
use clap::Args;

use super::parse_duration;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Plain-HTTP URL to GET.
    #[arg(
        long,
        env = "FAZHI_PROBE_URL",
        default_value = "http://127.0.0.1:9464/readyz"
    )]
    pub url: String,
    /// Connect and read timeout.
    #[arg(long, env = "FAZHI_PROBE_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub timeout: Duration,
}

pub fn run(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let status = get_status(&args.url, args.timeout)?;
    if (200..300).contains(&status) {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("fazhi probe: {} answered {status}", args.url);
        Ok(ExitCode::FAILURE)
    }
}

fn get_status(url: &str, timeout: Duration) -> anyhow::Result<u16> {
    let rest = url
        .strip_prefix("http://")
        .context("probe URL must start with http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let sock = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {addr}"))?
        .next()
        .with_context(|| format!("{addr} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&sock, timeout)
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nUser-Agent: fazhi-probe\r\n\r\n"
    )?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = stream.read(&mut buf).context("no answer")?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    match (
        parts.next(),
        parts.next().and_then(|c| c.parse::<u16>().ok()),
    ) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => Ok(code),
        _ => bail!("not an HTTP answer from {addr}"),
    }
}
