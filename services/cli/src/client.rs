//! The gRPC client side shared by `submit` and `load`: connecting, the API key, building requests.

use std::{net::ToSocketAddrs, path::Path, time::Duration};

use anyhow::{Context, bail};
use fazhi_proto::v1::{Document, SubmitReportRequest, report_service_client::ReportServiceClient};
use tonic::{
    Request, Status,
    metadata::AsciiMetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

/// Largest message the client sends or accepts (assessments carry the normalized text).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

pub type Client = ReportServiceClient<InterceptedService<Channel, ApiKey>>;

/// Adds the API key to every call as `authorization: Bearer KEY`, when there is one.
#[derive(Clone, Default)]
pub struct ApiKey {
    bearer: Option<AsciiMetadataValue>,
}

impl ApiKey {
    pub fn new(key: Option<&str>) -> anyhow::Result<Self> {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Ok(Self::default());
        };
        let bearer = AsciiMetadataValue::try_from(format!("Bearer {key}"))
            .context("API key must be printable ASCII")?;
        Ok(Self {
            bearer: Some(bearer),
        })
    }
}

impl Interceptor for ApiKey {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(bearer) = &self.bearer {
            req.metadata_mut().insert("authorization", bearer.clone());
        }
        Ok(req)
    }
}

/// `host:port` or a full `http://host:port` URL → a URL tonic accepts.
pub fn normalize_server(server: &str) -> String {
    if server.contains("://") {
        server.to_string()
    } else {
        format!("http://{server}")
    }
}

/// The endpoint for `server`, with connect timeout and keepalive.
pub fn endpoint(server: &str) -> anyhow::Result<Endpoint> {
    let url = normalize_server(server);
    let ep = Endpoint::from_shared(url.clone())
        .with_context(|| format!("bad server address {url:?}"))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    Ok(ep)
}

/// Connects to `server` and wraps the channel with the API key.
pub async fn connect(server: &str, api_key: Option<&str>) -> anyhow::Result<Client> {
    let channel = endpoint(server)?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {}", normalize_server(server)))?;
    Ok(with_channel(channel, ApiKey::new(api_key)?))
}

pub fn with_channel(channel: Channel, key: ApiKey) -> Client {
    ReportServiceClient::with_interceptor(channel, key)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

/// Refuses any server that does not resolve to loopback only (the load generator's rule).
pub fn require_loopback(server: &str) -> anyhow::Result<()> {
    let url = normalize_server(server);
    let uri: tonic::codegen::http::Uri = url
        .parse()
        .with_context(|| format!("bad server address {url:?}"))?;
    let host = uri.host().context("server address has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
        bail!("the load generator only targets loopback addresses; {host} is not loopback");
    }
    Ok(())
}

/// Media type from the file extension (the engine's table); empty (sniff) when unknown.
pub fn media_type_for(path: &Path) -> &'static str {
    path.file_name()
        .and_then(|n| n.to_str())
        .map_or("", fazhi_engine::media::for_filename)
}

/// The wire document for a file's bytes.
pub fn document(path: &Path, content: Vec<u8>) -> Document {
    Document {
        content,
        media_type: media_type_for(path).to_string(),
        filename: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        charset: String::new(),
    }
}

/// A submission for `path`.
pub fn submit_request(
    path: &Path,
    content: Vec<u8>,
    request_id: String,
    checklist_id: Option<&str>,
) -> SubmitReportRequest {
    SubmitReportRequest {
        request_id,
        document: Some(document(path, content)),
        hints: None,
        checklist_id: checklist_id.unwrap_or_default().to_string(),
        labels: Default::default(),
        notify_url: String::new(),
        batch_id: String::new(),
    }
}

/// The report files in a directory (not descending; hidden files, `.toml` labels and `.md`
/// notes left out), sorted by name. An empty directory is an error.
pub fn report_files(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use anyhow::Context;
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let skip = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.') || n.ends_with(".toml") || n.ends_with(".md"));
        if path.is_file() && !skip {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("no report files in {}", dir.display());
    }
    Ok(paths)
}

/// How often a throttled call is retried before its RESOURCE_EXHAUSTED is returned.
pub const RETRY_ATTEMPTS: u32 = 10;

/// The wait a refusal asks for: RESOURCE_EXHAUSTED carries RetryInfo (rate or in-flight limit);
/// anything else is not retried.
pub fn retry_after(status: &tonic::Status) -> Option<std::time::Duration> {
    use tonic_types::StatusExt;
    if status.code() != tonic::Code::ResourceExhausted {
        return None;
    }
    status.get_details_retry_info()?.retry_delay
}

/// `wait` stretched by a random factor in 0.5..1.5, so clients refused together do not all
/// come back in the same instant.
pub fn jittered(wait: std::time::Duration) -> std::time::Duration {
    wait.mul_f64(rand::random_range(0.5..1.5))
}

/// Runs `call`, and while the server answers RESOURCE_EXHAUSTED with RetryInfo, waits as asked
/// (with jitter) and calls again, at most [`RETRY_ATTEMPTS`] times. Returns the result and how
/// many times the call was throttled.
pub async fn with_retry<T, F, Fut>(mut call: F) -> (Result<T, tonic::Status>, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut throttled = 0;
    loop {
        match call().await {
            Err(s) if throttled < RETRY_ATTEMPTS => match retry_after(&s) {
                Some(wait) => {
                    throttled += 1;
                    tokio::time::sleep(jittered(wait)).await;
                }
                None => return (Err(s), throttled),
            },
            r => return (r, throttled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_extension() {
        assert_eq!(media_type_for(Path::new("a.HTM")), "text/html");
        assert_eq!(media_type_for(Path::new("a.pdf")), "application/pdf");
        assert_eq!(media_type_for(Path::new("a.txt")), "text/plain");
        assert_eq!(media_type_for(Path::new("a")), "");
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_calls_wait_as_asked_then_succeed() {
        use tonic_types::{ErrorDetails, StatusExt};
        let limited = || {
            tonic::Status::with_error_details(
                tonic::Code::ResourceExhausted,
                "rate",
                ErrorDetails::with_retry_info(Some(std::time::Duration::from_secs(2))),
            )
        };
        let mut calls = 0;
        let start = tokio::time::Instant::now();
        let (r, throttled) = with_retry(|| {
            calls += 1;
            let n = calls;
            async move { if n < 3 { Err(limited()) } else { Ok(n) } }
        })
        .await;
        assert_eq!(r.ok(), Some(3));
        assert_eq!(throttled, 2);
        // Two waits of 2 s each, jittered into 1..3 s.
        let waited = start.elapsed();
        assert!(
            waited >= std::time::Duration::from_secs(2)
                && waited <= std::time::Duration::from_secs(6)
        );
        // Other errors are not retried.
        let (r, throttled) =
            with_retry(|| async { Err::<(), _>(tonic::Status::invalid_argument("bad")) }).await;
        assert_eq!(r.map_err(|s| s.code()), Err(tonic::Code::InvalidArgument));
        assert_eq!(throttled, 0);
    }

    #[test]
    fn loopback_only() {
        assert!(require_loopback("127.0.0.1:50051").is_ok());
        assert!(require_loopback("http://[::1]:50051").is_ok());
        assert!(require_loopback("http://10.0.0.1:50051").is_err());
    }
}
