//! fazhi-gateway
