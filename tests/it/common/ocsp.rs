//! A test OCSP responder (RFC 6960) on loopback. It reads each request with
//! yasna — not with the hand-written DER code under test — checks that the
//! CertID names its CA, and answers as told: good, revoked, unknown,
//! tryLater, signed by a wrong key, stale, with a foreign nonce, or signed
//! by a delegated responder certificate. Responses are signed with ECDSA
//! (aws-lc-rs) by the card CA's key.
//!
//! Shared by tests/it/cards.rs and the unit tests of
//! `src/identity/card/ocsp` (through `#[path]`), so it names no crate path
//! of porttivahti.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _,
};
use yasna::models::ObjectIdentifier;
use yasna::{ASN1Result, BERReader, Tag};

pub const SHA1: &[u64] = &[1, 3, 14, 3, 2, 26];
pub const SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];
const NONCE: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 2];
const BASIC: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 1];
const ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const ECDSA_SHA384: &[u64] = &[1, 2, 840, 10045, 4, 3, 3];

/// What a request asked, as the responder reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub hash_oid: Vec<u64>,
    pub name_hash: Vec<u8>,
    pub key_hash: Vec<u8>,
    /// INTEGER content octets.
    pub serial: Vec<u8>,
    pub nonce: Option<Vec<u8>>,
}

fn oid(arcs: &[u64]) -> ObjectIdentifier {
    ObjectIdentifier::from_slice(arcs)
}

/// Reads an OCSPRequest with exactly one Request.
pub fn parse_request(der: &[u8]) -> Result<Request, String> {
    let (cert_id, nonce) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let tbs = r.next().read_sequence(|r| {
                r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_u8()))?;
                r.read_optional(|r| r.read_tagged(Tag::context(1), |r| r.read_der()))?;
                // requestList: one Request { reqCert, [0] extensions OPTIONAL }
                let cert_id = r.next().read_sequence(|r| {
                    r.next().read_sequence(|r| {
                        let id = r.next().read_der()?;
                        r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_der()))?;
                        Ok(id)
                    })
                })?;
                let nonce = r
                    .read_optional(|r| r.read_tagged(Tag::context(2), read_nonce))?
                    .flatten();
                Ok((cert_id, nonce))
            })?;
            r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_der()))?;
            Ok(tbs)
        })
    })
    .map_err(|e| format!("OCSPRequest: {e}"))?;
    let (hash_oid, name_hash, key_hash, serial_der) = yasna::parse_der(&cert_id, |r| {
        r.read_sequence(|r| {
            let alg = r.next().read_sequence(|r| {
                let o = r.next().read_oid()?;
                r.read_optional(|r| r.read_null())?;
                Ok(o)
            })?;
            let name_hash = r.next().read_bytes()?;
            let key_hash = r.next().read_bytes()?;
            let serial = r.next().read_der()?;
            Ok((alg, name_hash, key_hash, serial))
        })
    })
    .map_err(|e| format!("CertID: {e}"))?;
    Ok(Request {
        hash_oid: hash_oid.components().clone(),
        name_hash,
        key_hash,
        // A short serial: tag, one length byte, content.
        serial: serial_der[2..].to_vec(),
        nonce,
    })
}

fn read_nonce(r: BERReader<'_, '_>) -> ASN1Result<Option<Vec<u8>>> {
    let mut nonce = None;
    r.read_sequence_of(|r| {
        r.read_sequence(|r| {
            let id = r.next().read_oid()?;
            r.read_optional(|r| r.read_bool())?;
            let value = r.next().read_bytes()?;
            if id.components().as_slice() == NONCE {
                nonce = Some(yasna::parse_der(&value, |r| r.read_bytes())?);
            }
            Ok(())
        })
    })?;
    Ok(nonce)
}

/// The subject name (DER) and the subjectPublicKey bits of a certificate.
pub fn issuer_parts(cert_der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    yasna::parse_der(cert_der, |r| {
        r.read_sequence(|r| {
            let parts = r.next().read_sequence(|r| {
                r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_der()))?;
                for _serial_alg_issuer_validity in 0..4 {
                    r.next().read_der()?;
                }
                let subject = r.next().read_der()?;
                let key = r.next().read_sequence(|r| {
                    r.next().read_der()?;
                    Ok(r.next().read_bitvec_bytes()?.0)
                })?;
                r.read_optional(|r| r.read_tagged(Tag::context(3), |r| r.read_der()))?;
                Ok((subject, key))
            })?;
            r.next().read_der()?;
            r.next().read_der()?;
            Ok(parts)
        })
    })
    .unwrap()
}

pub fn hash(alg: &[u64], data: &[u8]) -> Vec<u8> {
    let alg = if alg == SHA256 {
        &digest::SHA256
    } else {
        &digest::SHA1_FOR_LEGACY_USE_ONLY
    };
    digest::digest(alg, data).as_ref().to_vec()
}

