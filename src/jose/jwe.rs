//! Compact JWE (RFC 7516): decryption with our RSA or P-256 key, and
//! encryption to a published key (the development IdP's and the tests'
//! side). Key management RSA-OAEP-256 or ECDH-ES (direct key agreement,
//! Concat KDF of RFC 7518 §4.6); content A128GCM, A256GCM, A128CBC-HS256,
//! A256CBC-HS512.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::cipher::{
    AES_128, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{
    OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use aws_lc_rs::{digest, hmac};
use serde::Deserialize;

use super::jwk::{Jwk, Use};
use super::{JoseError, b64};
use crate::crypto::{b64url, constant_time_eq};

/// Key management algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    RsaOaep256,
    EcdhEs,
}

impl KeyAlg {
    pub const ALL: [KeyAlg; 2] = [KeyAlg::RsaOaep256, KeyAlg::EcdhEs];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::RsaOaep256 => "RSA-OAEP-256",
            KeyAlg::EcdhEs => "ECDH-ES",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Content encryption algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum ContentEnc {
    A128GCM,
    A256GCM,
    A128CBC_HS256,
    A256CBC_HS512,
}

impl ContentEnc {
    pub const ALL: [ContentEnc; 4] = [
        ContentEnc::A128GCM,
        ContentEnc::A256GCM,
        ContentEnc::A128CBC_HS256,
        ContentEnc::A256CBC_HS512,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContentEnc::A128GCM => "A128GCM",
            ContentEnc::A256GCM => "A256GCM",
            ContentEnc::A128CBC_HS256 => "A128CBC-HS256",
            ContentEnc::A256CBC_HS512 => "A256CBC-HS512",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The content encryption key's length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            ContentEnc::A128GCM => 16,
            ContentEnc::A256GCM | ContentEnc::A128CBC_HS256 => 32,
            ContentEnc::A256CBC_HS512 => 64,
        }
    }

    fn iv_len(self) -> usize {
        match self {
            ContentEnc::A128GCM | ContentEnc::A256GCM => 12,
            ContentEnc::A128CBC_HS256 | ContentEnc::A256CBC_HS512 => 16,
        }
    }

    fn tag_len(self) -> usize {
        match self {
            ContentEnc::A256CBC_HS512 => 32,
            _ => 16,
        }
    }
}

/// Encrypts `plaintext` with `cek` and `iv`, authenticating `aad`:
/// (ciphertext, tag).
pub(crate) fn seal(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), JoseError> {
    let bad = |_| JoseError::Key("content encryption failed".into());
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() {
        return Err(JoseError::Key("wrong key or IV length".into()));
    }
    match enc {
        ContentEnc::A128GCM | ContentEnc::A256GCM => {
            let alg = if enc == ContentEnc::A128GCM {
                &AES_128_GCM
            } else {
                &AES_256_GCM
            };
            let key = LessSafeKey::new(UnboundKey::new(alg, cek).map_err(bad)?);
            let nonce = Nonce::try_assume_unique_for_key(iv).map_err(bad)?;
            let mut ct = plaintext.to_vec();
            let tag = key
                .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut ct)
                .map_err(bad)?;
            Ok((ct, tag.as_ref().to_vec()))
        }
        ContentEnc::A128CBC_HS256 | ContentEnc::A256CBC_HS512 => {
            let half = enc.key_len() / 2;
            let (mac_key, enc_key) = cek.split_at(half);
            let alg = if half == 16 { &AES_128 } else { &AES_256 };
            let key = PaddedBlockEncryptingKey::cbc_pkcs7(
                UnboundCipherKey::new(alg, enc_key).map_err(bad)?,
            )
            .map_err(bad)?;
            let iv16: [u8; 16] = iv.try_into().map_err(|_| JoseError::Decrypt)?;
            let mut ct = plaintext.to_vec();
            key.less_safe_encrypt(&mut ct, EncryptionContext::Iv128(FixedLength::from(iv16)))
                .map_err(bad)?;
            let tag = cbc_hmac_tag(enc, mac_key, aad, iv, &ct);
            Ok((ct, tag))
        }
    }
}

