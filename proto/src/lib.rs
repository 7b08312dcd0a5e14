//! The fazhi API v1 wire types (`fazhi.v1`), generated from `proto/fazhi/v1/fazhi.proto`.
//!
//! Messages carry serde impls that follow the proto3 JSON mapping (lowerCamelCase names, enum
//! names as strings), so `fazhi score --format json` and the gRPC API speak the same shapes.

pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("fazhi.v1");
    include!(concat!(env!("OUT_DIR"), "/fazhi.v1.serde.rs"));

    /// One `google.api.http` binding of an rpc, as declared in the proto.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct HttpRule {
        pub rpc: &'static str,
        pub method: &'static str,
        /// Path template, e.g. `/v1/jobs/{id}:cancel`.
        pub path: &'static str,
        /// `*` (the whole request is the body) or empty (query parameters).
        pub body: &'static str,
    }

    include!(concat!(env!("OUT_DIR"), "/http_rules.rs"));

    /// The OpenAPI 3.1 document of the HTTP face, generated from the proto at build time.
    pub const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

    /// Encoded descriptor set, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/fazhi_descriptor.bin"));
}
