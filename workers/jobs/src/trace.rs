//! W3C trace context carried in job messages, so one trace covers a job's whole path
//! (client → gateway rpc span → worker job span).
//!
//! The context travels as plain `(key, value)` pairs — `traceparent` and `tracestate` — which
//! every queue puts in its message headers ([`crate::Delivery::trace_context`]). Injection and
//! extraction go through OpenTelemetry's global propagator (the binary installs the W3C one);
//! when no OpenTelemetry layer is installed the span has no context and [`inject`] yields nothing,
//! so callers keep a fallback for log correlation.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header keys of the W3C Trace Context.
pub const KEYS: [&str; 2] = ["traceparent", "tracestate"];

struct Pairs<'a>(&'a mut Vec<(String, String)>);

impl Injector for Pairs<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_string(), value));
    }
}

struct PairsRef<'a>(&'a [(String, String)]);

impl Extractor for PairsRef<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// The span's OpenTelemetry context as header pairs; empty when the span has none (no
/// OpenTelemetry layer, or the span is disabled).
pub fn inject(span: &tracing::Span) -> Vec<(String, String)> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(2);
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut Pairs(&mut out)));
    out
}

/// Makes `span` a child of the context in `pairs` (a message's headers or a request's
/// metadata). Without an OpenTelemetry layer, or without a valid context, nothing changes.
pub fn set_parent(span: &tracing::Span, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        return;
    }
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&PairsRef(pairs)));
    if cx.span().span_context().is_valid() {
        // Err only when the span is disabled or already has OpenTelemetry data we can't change.
        let _ = span.set_parent(cx);
    }
}

/// The 32-hex trace id of a `traceparent` among `pairs` ("00-<trace id>-<span id>-<flags>").
pub fn trace_id(pairs: &[(String, String)]) -> Option<&str> {
    let (_, tp) = pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("traceparent"))?;
    let id = tp.split('-').nth(1)?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::layer::SubscriberExt;

    fn pairs(tp: &str) -> Vec<(String, String)> {
        vec![("traceparent".to_string(), tp.to_string())]
    }

    #[test]
    fn trace_id_reads_a_traceparent() {
        let p = pairs("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assert_eq!(trace_id(&p), Some("0af7651916cd43dd8448eb211c80319c"));
        assert_eq!(trace_id(&pairs("00-short-b7ad6b7169203331-01")), None);
        assert_eq!(trace_id(&[]), None);
    }

    #[test]
    fn without_an_otel_layer_inject_is_empty() {
        let span = tracing::info_span!("x");
        assert!(inject(&span).is_empty());
    }

    /// A span parented from incoming pairs injects the same trace id with its own span id.
    #[test]
    fn context_round_trips_through_pairs() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let provider = SdkTracerProvider::builder().build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let incoming = pairs("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            let span = tracing::info_span!("rpc");
            set_parent(&span, &incoming);
            let out = inject(&span);
            assert_eq!(trace_id(&out), Some("0af7651916cd43dd8448eb211c80319c"));
            let tp = &out
                .iter()
                .find(|(k, _)| k == "traceparent")
                .expect("traceparent")
                .1;
            assert!(
                !tp.contains("b7ad6b7169203331"),
                "{tp} must carry the child's span id"
            );

            // A worker-side span parented from the injected pairs joins the same trace.
            let child = tracing::info_span!("job");
            set_parent(&child, &out);
            assert_eq!(
                trace_id(&inject(&child)),
                Some("0af7651916cd43dd8448eb211c80319c")
            );
        });
    }
}