/// A CertID (DER) for `serial` of the CA `ca_der`, with hash `alg`.
pub fn cert_id(alg: &[u64], ca_der: &[u8], serial: &[u8]) -> Vec<u8> {
    let (name, key) = issuer_parts(ca_der);
    cert_id_of(alg, &hash(alg, &name), &hash(alg, &key), serial)
}

fn cert_id_of(alg: &[u64], name_hash: &[u8], key_hash: &[u8], serial: &[u8]) -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(alg));
                w.next().write_null();
            });
            w.next().write_bytes(name_hash);
            w.next().write_bytes(key_hash);
            // INTEGER: tag 2, short length, the serial's content octets.
            let mut int = vec![0x02, serial.len() as u8];
            int.extend_from_slice(serial);
            w.next().write_der(&int);
        })
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked,
    Unknown,
}

/// A signing key (PKCS#8, ECDSA P-256 or P-384) and the certificates to
/// include in responses.
pub struct Signer {
    key: EcdsaKeyPair,
    alg: &'static [u64],
    pub certs: Vec<Vec<u8>>,
}

impl Signer {
    pub fn new(pkcs8: &[u8], certs: Vec<Vec<u8>>) -> Self {
        let (key, alg) = match EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8) {
            Ok(k) => (k, ECDSA_SHA384),
            Err(_) => (
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8).unwrap(),
                ECDSA_SHA256,
            ),
        };
        Self { key, alg, certs }
    }

    /// A new P-384 key that no CA knows.
    pub fn stranger() -> Self {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, &SystemRandom::new())
                .unwrap();
        Self::new(doc.as_ref(), Vec::new())
    }
}

/// One SingleResponse's worth of answer.
pub struct Answer {
    pub cert_id: Vec<u8>,
    pub status: Status,
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub nonce: Option<Vec<u8>>,
}

fn generalized_time(t: i64) -> Vec<u8> {
    let d = time::OffsetDateTime::from_unix_timestamp(t).unwrap();
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    );
    // GeneralizedTime: universal tag 24, the text as content.
    let mut der = vec![0x18, text.len() as u8];
    der.extend_from_slice(text.as_bytes());
    der
}

fn response_data(a: &Answer, signer: &Signer, produced_at: i64) -> Vec<u8> {
    let key_hash = hash(SHA1, signer.key.public_key().as_ref());
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_tagged(Tag::context(2), |w| w.write_bytes(&key_hash));
            w.next().write_der(&generalized_time(produced_at));
            w.next().write_sequence(|w| {
                w.next().write_sequence(|w| {
                    w.next().write_der(&a.cert_id);
                    let status = w.next();
                    match a.status {
                        Status::Good => {
                            status.write_tagged_implicit(Tag::context(0), |w| w.write_null())
                        }
                        Status::Revoked => status.write_tagged_implicit(Tag::context(1), |w| {
                            w.write_sequence(|w| {
                                w.next()
                                    .write_der(&generalized_time(a.this_update - 86_400))
                            })
                        }),
                        Status::Unknown => {
                            status.write_tagged_implicit(Tag::context(2), |w| w.write_null())
                        }
                    }
                    w.next().write_der(&generalized_time(a.this_update));
                    if let Some(next) = a.next_update {
                        w.next().write_tagged(Tag::context(0), |w| {
                            w.write_der(&generalized_time(next))
                        });
                    }
                })
            });
            if let Some(nonce) = &a.nonce {
                w.next().write_tagged(Tag::context(1), |w| {
                    w.write_sequence(|w| {
                        w.next().write_sequence(|w| {
                            w.next().write_oid(&oid(NONCE));
                            w.next()
                                .write_bytes(&yasna::construct_der(|w| w.write_bytes(nonce)));
                        })
                    })
                });
            }
        })
    })
}

/// A successful OCSPResponse carrying `a`, signed by `signer`.
pub fn sign(a: &Answer, signer: &Signer, produced_at: i64) -> Vec<u8> {
    let tbs = response_data(a, signer, produced_at);
    let signature = signer.key.sign(&SystemRandom::new(), &tbs).unwrap();
    let sig = signature.as_ref();
    let basic = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&tbs);
            w.next()
                .write_sequence(|w| w.next().write_oid(&oid(signer.alg)));
            w.next().write_bitvec_bytes(sig, sig.len() * 8);
            if !signer.certs.is_empty() {
                w.next().write_tagged(Tag::context(0), |w| {
                    w.write_sequence(|w| {
                        for c in &signer.certs {
                            w.next().write_der(c);
                        }
                    })
                });
            }
        })
    });
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_enum(0);
            w.next().write_tagged(Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next().write_oid(&oid(BASIC));
                    w.next().write_bytes(&basic);
                })
            });
        })
    })
}

/// An OCSPResponse without responseBytes: 1 malformedRequest, 2
/// internalError, 3 tryLater, 5 sigRequired, 6 unauthorized.
pub fn unsuccessful(status: i64) -> Vec<u8> {
    yasna::construct_der(|w| w.write_sequence(|w| w.next().write_enum(status)))
}

