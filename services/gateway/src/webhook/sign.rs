//! The webhook signature: `X-Fazhi-Signature: t=UNIX_SECONDS,v1=HEX` where HEX is
//! HMAC-SHA256 over `"{t}.{body}"` with the tenant's secret. Receivers recompute it, compare in
//! constant time, and reject a `t` older than their tolerance (five minutes is usual), which
//! stops a captured delivery from being replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-fazhi-signature";

/// The header value for `body` sent at `unix_seconds`.
pub fn signature(
    secret: &[u8],
    unix_seconds: i64,
    body: &[u8],
) -> Result<String, hmac::digest::InvalidLength> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret)?;
    m.update(unix_seconds.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Ok(format!(
        "t={unix_seconds},v1={}",
        hex::encode(m.finalize().into_bytes())
    ))
}

/// Checks a header value the way a receiver should (used by fazhi's own tests and examples).
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_seconds: i64,
    tolerance_seconds: i64,
) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now_seconds - t).abs() > tolerance_seconds {
        return false;
    }
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.verify_slice(&v1).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let h = signature(b"s3cret", 1_700_000_000, b"{\"id\":\"j\"}").expect("sign");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify(b"s3cret", &h, b"{\"id\":\"j\"}", 1_700_000_100, 300));
        assert!(!verify(b"other", &h, b"{\"id\":\"j\"}", 1_700_000_100, 300));
        assert!(!verify(
            b"s3cret",
            &h,
            b"{\"id\":\"k\"}",
            1_700_000_100,
            300
        ));
        assert!(!verify(
            b"s3cret",
            &h,
            b"{\"id\":\"j\"}",
            1_700_001_000,
            300
        ));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2 shape: key "Jefe"; message "0.what do ya want for nothing?".
        // Python: hmac.new(b"Jefe", b"0.what do ya want for nothing?", sha256).hexdigest()
        let h = signature(b"Jefe", 0, b"what do ya want for nothing?").expect("sign");
        assert_eq!(
            h,
            "t=0,v1=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc"
        );
    }
}
