//! Signature verification with aws-lc-rs over what x509-parser parsed: the
//! algorithms DVV's CAs use (ECDSA P-256/P-384, RSA PKCS#1 v1.5).

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// Verifies `signature` over `message` by the holder of `key`, with the
/// signature algorithm `alg` (as named in the signed object).
pub fn verify(
    key: &SubjectPublicKeyInfo<'_>,
    alg: &AlgorithmIdentifier<'_>,
    message: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let key_alg = key.algorithm.algorithm.to_id_string();
    let sig_alg = alg.algorithm.to_id_string();
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let algorithm: &'static dyn VerificationAlgorithm =
        match (key_alg.as_str(), curve.as_deref(), sig_alg.as_str()) {
            (EC_PUBLIC_KEY, Some(P256), "1.2.840.10045.4.3.2") => {
                &signature::ECDSA_P256_SHA256_ASN1
            }
            (EC_PUBLIC_KEY, Some(P256), "1.2.840.10045.4.3.3") => {
                &signature::ECDSA_P256_SHA384_ASN1
            }
            (EC_PUBLIC_KEY, Some(P384), "1.2.840.10045.4.3.2") => {
                &signature::ECDSA_P384_SHA256_ASN1
            }
            (EC_PUBLIC_KEY, Some(P384), "1.2.840.10045.4.3.3") => {
                &signature::ECDSA_P384_SHA384_ASN1
            }
            (RSA_ENCRYPTION, _, "1.2.840.113549.1.1.11") => &signature::RSA_PKCS1_2048_8192_SHA256,
            (RSA_ENCRYPTION, _, "1.2.840.113549.1.1.12") => &signature::RSA_PKCS1_2048_8192_SHA384,
            (RSA_ENCRYPTION, _, "1.2.840.113549.1.1.13") => &signature::RSA_PKCS1_2048_8192_SHA512,
            (k, c, s) => {
                return Err(format!(
                    "unsupported signature: key {k} (curve {}), algorithm {s}",
                    c.unwrap_or("-")
                ));
            }
        };
    UnparsedPublicKey::new(algorithm, &key.subject_public_key.data[..])
        .verify(message, sig)
        .map_err(|_| "signature does not verify".to_string())
}
