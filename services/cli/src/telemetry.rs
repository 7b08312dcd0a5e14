//! Logging (tracing-subscriber), optional OpenTelemetry span export (OTLP/gRPC) and the
//! Prometheus metrics recorder.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanData, SpanExporter};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A sampling ratio: a finite number in 0.0–1.0.
pub fn parse_ratio(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{s:?} is not a ratio between 0.0 and 1.0")),
    }
}

/// Where and how spans are exported over OTLP/gRPC.
#[derive(Debug, Clone)]
pub struct OtlpConfig {
    pub endpoint: String,
    pub service_name: String,
    pub sample_ratio: f64,
}

/// Installs the global subscriber: logs go to stderr (stdout belongs to the commands' output).
/// The log filter is `--log` / `FAZHI_LOG` if given, else `RUST_LOG`, else `default`; it applies
/// to the log lines only, so spans reach the exporter even when logs are quiet.
///
/// The W3C propagator is installed either way, so trace context crosses the queue whether or
/// not this process exports. With `otlp`, returns the exporter to shut down before exit.
pub fn init_logging(
    format: LogFormat,
    filter: Option<&str>,
    default: &str,
    otlp: Option<&OtlpConfig>,
) -> anyhow::Result<Option<TraceExport>> {
    let filter = match filter {
        Some(f) => EnvFilter::try_new(f).with_context(|| format!("bad log filter {f:?}"))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    };
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let export = otlp.map(TraceExport::start).transpose()?;
    // Only fazhi's own spans and events are exported (not the libraries' internals).
    let otel_layer = export.as_ref().map(|e| {
        tracing_opentelemetry::layer()
            .with_tracer(e.provider.tracer("fazhi"))
            .with_filter(EnvFilter::new(
                "off,fazhi=info,fazhi_gateway=info,fazhi_scorer=info,fazhi_jobs=info,fazhi_engine=info",
            ))
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt_layer = match format {
        LogFormat::Text => fmt::layer()
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .context("cannot install the log subscriber")?;
    if let Some(cfg) = otlp {
        tracing::info!(endpoint = %cfg.endpoint, service = %cfg.service_name, "exporting spans over OTLP");
    }
    Ok(export)
}

/// The OTLP span pipeline: a batch processor over an exporter that runs on its own runtime.
pub struct TraceExport {
    provider: SdkTracerProvider,
    runtime: tokio::runtime::Runtime,
}

impl TraceExport {
    fn start(cfg: &OtlpConfig) -> anyhow::Result<Self> {
        // The SDK's batch processor exports from a plain thread, but the tonic client needs a
        // Tokio reactor: a one-thread runtime of its own carries every export (and outlives the
        // commands' runtime, so the final flush still has one).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fazhi-otlp")
            .enable_all()
            .build()
            .context("cannot start the OTLP export runtime")?;
        let exporter = {
            let _enter = runtime.enter();
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(cfg.endpoint.clone())
                .with_timeout(Duration::from_secs(10))
                .build()
                .with_context(|| format!("bad OTLP endpoint {:?}", cfg.endpoint))?
        };
        let exporter = OnRuntime {
            inner: Arc::new(exporter),
            runtime: runtime.handle().clone(),
        };
        let ratio = cfg.sample_ratio;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                ratio,
            ))))
            .with_resource(
                Resource::builder()
                    .with_service_name(cfg.service_name.clone())
                    .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                    .build(),
            )
            .build();
        Ok(Self { provider, runtime })
    }

    /// Flushes and stops the pipeline; spans still buffered are sent (bounded by the
    /// exporter timeout).
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "OTLP exporter did not shut down cleanly");
        }
        self.runtime.shutdown_timeout(Duration::from_secs(2));
    }
}

/// Runs each export on the export runtime; the batch processor only waits for the result.
#[derive(Debug)]
struct OnRuntime {
    inner: Arc<opentelemetry_otlp::SpanExporter>,
    runtime: tokio::runtime::Handle,
}

impl SpanExporter for OnRuntime {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let inner = Arc::clone(&self.inner);
        let task = self.runtime.spawn(async move { inner.export(batch).await });
        async move {
            let result = task
                .await
                .map_err(|e| OTelSdkError::InternalFailure(format!("OTLP export task: {e}")))
                .and_then(|r| r);
            // The SDK drops export errors silently (its internal logs are off): say it here.
            if let Err(e) = &result {
                tracing::warn!(error = %e, "OTLP span export failed; spans dropped");
            }
            result
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        // Called while the provider is built, before any export shares the exporter.
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}

/// Latency buckets (seconds), the default for every histogram: 100 µs … 60 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// Size buckets (bytes) for `*_bytes` histograms: 1 KiB … 64 MiB.
const BYTES_BUCKETS: &[f64] = &[
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
    67_108_864.0,
];

/// Installs the global `metrics` recorder backed by Prometheus and spawns its upkeep task (which
/// `install_recorder` does not do by itself). The handle renders `/metrics`.
pub fn install_metrics(cancel: CancellationToken) -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets(SECONDS_BUCKETS)
        .context("bad histogram buckets")?
        .set_buckets_for_metric(Matcher::Suffix("_bytes".into()), BYTES_BUCKETS)
        .context("bad histogram buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => upkeep.run_upkeep(),
            }
        }
    });
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_must_be_in_range() {
        assert_eq!(parse_ratio("0.25"), Ok(0.25));
        assert_eq!(parse_ratio("1"), Ok(1.0));
        for bad in ["-0.1", "1.5", "NaN", "inf", "half"] {
            assert!(parse_ratio(bad).is_err(), "{bad} accepted");
        }
    }
}