/// RFC 7518 §5.2.2.1: HMAC over AAD ‖ IV ‖ ciphertext ‖ AAD length in
/// bits (64-bit big-endian), truncated to half.
fn cbc_hmac_tag(enc: ContentEnc, mac_key: &[u8], aad: &[u8], iv: &[u8], ct: &[u8]) -> Vec<u8> {
    let alg = if enc == ContentEnc::A128CBC_HS256 {
        hmac::HMAC_SHA256
    } else {
        hmac::HMAC_SHA512
    };
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(alg, mac_key));
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ct);
    ctx.update(&((aad.len() as u64) * 8).to_be_bytes());
    ctx.sign().as_ref()[..enc.tag_len()].to_vec()
}

/// Checks the tag and decrypts. Every failure is [`JoseError::Decrypt`].
pub(crate) fn open(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, JoseError> {
    let bad = |_| JoseError::Decrypt;
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return Err(JoseError::Decrypt);
    }
    match enc {
        ContentEnc::A128GCM | ContentEnc::A256GCM => {
            let alg = if enc == ContentEnc::A128GCM {
                &AES_128_GCM
            } else {
                &AES_256_GCM
            };
            let key = LessSafeKey::new(UnboundKey::new(alg, cek).map_err(bad)?);
            let nonce = Nonce::try_assume_unique_for_key(iv).map_err(bad)?;
            let mut buf = Vec::with_capacity(ct.len() + tag.len());
            buf.extend_from_slice(ct);
            buf.extend_from_slice(tag);
            let plain = key
                .open_in_place(nonce, Aad::from(aad), &mut buf)
                .map_err(bad)?;
            Ok(plain.to_vec())
        }
        ContentEnc::A128CBC_HS256 | ContentEnc::A256CBC_HS512 => {
            let half = enc.key_len() / 2;
            let (mac_key, enc_key) = cek.split_at(half);
            // The tag first: nothing is decrypted before it checks.
            if !constant_time_eq(&cbc_hmac_tag(enc, mac_key, aad, iv, ct), tag) {
                return Err(JoseError::Decrypt);
            }
            let alg = if half == 16 { &AES_128 } else { &AES_256 };
            let key = PaddedBlockDecryptingKey::cbc_pkcs7(
                UnboundCipherKey::new(alg, enc_key).map_err(bad)?,
            )
            .map_err(bad)?;
            let iv16: [u8; 16] = iv.try_into().map_err(|_| JoseError::Decrypt)?;
            let mut buf = ct.to_vec();
            let plain = key
                .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv16)))
                .map_err(bad)?;
            Ok(plain.to_vec())
        }
    }
}

/// RFC 7518 §4.6.2: the Concat KDF (NIST SP 800-56A) with SHA-256 over the
/// shared secret `z`, for direct key agreement (`alg_id` is the `enc`).
pub(crate) fn concat_kdf(z: &[u8], alg_id: &str, apu: &[u8], apv: &[u8], len: usize) -> Vec<u8> {
    let mut other = Vec::new();
    for field in [alg_id.as_bytes(), apu, apv] {
        other.extend_from_slice(&(field.len() as u32).to_be_bytes());
        other.extend_from_slice(field);
    }
    other.extend_from_slice(&((len as u32) * 8).to_be_bytes());
    let mut out = Vec::with_capacity(len + 32);
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&other);
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// Our decryption key: RSA (RSA-OAEP-256) or P-256 (ECDH-ES), from PKCS#8.
pub struct DecryptionKey {
    kind: DecryptionKind,
    /// The public half as published (`use: enc`).
    pub jwk: Jwk,
}

enum DecryptionKind {
    Rsa(OaepPrivateDecryptingKey),
    Ec(agreement::PrivateKey),
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

impl DecryptionKey {
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, JoseError> {
        if let Ok(pair) = RsaKeyPair::from_pkcs8(der) {
            if pair.public_modulus_len() < 256 {
                return Err(JoseError::Key(
                    "an RSA key must have at least 2048 bits".into(),
                ));
            }
            let public = pair.public_key();
            let jwk = Jwk::rsa(
                public.modulus().big_endian_without_leading_zero(),
                public.exponent().big_endian_without_leading_zero(),
                Use::Enc,
                KeyAlg::RsaOaep256.as_str(),
            );
            let key = PrivateDecryptingKey::from_pkcs8(der)
                .ok()
                .and_then(|k| OaepPrivateDecryptingKey::new(k).ok())
                .ok_or_else(|| JoseError::Key("an RSA key that cannot decrypt".into()))?;
            return Ok(DecryptionKey {
                kind: DecryptionKind::Rsa(key),
                jwk,
            });
        }
        let key = agreement::PrivateKey::from_private_key_der(&ECDH_P256, der)
            .map_err(|_| JoseError::Key("not a PKCS#8 RSA or P-256 private key".into()))?;
        let public = key
            .compute_public_key()
            .map_err(|_| JoseError::Key("no public key".into()))?;
        let jwk = Jwk::p256(public.as_ref(), Use::Enc, KeyAlg::EcdhEs.as_str())?;
        Ok(DecryptionKey {
            kind: DecryptionKind::Ec(key),
            jwk,
        })
    }

