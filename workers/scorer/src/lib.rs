//! fazhi-scorer
