//! Report text is untrusted and the page renders it as text only; the policy is the second
//! wall: no inline script or style, no other origin for anything, no plugins, no referrer
//! leaving the page. Framing is the server's own origin unless the operator names the
//! platforms that embed the workbench beside their own pages.

use axum::http::{HeaderMap, HeaderValue, header};

/// The policy with no embedding platform configured.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
    manifest-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; \
    frame-ancestors 'self'";

/// The policy allowing these origins (already checked by [`parse_frame_ancestors`]) to frame
/// the workbench.
pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let mut csp = CONTENT_SECURITY_POLICY.to_string();
    for origin in frame_ancestors {
        csp.push(' ');
        csp.push_str(origin);
    }
    csp
}

/// `https://platform.example.gov.cn https://*.example.org:8443` (space or comma separated):
/// scheme, host (a leading `*.` allowed) and optional port — nothing that could end the
/// directive or add another.
pub fn parse_frame_ancestors(s: &str) -> Result<Vec<String>, String> {
    s.split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (scheme, rest) = t
                .split_once("://")
                .ok_or_else(|| format!("{t:?}: an origin is scheme://host[:port]"))?;
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            };
            let host_ok = {
                let bare = host.strip_prefix("*.").unwrap_or(host);
                !bare.is_empty()
                    && bare
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            };
            let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok());
            if !matches!(scheme, "http" | "https") || !host_ok || !port_ok {
                return Err(format!(
                    "{t:?}: an origin is http(s)://host[:port], host letters, digits, dots and \
                     dashes (a leading *. allowed)"
                ));
            }
            Ok(t.to_ascii_lowercase())
        })
        .collect()
}

/// Headers every workbench answer carries; `csp` from [`content_security_policy`].
pub(crate) fn apply(headers: &mut HeaderMap, csp: &HeaderValue, framed_elsewhere: bool) {
    headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Browsers that know frame-ancestors ignore X-Frame-Options; older ones would refuse the
    // embedding platforms with it, so it is sent only when nobody else may frame the page.
    if !framed_elsewhere {
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_are_origins_only() {
        assert_eq!(
            parse_frame_ancestors("https://Platform.example.gov.cn, http://*.intra.cn:8080")
                .expect("valid"),
            vec![
                "https://platform.example.gov.cn".to_string(),
                "http://*.intra.cn:8080".to_string()
            ]
        );
        assert_eq!(
            parse_frame_ancestors("  ").expect("empty"),
            Vec::<String>::new()
        );
        for bad in [
            "platform.example.gov.cn",
            "https://a.cn; script-src *",
            "javascript://x",
            "https://a.cn:99999",
            "https://",
            "'unsafe-inline'",
            "https://a.cn/path",
        ] {
            assert!(parse_frame_ancestors(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn the_policy_forbids_inline_code_and_other_origins() {
        let csp = content_security_policy(&[]);
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        let framed = content_security_policy(&["https://p.gov.cn".to_string()]);
        assert!(
            framed.ends_with("frame-ancestors 'self' https://p.gov.cn"),
            "{framed}"
        );
    }
}
