//! Tenants and API keys.
//!
//! Clients send `authorization: Bearer <key>`. The auth file holds only SHA-256 hashes of keys,
//! so a leaked config does not leak keys:
//!
//! ```toml
//! [[tenant]]
//! name = "beijing-platform"
//! key_sha256 = ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
//! max_in_flight = 100        # optional (0 = no cap), default from GatewayConfig::default_limits
//! submit_rate_per_sec = 50   # optional
//! submit_burst = 100         # optional
//! checklist = "guide-zj"     # optional: checklist (and its deadline rules) when a request names none
//! ```
//!
//! Lookup hashes the presented key and looks the digest up in a map; timing reveals nothing
//! about the key itself. Without an auth file the gateway is open and everyone is tenant
//! `default`. The [`AuthInterceptor`] guards only `fazhi.v1.ReportService`: health and
//! reflection stay open so probes and grpcurl work without keys.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tonic::{Request, Status};

use crate::config::TenantLimits;
use crate::error::{ApiError, GatewayError};
use crate::limits::TenantState;

/// The name of the only tenant in open mode.
pub const DEFAULT_TENANT: &str = "default";

/// An authenticated caller, placed in the request extensions by [`AuthInterceptor`].
#[derive(Clone, Debug)]
pub struct Tenant(pub Arc<TenantState>);

impl Tenant {
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    #[serde(default)]
    tenant: Vec<TenantEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantEntry {
    name: String,
    key_sha256: Vec<String>,
    max_in_flight: Option<usize>,
    submit_rate_per_sec: Option<f64>,
    submit_burst: Option<f64>,
    /// HMAC key for this tenant's webhook signatures.
    webhook_secret: Option<String>,
    /// notify_url used when a submission names none.
    notify_url: Option<String>,
    /// Checklist used when a request names none (a province's guide and its deadlines).
    checklist: Option<String>,
}

/// Maps keys to tenants.
#[derive(Debug)]
pub enum Authenticator {
    /// No auth file: every caller is the `default` tenant.
    Open(Tenant),
    /// Key digest (lowercase hex) → tenant.
    Keys(HashMap<String, Tenant>),
}

impl Authenticator {
    pub fn open(limits: TenantLimits) -> Self {
        Self::open_with(limits, crate::webhook::TenantWebhook::default())
    }

    /// Open mode whose tenant has webhook settings (`--webhook-secret`, `--notify-url`).
    pub fn open_with(limits: TenantLimits, webhook: crate::webhook::TenantWebhook) -> Self {
        Self::Open(Tenant(Arc::new(
            TenantState::new(DEFAULT_TENANT, limits).with_webhook(webhook),
        )))
    }

    /// Reads the TOML auth file; fields a tenant leaves out come from `defaults`.
    pub fn from_file(path: &Path, defaults: &TenantLimits) -> Result<Self, GatewayError> {
        let text = std::fs::read_to_string(path).map_err(|source| GatewayError::ReadFile {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, defaults).map_err(|message| GatewayError::AuthFile {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses auth-file text (see the module docs for the format).
    pub fn from_toml(text: &str, defaults: &TenantLimits) -> Result<Self, String> {
        let file: AuthFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.tenant.is_empty() {
            return Err("no [[tenant]] entries".into());
        }
        let mut keys = HashMap::new();
        let mut names = std::collections::HashSet::new();
        for t in file.tenant {
            // Control characters are refused: tenant names end up in keys and logs.
            if t.name.is_empty()
                || t.name.chars().any(char::is_control)
                || !names.insert(t.name.clone())
            {
                return Err(format!(
                    "tenant name {:?} empty, repeated or with control characters",
                    t.name
                ));
            }
            let limits = TenantLimits {
                max_in_flight: t.max_in_flight.unwrap_or(defaults.max_in_flight),
                submit_rate_per_sec: t
                    .submit_rate_per_sec
                    .unwrap_or(defaults.submit_rate_per_sec),
                // A tenant given a rate but no burst (and no default burst) may burst one
                // second's worth.
                submit_burst: t.submit_burst.unwrap_or(if defaults.submit_burst >= 1.0 {
                    defaults.submit_burst
                } else {
                    t.submit_rate_per_sec.unwrap_or(0.0).max(1.0)
                }),
            };
            if let Err(e) = limits.validate() {
                return Err(format!("tenant {:?}: {e}", t.name));
            }
            if t.webhook_secret.as_deref().is_some_and(|s| s.len() < 16) {
                return Err(format!(
                    "tenant {:?}: webhook_secret must be at least 16 characters",
                    t.name
                ));
            }
            let webhook = crate::webhook::TenantWebhook {
                secret: t.webhook_secret.filter(|s| !s.is_empty()),
                default_url: t.notify_url.filter(|s| !s.trim().is_empty()),
            };
            let checklist = t
                .checklist
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty());
            if let Some(c) = &checklist
                && fazhi_engine::checklist::get(c).is_none()
            {
                return Err(format!(
                    "tenant {:?}: checklist {c:?} is not loaded (built-in or --checklist-dir)",
                    t.name
                ));
            }
            let tenant = Tenant(Arc::new(
                TenantState::new(&t.name, limits)
                    .with_webhook(webhook)
                    .with_checklist(checklist),
            ));
            for k in t.key_sha256 {
                let k = k.trim().to_ascii_lowercase();
                if k.len() != 64 || !k.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "tenant {:?}: key_sha256 entries must be 64 hex digits",
                        t.name
                    ));
                }
                if keys.insert(k, tenant.clone()).is_some() {
                    return Err(format!("tenant {:?}: key hash listed twice", t.name));
                }
            }
        }
        Ok(Self::Keys(keys))
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open(_))
    }

