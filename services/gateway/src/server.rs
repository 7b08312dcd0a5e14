//! Server assembly: the public port (gRPC: ReportService behind auth, health, reflection v1 and
//! v1alpha, gzip, explicit message limits; and the same service over HTTP/JSON, routed by
//! content type; optional TLS/mTLS) and the HTTP side port
//! (`/metrics`, `/healthz`, `/readyz`), with health kept current by a background task and an
//! orderly shutdown: NOT_SERVING first, then drain within `shutdown_grace`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{JobQueue, JobStore};
use fazhi_proto::v1::report_service_server::ReportServiceServer;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

use crate::auth::{AuthInterceptor, Authenticator};
use crate::config::GatewayConfig;
use crate::core::ReportCore;
use crate::error::GatewayError;
use crate::ops::{OpsState, serve_ops};
use crate::service::ReportApi;
use crate::telemetry::GrpcMetricsLayer;

/// gRPC service name of the API, as health and reflection know it.
pub const SERVICE_NAME: &str = "fazhi.v1.ReportService";

/// Histogram buckets (seconds) suited to `fazhi_grpc_request_duration_seconds`; pass them to
/// `PrometheusBuilder::set_buckets_for_metric` so the histogram is not rendered as a summary.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A configured gateway, not yet listening.
pub struct Gateway {
    cfg: GatewayConfig,
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    auth: Arc<Authenticator>,
    metrics: Option<PrometheusHandle>,
    health: HealthReporter,
}

impl Gateway {
    /// Validates the config and loads the auth file (open mode without one).
    pub fn new(
        cfg: GatewayConfig,
        store: Arc<dyn JobStore>,
        queue: Arc<dyn JobQueue>,
    ) -> Result<Self, GatewayError> {
        cfg.validate()?;
        let auth = match &cfg.auth_file {
            Some(path) => Authenticator::from_file(path, &cfg.default_limits)?,
            None => Authenticator::open_with(
                cfg.default_limits.clone(),
                crate::webhook::TenantWebhook {
                    secret: cfg.webhooks.secret.clone(),
                    default_url: cfg.webhooks.default_url.clone(),
                },
            ),
        };
        Ok(Self {
            cfg,
            store,
            queue,
            auth: Arc::new(auth),
            metrics: None,
            health: HealthReporter::new(),
        })
    }

    /// Serves `/metrics` from this handle (the CLI installs the recorder once per process).
    pub fn with_metrics(mut self, handle: PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }

    /// Shares a health reporter with the caller (e.g. so embedded workers can report too).
    pub fn with_health_reporter(mut self, reporter: HealthReporter) -> Self {
        self.health = reporter;
        self
    }

    /// True when no auth file is configured (everyone is tenant `default`).
    pub fn is_open(&self) -> bool {
        self.auth.is_open()
    }

