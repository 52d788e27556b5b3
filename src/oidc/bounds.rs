//! Bounds on what an authorization request may make the gateway keep:
//! every parameter a pending login stores has a longest length and no
//! control characters. docs/configuration.md (`[rate_limit]`) gives the
//! resulting bound of the ephemeral store.

/// Longest `client_id` looked up (bytes); a longer one is no client.
pub const MAX_CLIENT_ID: usize = 128;
/// Longest `redirect_uri` (bytes); it must equal a registered one anyway.
pub const MAX_REDIRECT_URI: usize = 2048;
/// Longest `scope` parameter (bytes).
pub const MAX_SCOPE: usize = 512;
/// Longest `state` (bytes).
pub const MAX_STATE: usize = 1024;
/// Longest `nonce` (bytes).
pub const MAX_NONCE: usize = 256;
/// Longest `login_hint` (bytes).
pub const MAX_LOGIN_HINT: usize = 256;
/// Longest `idp_hint` (bytes): a source id.
pub const MAX_IDP_HINT: usize = 64;
/// Longest `acr_values` (bytes).
pub const MAX_ACR_VALUES: usize = 256;
/// Longest pending-login id (`ar`) accepted back; ours are 24 characters.
pub const MAX_AR: usize = 64;
/// What one stored pending login takes at most, key and value (bytes),
/// with every parameter at its longest: the figure of the documented bound.
pub const MAX_PENDING_ENTRY_BYTES: usize = 8192;

/// Why a stored parameter is refused, if it is: longer than `max` bytes,
/// or with control characters (none of them needs any).
pub fn param_problem(name: &str, value: Option<&str>, max: usize) -> Option<String> {
    let v = value?;
    if v.len() > max {
        return Some(format!("{name} is longer than {max} bytes"));
    }
    if v.chars().any(char::is_control) {
        return Some(format!("{name} contains control characters"));
    }
    None
}

/// A pending-login id as this server makes them: base64url, short.
pub fn ar_ok(ar: &str) -> bool {
    ar.len() <= MAX_AR
        && ar
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// At most `max` bytes of `s` (on a character boundary), for a log line.
pub fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if end < s.len() {
        format!("{}…", &s[..end])
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_ids() {
        assert!(param_problem("state", Some(&"x".repeat(MAX_STATE)), MAX_STATE).is_none());
        assert!(param_problem("state", Some(&"x".repeat(MAX_STATE + 1)), MAX_STATE).is_some());
        assert!(param_problem("state", Some("a\nb"), MAX_STATE).is_some());
        assert!(param_problem("state", None, MAX_STATE).is_none());
        assert!(ar_ok("") && ar_ok("Ab-_09") && !ar_ok("a b") && !ar_ok(&"a".repeat(65)));
        assert_eq!(clip("ääkkönen", 3), "ä…");
    }
}
