//! A software authenticator for tests, the load example and the benchmark:
//! a real P-256 key that writes real authenticator data, client data and
//! attestation objects (`none` or `packed` self attestation) and signs
//! them, as a platform authenticator would. Only with `test-support`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use ciborium::Value;

use super::data::{FLAG_AT, FLAG_BE, FLAG_BS, FLAG_UP, FLAG_UV};
use super::{AssertionFields, AssertionResponse, AttestationResponse, RegistrationResponse};
use crate::crypto::{b64url, sha256};

/// One credential held by the authenticator.
pub struct SoftAuthenticator {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    /// The next assertion's counter (0: the authenticator does not count).
    pub counter: u32,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backed_up: bool,
    /// `packed` self attestation instead of `none`.
    pub packed: bool,
}

/// What the browser would put in client data.
pub struct Client<'a> {
    pub origin: &'a str,
    pub rp_id: &'a str,
}

impl SoftAuthenticator {
    pub fn new(user_handle: &[u8]) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let mut credential_id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut credential_id).unwrap();
        Self {
            key,
            credential_id,
            user_handle: user_handle.to_vec(),
            counter: 1,
            user_verified: true,
            backup_eligible: false,
            backed_up: false,
            packed: false,
        }
    }

    /// The COSE_Key of the credential.
    pub fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let map = Value::Map(vec![
            (Value::from(1), Value::from(2)),
            (Value::from(3), Value::from(-7)),
            (Value::from(-1), Value::from(1)),
            (Value::from(-2), Value::Bytes(point[1..33].to_vec())),
            (Value::from(-3), Value::Bytes(point[33..65].to_vec())),
        ]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&map, &mut out).unwrap();
        out
    }

    fn flags(&self) -> u8 {
        let mut f = FLAG_UP;
        if self.user_verified {
            f |= FLAG_UV;
        }
        if self.backup_eligible {
            f |= FLAG_BE;
        }
        if self.backed_up {
            f |= FLAG_BS;
        }
        f
    }

    fn auth_data(&self, rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
        let mut a = sha256(rp_id).to_vec();
        a.push(flags);
        a.extend_from_slice(&counter.to_be_bytes());
        a
    }

    pub fn client_data(typ: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "type": typ,
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// `navigator.credentials.create()` for `challenge` (base64url).
    pub fn register(&self, client: &Client<'_>, challenge: &str) -> RegistrationResponse {
        let cdj = Self::client_data("webauthn.create", challenge, client.origin);
        let mut auth = self.auth_data(client.rp_id, self.flags() | FLAG_AT, 0);
        auth.extend_from_slice(&[0u8; 16]);
        auth.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth.extend_from_slice(&self.credential_id);
        auth.extend_from_slice(&self.cose_key());
        let stmt = if self.packed {
            let mut signed = auth.clone();
            signed.extend_from_slice(&sha256(&cdj));
            vec![
                (Value::from("alg"), Value::from(-7)),
                (Value::from("sig"), Value::Bytes(self.sign(&signed))),
            ]
        } else {
            vec![]
        };
        let obj = Value::Map(vec![
            (
                Value::from("fmt"),
                Value::from(if self.packed { "packed" } else { "none" }),
            ),
            (Value::from("attStmt"), Value::Map(stmt)),
            (Value::from("authData"), Value::Bytes(auth)),
        ]);
        let mut att = Vec::new();
        ciborium::ser::into_writer(&obj, &mut att).unwrap();
        RegistrationResponse {
            id: b64url(&self.credential_id),
            response: AttestationResponse {
                client_data_json: b64url(&cdj),
                attestation_object: b64url(&att),
            },
        }
    }

    /// `navigator.credentials.get()` for `challenge`; the counter steps on
    /// when it counts.
    pub fn assert(&mut self, client: &Client<'_>, challenge: &str) -> AssertionResponse {
        let cdj = Self::client_data("webauthn.get", challenge, client.origin);
        self.assert_with(client.rp_id, &cdj)
    }

    /// An assertion over client data written by the caller (negative tests).
    pub fn assert_with(&mut self, rp_id: &str, client_data_json: &[u8]) -> AssertionResponse {
        if self.counter > 0 {
            self.counter += 1;
        }
        let auth = self.auth_data(rp_id, self.flags(), self.counter);
        let mut signed = auth.clone();
        signed.extend_from_slice(&sha256(client_data_json));
        AssertionResponse {
            id: b64url(&self.credential_id),
            response: AssertionFields {
                client_data_json: b64url(client_data_json),
                authenticator_data: b64url(&auth),
                signature: b64url(self.sign(&signed)),
                user_handle: Some(b64url(&self.user_handle)),
            },
        }
    }
}