    /// Binds both ports (port 0 picks a free one; see [`BoundGateway::grpc_addr`]).
    pub async fn bind(self) -> Result<BoundGateway, GatewayError> {
        let grpc = bind(self.cfg.grpc_addr).await?;
        let http = match self.cfg.http_addr {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        Ok(BoundGateway {
            grpc_addr: grpc.local_addr().map_err(GatewayError::Http)?,
            http_addr: match &http {
                Some(l) => Some(l.local_addr().map_err(GatewayError::Http)?),
                None => None,
            },
            grpc,
            http,
            gw: self,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, GatewayError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GatewayError::Bind { addr, source })
}

/// A gateway with its listeners bound.
pub struct BoundGateway {
    gw: Gateway,
    grpc: TcpListener,
    http: Option<TcpListener>,
    grpc_addr: SocketAddr,
    http_addr: Option<SocketAddr>,
}

impl BoundGateway {
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    pub fn health_reporter(&self) -> HealthReporter {
        self.gw.health.clone()
    }

    /// Serves until `shutdown` is cancelled, then drains for at most `shutdown_grace`.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), GatewayError> {
        let Self { gw, grpc, http, .. } = self;
        let cfg = gw.cfg.clone();
        let health = gw.health.clone();

        // Not serving until the first check says the backends answer.
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        health
            .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
            .await;
        let checker = tokio::spawn(health_loop(
            gw.store.clone(),
            gw.queue.clone(),
            health.clone(),
            cfg.health_interval,
            cfg.store_timeout,
            shutdown.clone(),
        ));

        let http_task = http.map(|listener| {
            let state = OpsState {
                store: gw.store.clone(),
                queue: gw.queue.clone(),
                metrics: gw.metrics.clone(),
                timeout: cfg.store_timeout,
            };
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                serve_ops(listener, state, shutdown)
                    .await
                    .map_err(GatewayError::Http)
            })
        });

        // Webhooks are delivered by every gateway (claims in the store keep them apart).
        let deliverer = if cfg.webhooks.allow.is_empty() {
            None
        } else {
            let d = crate::notify::Deliverer::new(
                gw.store.clone(),
                gw.auth.clone(),
                cfg.webhooks.clone(),
            )
            .map_err(GatewayError::Config)?;
            Some(tokio::spawn(d.run(shutdown.clone())))
        };
        let core = Arc::new(ReportCore::new(
            cfg.clone(),
            gw.store.clone(),
            gw.queue.clone(),
            gw.auth.clone(),
            shutdown.clone(),
        ));
        let api = ReportServiceServer::new(ReportApi::over(core.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(cfg.max_message_bytes)
            .max_encoding_message_size(cfg.max_response_bytes);
        let api = InterceptedService::new(
            api,
            AuthInterceptor {
                auth: gw.auth.clone(),
            },
        );
        let health_svc = HealthServer::new(HealthService::from_health_reporter(health.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip);
        let reflection_v1 = reflection_builder().build_v1()?;
        let reflection_v1alpha = reflection_builder().build_v1alpha()?;
        let grpc_routes = Routes::new(api)
            .add_service(health_svc)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .prepare()
            .into_axum_router()
            .layer(GrpcMetricsLayer);
        let app = axum::Router::new().fallback_service(ByContentType {
            grpc: grpc_routes,
            http: crate::rest::router(core),
        });

        let mut builder = Server::builder();
        if let Some(tls) = &cfg.tls {
            builder = builder.tls_config(load_tls(tls)?)?;
        }
        let router = builder
            .accept_http1(true)
            .tcp_nodelay(true)
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .add_routes(Routes::from(app));

        let incoming = TcpIncoming::from(grpc).with_nodelay(Some(true));
        let signal = {
            let token = shutdown.clone();
            let health = health.clone();
            async move {
                token.cancelled().await;
                // Probes and load balancers stop sending before we stop accepting.
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                health
                    .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
                    .await;
                tracing::info!("gateway draining");
            }
        };
        let mut server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, signal));
        let grace = cfg.shutdown_grace;
        let result = tokio::select! {
            r = &mut server => match r {
                Ok(r) => r.map_err(GatewayError::from),
                Err(e) => Err(GatewayError::Config(format!("gRPC server task failed: {e}"))),
            },
            _ = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
                server.abort();
                Err(GatewayError::ShutdownTimeout(grace))
            }
        };
        // Whatever ended the server ends the helpers too.
        shutdown.cancel();
        checker.abort();
        if let Some(d) = deliverer {
            let _ = tokio::time::timeout(grace, d).await;
        }
        if let Some(t) = http_task {
            match tokio::time::timeout(grace, t).await {
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "HTTP server failed"),
                Ok(_) => {}
                Err(_) => tracing::warn!("HTTP server did not stop in time"),
            }
        }
        result
    }
}

/// One public port for both faces: `application/grpc*` requests go to the gRPC services, every
/// other request to the HTTP/JSON face ([`crate::rest`]).
#[derive(Clone)]
struct ByContentType {
    grpc: axum::Router,
    http: axum::Router,
}

impl tower::Service<http::Request<axum::body::Body>> for ByContentType {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = axum::routing::future::RouteFuture<std::convert::Infallible>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // Both routers are always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<axum::body::Body>) -> Self::Future {
        let grpc = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/grpc"));
        if grpc {
            self.grpc.call(req)
        } else {
            self.http.call(req)
        }
    }
}

/// Binds, serves and drains: the whole lifecycle for callers that need no addresses back.
pub async fn serve(
    cfg: GatewayConfig,
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    metrics: Option<PrometheusHandle>,
    shutdown: CancellationToken,
) -> Result<(), GatewayError> {
    let mut gw = Gateway::new(cfg, store, queue)?;
    if let Some(m) = metrics {
        gw = gw.with_metrics(m);
    }
    if gw.is_open() {
        tracing::warn!(
            "no auth file configured: the gateway is open, every caller is tenant \"default\""
        );
    }
    let bound = gw.bind().await?;
    tracing::info!(grpc = %bound.grpc_addr(), http = ?bound.http_addr(), "gateway listening");
    bound.run(shutdown).await
}

fn reflection_builder() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(fazhi_proto::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name(SERVICE_NAME)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection")
        .with_service_name("grpc.reflection.v1alpha.ServerReflection")
}

fn load_tls(tls: &crate::config::TlsConfig) -> Result<ServerTlsConfig, GatewayError> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|source| GatewayError::ReadFile {
            path: p.display().to_string(),
            source,
        })
    };
    let mut cfg = ServerTlsConfig::new().identity(Identity::from_pem(
        read(&tls.cert_pem)?,
        read(&tls.key_pem)?,
    ));
    if let Some(ca) = &tls.client_ca_pem {
        cfg = cfg.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(cfg)
}

/// Re-checks the backends every `interval` and flips the health status on change.
async fn health_loop(
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    health: HealthReporter,
    interval: Duration,
    timeout: Duration,
    shutdown: CancellationToken,
) {
    let mut last: Option<bool> = None;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let ok = crate::ops::backends_ready(&store, &queue, timeout).await;
        if shutdown.is_cancelled() {
            return;
        }
        if last != Some(ok) {
            let status = if ok {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            health.set_service_status("", status).await;
            health.set_service_status(SERVICE_NAME, status).await;
            if ok {
                tracing::info!("backends reachable: SERVING");
            } else {
                tracing::warn!("store or queue unreachable: NOT_SERVING");
            }
            last = Some(ok);
        }
    }
}
