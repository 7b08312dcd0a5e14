//! The fazhi API v1 wire types (`fazhi.v1`), generated from `proto/fazhi/v1/fazhi.proto`.
//!
//! Messages carry serde impls that follow the proto3 JSON mapping (lowerCamelCase names, enum
//! names as strings), so `fazhi score --format json` and the gRPC API speak the same shapes.

pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("fazhi.v1");
    include!(concat!(env!("OUT_DIR"), "/fazhi.v1.serde.rs"));

    /// Encoded descriptor set, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/fazhi_descriptor.bin"));
}
