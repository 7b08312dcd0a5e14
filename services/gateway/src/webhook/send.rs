//! One webhook POST: resolve the host once, check every answer against the allowlist, connect to
//! the checked address (TLS with the URL's name for https, Mozilla's roots), send, read the
//! status. No redirects are followed, no connection is reused, and the whole attempt is
//! bounded by one timeout.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

use super::allow::{Allowlist, Target};

/// Why an attempt did not get a 2xx; `final` ones are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    pub is_final: bool,
}

impl SendError {
    fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            is_final: false,
        }
    }
    fn refuse(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            is_final: true,
        }
    }
}

/// Sends webhook requests; cheap to clone.
#[derive(Clone)]
pub struct Sender {
    tls: TlsConnector,
    timeout: Duration,
}

impl Sender {
    /// Fails only if the TLS library rejects its own defaults (reported at start-up).
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("webhook TLS client: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            tls: TlsConnector::from(Arc::new(config)),
            timeout,
        })
    }

    /// POSTs `body` to `url` with `headers`; Ok(status) only for 2xx.
    pub async fn post(
        &self,
        allow: &Allowlist,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<u16, SendError> {
        let target = allow.check_url(url).map_err(SendError::refuse)?;
        match tokio::time::timeout(self.timeout, self.attempt(allow, &target, headers, body)).await
        {
            Ok(r) => r,
            Err(_) => Err(SendError::retry(format!(
                "no answer within {:?}",
                self.timeout
            ))),
        }
    }

    async fn attempt(
        &self,
        allow: &Allowlist,
        target: &Target,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<u16, SendError> {
        let addr = resolve(allow, target).await?;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| SendError::retry(format!("connect {addr}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        if target.https {
            let name = ServerName::try_from(target.host.trim_matches(['[', ']']).to_string())
                .map_err(|e| SendError::refuse(format!("TLS name {}: {e}", target.host)))?;
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| SendError::retry(format!("TLS with {}: {e}", target.host)))?;
            exchange(tls, target, headers, body).await
        } else {
            exchange(tcp, target, headers, body).await
        }
    }
}

/// The first address of the host that the allowlist accepts; refuses when none is.
async fn resolve(allow: &Allowlist, target: &Target) -> Result<SocketAddr, SendError> {
    let addrs: Vec<SocketAddr> = match target.host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|e| SendError::retry(format!("resolving {}: {e}", target.host)))?
            .collect(),
    };
    let mut refused = None;
    for a in addrs {
        match allow.check_addr(target, a) {
            Ok(()) => return Ok(a),
            Err(e) => refused = Some(e),
        }
    }
    Err(match refused {
        Some(e) => SendError::refuse(e),
        None => SendError::retry(format!("{} has no address", target.host)),
    })
}

async fn exchange<IO>(
    io: IO,
    target: &Target,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<u16, SendError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| SendError::retry(format!("HTTP handshake: {e}")))?;
    let conn = tokio::spawn(conn);
    let default_port = if target.https { 443 } else { 80 };
    let host = if target.port == default_port {
        target.host.clone()
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let mut req = http::Request::post(target.path.as_str())
        .header(http::header::HOST, host)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("fazhi-webhook/", env!("CARGO_PKG_VERSION")),
        );
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let req = req
        .body(Full::new(body))
        .map_err(|e| SendError::refuse(format!("building the request: {e}")))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| SendError::retry(format!("sending: {e}")))?;
    let status = resp.status();
    // Drain a little of the answer so the receiver sees a clean close; its content is ignored.
    let _ = tokio::time::timeout(Duration::from_secs(1), resp.into_body().collect()).await;
    conn.abort();
    if status.is_success() {
        Ok(status.as_u16())
    } else if status.is_redirection() {
        Err(SendError::retry(format!(
            "HTTP {} (redirects are not followed)",
            status.as_u16()
        )))
    } else {
        Err(SendError::retry(format!("HTTP {}", status.as_u16())))
    }
}
