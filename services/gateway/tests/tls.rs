//! TLS and mTLS on the gRPC port, with certificates made by the `openssl` command line (the
//! test fails, saying so, where it is missing: a skipped TLS test would prove nothing).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use fazhi_gateway::{Gateway, GatewayConfig, TlsConfig};
use fazhi_jobs::{MemoryQueue, MemoryStore};
use fazhi_proto::v1 as wire;
use fazhi_proto::v1::report_service_client::ReportServiceClient;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// CA, a server cert for localhost/127.0.0.1 and a client cert, all signed by the CA.
fn make_pki(dir: &Path) -> bool {
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .is_ok()
        && openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=test-ca",
            ],
        )
        && [("server", "localhost"), ("client", "client")]
            .iter()
            .all(|(n, cn)| {
                openssl(
                    dir,
                    &[
                        "req",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-256",
                        "-nodes",
                        "-keyout",
                        &format!("{n}.key"),
                        "-out",
                        &format!("{n}.csr"),
                        "-subj",
                        &format!("/CN={cn}"),
                    ],
                ) && openssl(
                    dir,
                    &[
                        "x509",
                        "-req",
                        "-in",
                        &format!("{n}.csr"),
                        "-CA",
                        "ca.pem",
                        "-CAkey",
                        "ca.key",
                        "-CAcreateserial",
                        "-out",
                        &format!("{n}.pem"),
                        "-days",
                        "2",
                        "-extfile",
                        "ext.cnf",
                    ],
                )
            })
}

#[tokio::test]
async fn mtls_serves_clients_with_certificates_only() {
    let dir = std::env::temp_dir().join(format!("fazhi-gw-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    if !make_pki(&dir) {
        panic!("the openssl command could not make test certificates (apt-get install openssl)");
    }
    let cfg = GatewayConfig {
        grpc_addr: "127.0.0.1:0".parse().expect("addr"),
        http_addr: None,
        tls: Some(TlsConfig {
            cert_pem: dir.join("server.pem"),
            key_pem: dir.join("server.key"),
            client_ca_pem: Some(dir.join("ca.pem")),
        }),
        ..Default::default()
    };
    let gw = Gateway::new(
        cfg,
        Arc::new(MemoryStore::default()),
        Arc::new(MemoryQueue::default()),
    )
    .expect("gateway");
    let bound = gw.bind().await.expect("bind");
    let addr = bound.grpc_addr();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(bound.run(shutdown.clone()));

    let read = |f: &str| std::fs::read(dir.join(f)).expect("pem");
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.pem")))
        .domain_name("localhost");
    let endpoint = |tls: ClientTlsConfig| {
        Channel::from_shared(format!("https://{addr}"))
            .expect("uri")
            .tls_config(tls)
            .expect("tls")
            .connect_timeout(Duration::from_secs(5))
    };

    // With a client certificate: served.
    let ch = endpoint(
        tls.clone()
            .identity(Identity::from_pem(read("client.pem"), read("client.key"))),
    )
    .connect()
    .await
    .expect("mTLS connect");
    let list = ReportServiceClient::new(ch)
        .list_checklists(wire::ListChecklistsRequest::default())
        .await
        .expect("served over mTLS")
        .into_inner();
    assert!(!list.checklists.is_empty());

    // Without one: the handshake or the first call fails.
    let refused = match endpoint(tls).connect().await {
        Err(_) => true,
        Ok(ch) => ReportServiceClient::new(ch)
            .list_checklists(wire::ListChecklistsRequest::default())
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate was served");

    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    let _ = std::fs::remove_dir_all(&dir);
}