    pub fn kid(&self) -> &str {
        self.jwk.kid.as_deref().unwrap_or_default()
    }

    fn fits(&self, alg: KeyAlg) -> bool {
        matches!(
            (&self.kind, alg),
            (DecryptionKind::Rsa(_), KeyAlg::RsaOaep256) | (DecryptionKind::Ec(_), KeyAlg::EcdhEs)
        )
    }

    /// The content encryption key from the header and the encrypted key.
    fn cek(
        &self,
        h: &Header,
        alg: KeyAlg,
        enc: ContentEnc,
        ek: &[u8],
    ) -> Result<Vec<u8>, JoseError> {
        match (&self.kind, alg) {
            (DecryptionKind::Rsa(k), KeyAlg::RsaOaep256) => {
                let mut out = vec![0u8; k.min_output_size()];
                let cek = k
                    .decrypt(&OAEP_SHA256_MGF1SHA256, ek, &mut out, None)
                    .map_err(|_| JoseError::Decrypt)?;
                if cek.len() != enc.key_len() {
                    return Err(JoseError::Decrypt);
                }
                Ok(cek.to_vec())
            }
            (DecryptionKind::Ec(k), KeyAlg::EcdhEs) => {
                // Direct agreement: no encrypted key.
                if !ek.is_empty() {
                    return Err(JoseError::Malformed("ECDH-ES with an encrypted key"));
                }
                let epk = h
                    .epk
                    .as_ref()
                    .and_then(|e| e.ec_point("P-256"))
                    .ok_or(JoseError::Malformed("ECDH-ES without a P-256 epk"))?;
                let apu = h.apu.as_deref().map(b64).transpose()?.unwrap_or_default();
                let apv = h.apv.as_deref().map(b64).transpose()?.unwrap_or_default();
                // The peer's point is checked to be on the curve here.
                agreement::agree(
                    k,
                    UnparsedPublicKey::new(&ECDH_P256, &epk),
                    JoseError::Decrypt,
                    |z| Ok(concat_kdf(z, enc.as_str(), &apu, &apv, enc.key_len())),
                )
            }
            _ => Err(JoseError::Decrypt),
        }
    }
}

/// A JWE header as far as decryption reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    pub alg: String,
    pub enc: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
    #[serde(default)]
    pub cty: Option<String>,
    #[serde(default)]
    epk: Option<Jwk>,
    #[serde(default)]
    apu: Option<String>,
    #[serde(default)]
    apv: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    crit: bool,
    #[serde(default, deserialize_with = "super::present")]
    zip: bool,
}

/// A decrypted JWE: its header and plaintext.
#[derive(Debug, Clone)]
pub struct Decrypted {
    pub header: Header,
    pub plaintext: Vec<u8>,
}

/// Whether `token` is a compact JWE (five parts) rather than a JWS.
pub fn is_jwe(token: &str) -> bool {
    token.split('.').count() == 5
}

