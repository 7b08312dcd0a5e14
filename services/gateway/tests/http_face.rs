//! The HTTP face against its contract: every `google.api.http` rule in the proto is served by
//! the router and described in `/openapi.json` with schemas that resolve; errors carry the
//! same reasons as gRPC with the documented HTTP statuses.

use std::sync::Arc;

use axum::body::Body;
use base64::Engine as _;
use fazhi_gateway::{Authenticator, GatewayConfig, ReportCore, TenantLimits};
use fazhi_jobs::{MemoryQueue, MemoryStore};
use fazhi_proto::v1::{HTTP_RULES, OPENAPI_JSON};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tower::Service;

fn router(max_document_bytes: usize) -> axum::Router {
    let cfg = GatewayConfig::default().with_max_document_bytes(max_document_bytes);
    let core = ReportCore::new(
        cfg,
        Arc::new(MemoryStore::default()),
        Arc::new(MemoryQueue::new(3)),
        Arc::new(Authenticator::open(TenantLimits::default())),
        CancellationToken::new(),
    );
    fazhi_gateway::rest::router(Arc::new(core))
}

async fn call(r: &mut axum::Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let resp = r.call(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "job_missing")
        .replace("{job_id}", "job_missing")
}

#[tokio::test]
async fn every_http_rule_is_routed() {
    let mut r = router(1024);
    assert!(HTTP_RULES.len() >= 9);
    for rule in HTTP_RULES {
        let mut req = Request::builder()
            .method(rule.method)
            .uri(concrete(rule.path));
        if rule.method == "POST" && rule.body == "*" {
            req = req.header("content-type", "application/json");
        }
        let (status, _, body) = call(&mut r, req.body(Body::from("{}")).expect("request")).await;
        let reason = body["details"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(
            reason, "NOT_FOUND",
            "{} {} is not routed",
            rule.method, rule.path
        );
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {}",
            rule.method,
            rule.path
        );
    }
}

#[tokio::test]
async fn openapi_describes_every_rule_with_resolving_schemas() {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("OpenAPI is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for rule in HTTP_RULES {
        let op = &doc["paths"][rule.path][rule.method.to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} missing from the OpenAPI",
            rule.method,
            rule.path
        );
        assert!(op["responses"]["200"].is_object());
        assert!(op["responses"]["default"].is_object());
    }
    // Every $ref anywhere points at a schema that exists.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        if let Some(name) = r.strip_prefix("#/components/schemas/") {
            assert!(schemas.contains_key(name), "dangling $ref {r}");
        } else {
            assert!(r.starts_with("#/components/responses/"), "{r}");
        }
    }
    // Proto3 JSON names and enum names.
    let job = &schemas["fazhi.v1.Job"]["properties"];
    assert!(job["contentSha256"].is_object());
    assert_eq!(job["state"]["enum"][3], "SUCCEEDED");
}

#[tokio::test]
async fn served_openapi_is_the_generated_one() {
    let mut r = router(1024);
    let (status, _, body) = call(
        &mut r,
        Request::get("/openapi.json")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        serde_json::from_str::<Value>(OPENAPI_JSON).expect("json")
    );
}

#[tokio::test]
async fn errors_map_to_http_statuses_with_grpc_reasons() {
    let mut r = router(1000);
    let reason = |b: &Value| {
        b["details"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    let (s, _, b) = call(
        &mut r,
        Request::get("/v1/jobs/nope")
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::NOT_FOUND, "JOB_NOT_FOUND")
    );
    assert_eq!(b["code"], 5);

    let (s, _, b) = call(
        &mut r,
        Request::post("/v1/jobs")
            .body(Body::from("not json"))
            .expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_JSON")
    );

    // Just over the document limit: 413 DOCUMENT_TOO_LARGE, as JSON and as multipart.
    let content = base64::engine::general_purpose::STANDARD.encode(vec![b'a'; 1001]);
    let body = format!(r#"{{"document":{{"content":"{content}"}}}}"#);
    let (s, _, b) = call(
        &mut r,
        Request::post("/v1/jobs").body(Body::from(body)).expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "DOCUMENT_TOO_LARGE")
    );
    let boundary = "XyZ";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    form.extend(vec![b'a'; 1001]);
    form.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let (s, _, b) = call(
        &mut r,
        Request::post("/v1/jobs:upload")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(form))
            .expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "DOCUMENT_TOO_LARGE")
    );
    // Far over the decode limit: still 413 with the same reason, not a transport error.
    let huge = vec![b'a'; 3 * 1000 + 2 * 1024 * 1024];
    let (s, _, b) = call(
        &mut r,
        Request::post("/v1/jobs").body(Body::from(huge)).expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "DOCUMENT_TOO_LARGE")
    );

    let (s, headers, _) = call(
        &mut r,
        Request::delete("/v1/jobs").body(Body::empty()).expect("r"),
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.get("allow").is_some());
    let (s, _, b) = call(
        &mut r,
        Request::get("/v2/else").body(Body::empty()).expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    let (s, _, b) = call(
        &mut r,
        Request::get("/v1/jobs?page_size=x")
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(
        (s, reason(&b).as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_PAGE_SIZE")
    );
    assert_eq!(b["details"][1]["fieldViolations"][0]["field"], "page_size");
}