/// How the responder on loopback answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Good, or revoked for serials it was told are revoked.
    Normal,
    Unknown,
    TryLater,
    /// Signed by a key that is not the CA's.
    WrongKey,
    /// thisUpdate two days ago, nextUpdate yesterday.
    Stale,
    /// Signed by the delegated responder certificate it was given.
    Delegated,
    /// Echoes a nonce that is not the request's.
    WrongNonce,
    /// HTTP 503.
    Down,
}

struct Inner {
    ca_der: Vec<u8>,
    ca: Signer,
    stranger: Signer,
    delegate: Mutex<Option<Arc<Signer>>>,
    revoked: Mutex<HashSet<Vec<u8>>>,
    mode: Mutex<Mode>,
    hits: AtomicUsize,
    last: Mutex<Option<Request>>,
}

/// The responder on loopback, at `url`.
#[derive(Clone)]
pub struct OcspResponder {
    pub url: String,
    inner: Arc<Inner>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl OcspResponder {
    /// A responder for the CA `ca_der` whose key is `ca_key_pkcs8`.
    pub async fn start(ca_der: &[u8], ca_key_pkcs8: &[u8]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/ocsp", listener.local_addr().unwrap());
        let s = OcspResponder {
            url,
            inner: Arc::new(Inner {
                ca_der: ca_der.to_vec(),
                ca: Signer::new(ca_key_pkcs8, Vec::new()),
                stranger: Signer::stranger(),
                delegate: Mutex::new(None),
                revoked: Mutex::new(HashSet::new()),
                mode: Mutex::new(Mode::Normal),
                hits: AtomicUsize::new(0),
                last: Mutex::new(None),
            }),
        };
        let router = axum::Router::new()
            .route(
                "/ocsp",
                axum::routing::post(
                    |axum::extract::State(s): axum::extract::State<OcspResponder>,
                     body: axum::body::Bytes| async move { s.respond(&body) },
                ),
            )
            .with_state(s.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        s
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.inner.mode.lock().unwrap() = mode;
    }

    pub fn revoke(&self, serial: &[u8]) {
        self.inner.revoked.lock().unwrap().insert(serial.to_vec());
    }

    /// The delegated responder: its certificate (DER) and key (PKCS#8).
    pub fn set_delegate(&self, cert_der: Vec<u8>, key_pkcs8: &[u8]) {
        *self.inner.delegate.lock().unwrap() =
            Some(Arc::new(Signer::new(key_pkcs8, vec![cert_der])));
    }

    pub fn hits(&self) -> usize {
        self.inner.hits.load(Ordering::SeqCst)
    }

    pub fn last_request(&self) -> Option<Request> {
        self.inner.last.lock().unwrap().clone()
    }

    fn respond(&self, body: &[u8]) -> axum::response::Response {
        use axum::response::IntoResponse;
        self.inner.hits.fetch_add(1, Ordering::SeqCst);
        let mode = *self.inner.mode.lock().unwrap();
        if mode == Mode::Down {
            return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        let der = self.answer(body, mode, unix_now());
        ([("content-type", "application/ocsp-response")], der).into_response()
    }

    fn answer(&self, body: &[u8], mode: Mode, now: i64) -> Vec<u8> {
        let Ok(req) = parse_request(body) else {
            return unsuccessful(1);
        };
        *self.inner.last.lock().unwrap() = Some(req.clone());
        let (name, key) = issuer_parts(&self.inner.ca_der);
        if req.name_hash != hash(&req.hash_oid, &name) || req.key_hash != hash(&req.hash_oid, &key)
        {
            return unsuccessful(6);
        }
        if mode == Mode::TryLater {
            return unsuccessful(3);
        }
        let revoked = self.inner.revoked.lock().unwrap().contains(&req.serial);
        let status = match mode {
            Mode::Unknown => Status::Unknown,
            _ if revoked => Status::Revoked,
            _ => Status::Good,
        };
        let (this_update, next_update) = match mode {
            Mode::Stale => (now - 2 * 86_400, Some(now - 86_400)),
            _ => (now - 60, Some(now + 3600)),
        };
        let nonce = match mode {
            Mode::WrongNonce => Some(vec![0x42; 16]),
            _ => req.nonce.clone(),
        };
        let answer = Answer {
            cert_id: cert_id_of(&req.hash_oid, &req.name_hash, &req.key_hash, &req.serial),
            status,
            this_update,
            next_update,
            nonce,
        };
        let delegate = self.inner.delegate.lock().unwrap().clone();
        let signer = match (mode, &delegate) {
            (Mode::WrongKey, _) => &self.inner.stranger,
            (Mode::Delegated, Some(d)) => d.as_ref(),
            _ => &self.inner.ca,
        };
        sign(&answer, signer, now)
    }
}
