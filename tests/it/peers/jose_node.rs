//! Our JOSE (src/jose/) against panva's `jose` (tests/peers/jose_peer.mjs),
//! both ways: what we encrypt — RSA-OAEP-256 and ECDH-ES, each with every
//! content encryption we know — it decrypts to the same bytes (and a
//! tampered one it refuses); what it signs — RS256, PS256, ES256 — we
//! verify. The other way round (it encrypts, we decrypt) is every login in
//! `suomifi_oidc_node`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use porttivahti::jose::{self, ContentEnc, Jwk, JwkSet, KeyAlg, SigAlg};

#[test]
fn our_jwe_opens_in_panvas_jose_and_its_jws_verifies_here() {
    let there = super::dir().join("node_modules/jose").is_dir() && super::on_path("node");
    if !super::present("jose (tests/peers/node_modules)", there) {
        return;
    }
    let mut child = Command::new("node")
        .arg(super::dir().join("jose_peer.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    let first: serde_json::Value = serde_json::from_str(&line).unwrap();
    let rsa: Jwk = serde_json::from_value(first["enc"]["rsa"].clone()).unwrap();
    let ec: Jwk = serde_json::from_value(first["enc"]["ec"].clone()).unwrap();
    let mut ask = |token: &str| {
        writeln!(input, "{token}").unwrap();
        let mut answer = String::new();
        output.read_line(&mut answer).unwrap();
        answer.trim_end().to_string()
    };
    let mut pairs = 0;
    for (to, alg) in [(&rsa, KeyAlg::RsaOaep256), (&ec, KeyAlg::EcdhEs)] {
        for enc in ContentEnc::ALL {
            let payload = format!("cross {} {}", alg.as_str(), enc.as_str());
            let t = jose::jwe::encrypt(payload.as_bytes(), to, alg, enc, Some("JWT")).unwrap();
            assert_eq!(ask(&t), format!("ok {payload}"), "{alg:?} {enc:?}");
            // One bit of the ciphertext changed: refused there too.
            let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
            let mut ct = porttivahti::tokens::b64url_decode(&parts[3]).unwrap();
            ct[0] ^= 1;
            parts[3] = porttivahti::tokens::b64url(ct);
            assert!(
                ask(&parts.join(".")).starts_with("error"),
                "{alg:?} {enc:?}"
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 8);
    for s in first["signed"].as_array().unwrap() {
        let jwk: Jwk = serde_json::from_value(s["jwk"].clone()).unwrap();
        let set = JwkSet { keys: vec![jwk] };
        let token = s["token"].as_str().unwrap();
        let alg = SigAlg::parse(s["alg"].as_str().unwrap()).unwrap();
        let v = jose::jws::verify(token, &set, &[alg]).unwrap();
        assert_eq!(v.payload, br#"{"sub":"cross"}"#);
        // Not under another algorithm than the one it was signed with.
        let others: Vec<SigAlg> = SigAlg::ALL.into_iter().filter(|a| *a != alg).collect();
        assert!(jose::jws::verify(token, &set, &others).is_err());
    }
    drop(input);
    let _ = child.wait();
}
