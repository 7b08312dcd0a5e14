//! Generates the fazhi v1 types with protox (pure Rust, no `protoc` on the machine needed),
//! tonic service code, pbjson serde impls for the proto3 JSON mapping, and — from the
//! `google.api.http` rules in the same proto — the HTTP binding table and the OpenAPI document,
//! so the REST face and its description cannot drift from the gRPC contract.
use std::{env, path::PathBuf};

#[path = "build/openapi.rs"]
mod openapi;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let proto = "fazhi/v1/fazhi.proto";
    for f in [
        proto,
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/rpc/status.proto",
        "build/openapi.rs",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    let mut compiler = protox::Compiler::new(["."])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files([proto, "google/rpc/status.proto"])?;
    let fds = compiler.file_descriptor_set();
    let descriptor_path = out.join("fazhi_descriptor.bin");
    // Encoded by protox so the method options keep their `google.api.http` extension.
    std::fs::write(&descriptor_path, compiler.encode_file_descriptor_set())?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "::pbjson_types")
        .file_descriptor_set_path(&descriptor_path)
        .skip_protoc_run()
        .compile_fds(fds)?;

    let descriptors = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptors)?
        .extern_path(".google.protobuf", "::pbjson_types")
        .build(&[".fazhi"])?;

    let pool = compiler.descriptor_pool();
    let api = openapi::Api::read(&pool, "fazhi.v1.ReportService")?;
    std::fs::write(out.join("openapi.json"), api.openapi()?)?;
    std::fs::write(out.join("http_rules.rs"), api.rules_rs())?;
    Ok(())
}