    /// The tenant for the request's `authorization` metadata.
    pub fn authenticate(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Tenant, ApiError> {
        self.authenticate_header(metadata.get("authorization").and_then(|v| v.to_str().ok()))
    }

    /// A tenant by name (the webhook sender signs with its secret).
    pub fn tenant_named(&self, name: &str) -> Option<Tenant> {
        match self {
            Self::Open(t) => (t.name() == name).then(|| t.clone()),
            Self::Keys(keys) => keys.values().find(|t| t.name() == name).cloned(),
        }
    }

    /// The tenant of an `Authorization: Bearer KEY` value (gRPC metadata or HTTP header).
    pub fn authenticate_header(&self, authorization: Option<&str>) -> Result<Tenant, ApiError> {
        match self {
            Self::Open(t) => Ok(t.clone()),
            Self::Keys(keys) => {
                let key = authorization
                    .and_then(|v| {
                        let (scheme, rest) = v.trim().split_once(' ')?;
                        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
                    })
                    .filter(|k| !k.is_empty())
                    .ok_or(ApiError::Unauthenticated)?;
                keys.get(&key_digest(key))
                    .cloned()
                    .ok_or(ApiError::Unauthenticated)
            }
        }
    }
}

pub fn key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Authenticates every ReportService call and stores the [`Tenant`] in the extensions.
#[derive(Clone)]
pub struct AuthInterceptor {
    pub(crate) auth: Arc<Authenticator>,
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        let tenant = self.auth.authenticate(req.metadata())?;
        req.extensions_mut().insert(tenant);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataMap;

    fn md(v: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        m.insert("authorization", v.parse().expect("ascii"));
        m
    }

    #[test]
    fn keys_map_to_tenants_by_hash() {
        let text = format!(
            "[[tenant]]\nname = \"a\"\nkey_sha256 = [\"{}\"]\nmax_in_flight = 3\n\n\
             [[tenant]]\nname = \"b\"\nkey_sha256 = [\"{}\"]\n",
            key_digest("ka"),
            key_digest("kb").to_uppercase()
        );
        let auth = Authenticator::from_toml(&text, &TenantLimits::default()).expect("parse");
        let a = auth.authenticate(&md("Bearer ka")).expect("a");
        assert_eq!(a.name(), "a");
        assert_eq!(a.0.limits.max_in_flight, 3);
        assert_eq!(auth.authenticate(&md("bearer kb")).expect("b").name(), "b");
        assert!(auth.authenticate(&md("Bearer nope")).is_err());
        assert!(auth.authenticate(&md("ka")).is_err());
        assert!(auth.authenticate(&MetadataMap::new()).is_err());
    }

    #[test]
    fn rejects_bad_files() {
        let d = TenantLimits::default();
        assert!(Authenticator::from_toml("", &d).is_err());
        assert!(
            Authenticator::from_toml("[[tenant]]\nname=\"a\"\nkey_sha256=[\"xyz\"]", &d).is_err()
        );
        assert!(Authenticator::from_toml("[[tenant]]\nname=\"a\"\nkey=[]", &d).is_err());
    }

    #[test]
    fn a_tenant_may_name_its_default_checklist() {
        let d = TenantLimits::default();
        let text = format!(
            "[[tenant]]\nname = \"zj\"\nkey_sha256 = [\"{}\"]\nchecklist = \"gangyao-2015-2020\"\n\n\
             [[tenant]]\nname = \"b\"\nkey_sha256 = [\"{}\"]\n",
            key_digest("kz"),
            key_digest("kb")
        );
        let auth = Authenticator::from_toml(&text, &d).expect("parse");
        let zj = auth.authenticate(&md("Bearer kz")).expect("zj");
        assert_eq!(zj.0.checklist_for(""), "gangyao-2015-2020");
        assert_eq!(zj.0.checklist_for("gangyao-2021-2025"), "gangyao-2021-2025");
        let b = auth.authenticate(&md("Bearer kb")).expect("b");
        assert_eq!(b.0.checklist_for(" "), "");
        let unknown = text.replace("gangyao-2015-2020", "no-such-guide");
        let e = Authenticator::from_toml(&unknown, &d).expect_err("unknown checklist");
        assert!(e.contains("no-such-guide"), "{e}");
    }
}