/// Decrypts a compact JWE with one of `keys` under the accepted key and
/// content algorithms. The key is the one the header's `kid` names; with no
/// `kid`, each of our keys the algorithm fits is tried.
pub fn decrypt(
    token: &str,
    keys: &[DecryptionKey],
    algs: &[KeyAlg],
    encs: &[ContentEnc],
) -> Result<Decrypted, JoseError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, ek, iv, ct, tag] = parts.as_slice() else {
        return Err(JoseError::Malformed("not a compact JWE"));
    };
    let header: Header =
        serde_json::from_slice(&b64(h)?).map_err(|_| JoseError::Malformed("header"))?;
    if header.crit {
        return Err(JoseError::Critical);
    }
    if header.zip {
        return Err(JoseError::Compressed);
    }
    let alg = KeyAlg::parse(&header.alg)
        .filter(|a| algs.contains(a))
        .ok_or_else(|| JoseError::Algorithm(header.alg.clone()))?;
    let enc = ContentEnc::parse(&header.enc)
        .filter(|e| encs.contains(e))
        .ok_or_else(|| JoseError::Algorithm(header.enc.clone()))?;
    let (ek, iv, ct, tag) = (b64(ek)?, b64(iv)?, b64(ct)?, b64(tag)?);
    let candidates: Vec<&DecryptionKey> = keys
        .iter()
        .filter(|k| k.fits(alg))
        .filter(|k| header.kid.is_none() || header.kid.as_deref() == Some(k.kid()))
        .collect();
    if candidates.is_empty() {
        return Err(JoseError::UnknownKey(
            header.kid.clone().unwrap_or_else(|| "(no kid)".into()),
        ));
    }
    for key in candidates {
        let Ok(cek) = key.cek(&header, alg, enc, &ek) else {
            continue;
        };
        if let Ok(plaintext) = open(enc, &cek, &iv, h.as_bytes(), &ct, &tag) {
            return Ok(Decrypted { header, plaintext });
        }
    }
    Err(JoseError::Decrypt)
}

/// Encrypts `plaintext` to the published key `to` (its `kid` goes into
/// the header), with `cty` when given (`JWT` for a nested token).
pub fn encrypt(
    plaintext: &[u8],
    to: &Jwk,
    alg: KeyAlg,
    enc: ContentEnc,
    cty: Option<&str>,
) -> Result<String, JoseError> {
    let rng = SystemRandom::new();
    let fill = |buf: &mut [u8]| {
        rng.fill(buf)
            .map_err(|_| JoseError::Key("no randomness".into()))
    };
    let mut header = serde_json::json!({ "alg": alg.as_str(), "enc": enc.as_str() });
    if let Some(kid) = &to.kid {
        header["kid"] = kid.as_str().into();
    }
    if let Some(c) = cty {
        header["cty"] = c.into();
    }
    let (cek, ek) = match alg {
        KeyAlg::RsaOaep256 => {
            let (n, e) = to
                .rsa_components()
                .ok_or_else(|| JoseError::Key("not an RSA key of 2048 bits or more".into()))?;
            let public: PublicEncryptingKey = RsaPublicKeyComponents { n: &n, e: &e }
                .try_into()
                .map_err(|_| JoseError::Key("not a usable RSA key".into()))?;
            let key = OaepPublicEncryptingKey::new(public)
                .map_err(|_| JoseError::Key("not a usable RSA key".into()))?;
            let mut cek = vec![0u8; enc.key_len()];
            fill(&mut cek)?;
            let mut out = vec![0u8; key.ciphertext_size()];
            let ek = key
                .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut out, None)
                .map_err(|_| JoseError::Key("RSA-OAEP failed".into()))?
                .to_vec();
            (cek, ek)
        }
        KeyAlg::EcdhEs => {
            let point = to
                .ec_point("P-256")
                .ok_or_else(|| JoseError::Key("not a P-256 key".into()))?;
            let eph = EphemeralPrivateKey::generate(&ECDH_P256, &rng)
                .map_err(|_| JoseError::Key("no ephemeral key".into()))?;
            let epk_point = eph
                .compute_public_key()
                .map_err(|_| JoseError::Key("no ephemeral key".into()))?;
            let epk = Jwk::p256(epk_point.as_ref(), Use::Enc, "ECDH-ES")?;
            header["epk"] = serde_json::json!({
                "kty": "EC", "crv": "P-256", "x": epk.x, "y": epk.y,
            });
            let cek = agreement::agree_ephemeral(
                eph,
                UnparsedPublicKey::new(&ECDH_P256, &point),
                JoseError::Key("key agreement failed".into()),
                |z| Ok(concat_kdf(z, enc.as_str(), b"", b"", enc.key_len())),
            )?;
            (cek, Vec::new())
        }
    };
    let mut iv = vec![0u8; enc.iv_len()];
    fill(&mut iv)?;
    let protected = b64url(header.to_string());
    let (ct, tag) = seal(enc, &cek, &iv, protected.as_bytes(), plaintext)?;
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        b64url(ek),
        b64url(iv),
        b64url(ct),
        b64url(tag)
    ))
}
