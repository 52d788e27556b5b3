//! Passkeys: a WebAuthn Level 3 relying party of our own, on aws-lc-rs (the
//! signatures) and ciborium (the CBOR), so the build needs no system
//! library (webauthn-rs would need OpenSSL).
//!
//! [`RelyingParty::verify_registration`] and
//! [`RelyingParty::verify_assertion`] check what a browser sent against a
//! challenge this gateway issued: the type, the challenge, the origin, the
//! RP id hash, user presence and (when asked) user verification, the
//! attestation statement (`none`, or `packed` whose signature is checked;
//! attestation trust is not evaluated: the gateway asks for `none`) and
//! the signature. The challenge's single use and its binding to the
//! browser are [`ceremony`]'s; the stored counter and the account are the
//! login core's (`login::passkey`).

pub mod ceremony;
pub mod data;
#[cfg(any(test, feature = "test-support"))]
pub mod soft;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::crypto::{b64url, b64url_decode, constant_time_eq, sha256};
pub use data::{AuthData, CoseKey};

/// Why a passkey response was refused. [`PasskeyError::code`] is stable
/// (logs, metrics, tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    #[error("malformed: {0}")]
    Malformed(&'static str),
    #[error("client data type is {0:?}")]
    WrongType(String),
    #[error("the challenge is not the one issued")]
    Challenge,
    #[error("origin {0:?} is not an origin of this relying party")]
    Origin(String),
    #[error("the client says the request was cross-origin")]
    CrossOrigin,
    #[error("the RP id hash is not that of this relying party's id")]
    RpId,
    #[error("the authenticator did not test user presence")]
    UserPresence,
    #[error("the authenticator did not verify the user")]
    UserVerification,
    #[error("COSE algorithm {0} is not accepted")]
    Algorithm(i64),
    #[error("attestation: {0}")]
    Attestation(&'static str),
    #[error("the signature does not verify")]
    Signature,
}

impl PasskeyError {
    pub fn code(&self) -> &'static str {
        match self {
            PasskeyError::Malformed(_) => "malformed",
            PasskeyError::WrongType(_) => "wrong_type",
            PasskeyError::Challenge => "challenge",
            PasskeyError::Origin(_) => "origin",
            PasskeyError::CrossOrigin => "cross_origin",
            PasskeyError::RpId => "rp_id",
            PasskeyError::UserPresence => "user_presence",
            PasskeyError::UserVerification => "user_verification",
            PasskeyError::Algorithm(_) => "algorithm",
            PasskeyError::Attestation(_) => "attestation",
            PasskeyError::Signature => "signature",
        }
    }
}

/// `PublicKeyCredential` of a registration, as the browser's JSON form
/// (base64url fields; `toJSON()` writes it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    pub id: String,
    pub response: AttestationResponse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
}

/// `PublicKeyCredential` of an authentication.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    pub id: String,
    pub response: AssertionFields,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionFields {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// What the browser says it did (§5.8.1), read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientData {
    #[serde(rename = "type")]
    typ: String,
    challenge: String,
    origin: String,
    #[serde(default)]
    cross_origin: Option<bool>,
    #[serde(default)]
    top_origin: Option<String>,
}

/// A credential that passed registration: what the directory keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    /// The COSE_Key as registered.
    pub public_key: Vec<u8>,
    pub alg: i64,
    pub sign_count: u32,
    pub aaguid: [u8; 16],
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub attestation_format: String,
}

/// An assertion whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    pub sign_count: u32,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backed_up: bool,
}

/// An assertion read but not yet checked: the credential id and user
/// handle say which stored key to check it with.
#[derive(Debug, Clone)]
pub struct ParsedAssertion {
    pub credential_id: Vec<u8>,
    pub user_handle: Option<Vec<u8>>,
    client_data_json: Vec<u8>,
    client_data: ClientDataView,
    authenticator_data: Vec<u8>,
    signature: Vec<u8>,
}

#[derive(Debug, Clone)]
struct ClientDataView {
    typ: String,
    challenge: String,
    origin: String,
    cross_origin: bool,
}

impl ParsedAssertion {
    /// The challenge the browser signed (base64url), to find its ceremony.
    pub fn challenge(&self) -> &str {
        &self.client_data.challenge
    }
}

fn decode(field: &'static str, s: &str) -> Result<Vec<u8>, PasskeyError> {
    b64url_decode(s.trim_end_matches('=')).ok_or(PasskeyError::Malformed(field))
}

fn client_data(raw: &[u8]) -> Result<ClientDataView, PasskeyError> {
    let c: ClientData = serde_json::from_slice(raw)
        .map_err(|_| PasskeyError::Malformed("clientDataJSON is not the expected JSON"))?;
    Ok(ClientDataView {
        typ: c.typ,
        challenge: c.challenge,
        origin: c.origin,
        cross_origin: c.cross_origin.unwrap_or(false) || c.top_origin.is_some(),
    })
}

/// The relying party: its id (a registrable domain, `localhost` or the
/// host of the public URL) and the exact origins its pages are served
/// from.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    pub id: String,
    pub name: String,
    origins: Vec<String>,
    id_hash: [u8; 32],
}

impl RelyingParty {
    pub fn new(id: &str, name: &str, origins: &[String]) -> Self {
        Self {
            id: id.to_string(),
            name: name.to_string(),
            origins: origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect(),
            id_hash: sha256(id),
        }
    }

    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The checks both ceremonies make of the client data.
    fn check_client_data(
        &self,
        c: &ClientDataView,
        typ: &str,
        challenge: &[u8],
    ) -> Result<(), PasskeyError> {
        if c.typ != typ {
            return Err(PasskeyError::WrongType(c.typ.clone()));
        }
        if !constant_time_eq(c.challenge.as_bytes(), b64url(challenge).as_bytes()) {
            return Err(PasskeyError::Challenge);
        }
        if !self.origins.contains(&c.origin) {
            return Err(PasskeyError::Origin(c.origin.clone()));
        }
        if c.cross_origin {
            return Err(PasskeyError::CrossOrigin);
        }
        Ok(())
    }

    /// The checks both ceremonies make of the authenticator data.
    fn check_auth_data(&self, a: &AuthData, require_uv: bool) -> Result<(), PasskeyError> {
        if !constant_time_eq(&a.rp_id_hash, &self.id_hash) {
            return Err(PasskeyError::RpId);
        }
        if !a.user_present() {
            return Err(PasskeyError::UserPresence);
        }
        if require_uv && !a.user_verified() {
            return Err(PasskeyError::UserVerification);
        }
        Ok(())
    }

    /// Checks a registration against the `challenge` issued for it.
    pub fn verify_registration(
        &self,
        r: &RegistrationResponse,
        challenge: &[u8],
        require_uv: bool,
    ) -> Result<NewCredential, PasskeyError> {
        let cdj = decode("clientDataJSON", &r.response.client_data_json)?;
        let c = client_data(&cdj)?;
        self.check_client_data(&c, "webauthn.create", challenge)?;
        let obj = data::AttestationObject::parse(&decode(
            "attestationObject",
            &r.response.attestation_object,
        )?)?;
        let auth = AuthData::parse(&obj.auth_data_raw)?;
        self.check_auth_data(&auth, require_uv)?;
        let Some(cred) = &auth.attested else {
            return Err(PasskeyError::Malformed("no attested credential data"));
        };
        if decode("id", &r.id)? != cred.credential_id {
            return Err(PasskeyError::Malformed(
                "id is not the attested credential's",
            ));
        }
        let key = CoseKey::parse(&cred.public_key)?;
        let client_hash = sha256(&cdj);
        let mut signed = obj.auth_data_raw.clone();
        signed.extend_from_slice(&client_hash);
        attestation(&obj, &key, &signed)?;
        Ok(NewCredential {
            credential_id: cred.credential_id.clone(),
            public_key: cred.public_key.clone(),
            alg: key.alg(),
            sign_count: auth.sign_count,
            aaguid: cred.aaguid,
            user_verified: auth.user_verified(),
            backup_eligible: auth.backup_eligible(),
            backed_up: auth.backed_up(),
            attestation_format: obj.fmt,
        })
    }

    /// The challenge a registration answers (base64url), to find its
    /// ceremony; nothing is checked yet.
    pub fn registration_challenge(r: &RegistrationResponse) -> Result<String, PasskeyError> {
        let cdj = decode("clientDataJSON", &r.response.client_data_json)?;
        Ok(client_data(&cdj)?.challenge)
    }

    /// Reads an assertion (nothing checked yet but its form).
    pub fn parse_assertion(r: &AssertionResponse) -> Result<ParsedAssertion, PasskeyError> {
        let client_data_json = decode("clientDataJSON", &r.response.client_data_json)?;
        Ok(ParsedAssertion {
            credential_id: decode("id", &r.id)?,
            user_handle: match r.response.user_handle.as_deref() {
                None | Some("") => None,
                Some(h) => Some(decode("userHandle", h)?),
            },
            client_data: client_data(&client_data_json)?,
            client_data_json,
            authenticator_data: decode("authenticatorData", &r.response.authenticator_data)?,
            signature: decode("signature", &r.response.signature)?,
        })
    }

    /// Checks an assertion against the `challenge` issued for it and the
    /// credential's stored COSE key.
    pub fn verify_assertion(
        &self,
        a: &ParsedAssertion,
        challenge: &[u8],
        public_key: &[u8],
        require_uv: bool,
    ) -> Result<Asserted, PasskeyError> {
        self.check_client_data(&a.client_data, "webauthn.get", challenge)?;
        let auth = AuthData::parse(&a.authenticator_data)?;
        self.check_auth_data(&auth, require_uv)?;
        let key = CoseKey::parse(public_key)?;
        let mut signed = Vec::with_capacity(a.authenticator_data.len() + 32);
        signed.extend_from_slice(&a.authenticator_data);
        signed.extend_from_slice(&sha256(&a.client_data_json));
        key.verify(&signed, &a.signature)?;
        Ok(Asserted {
            sign_count: auth.sign_count,
            user_verified: auth.user_verified(),
            backup_eligible: auth.backup_eligible(),
            backed_up: auth.backed_up(),
        })
    }
}

/// The signature counter rule (§6.1.1): an authenticator that counts must
/// count up; a counter that stays or goes back means a cloned key. Both
/// zero: the authenticator does not count (synced passkeys).
pub fn counter_ok(stored: u32, presented: u32) -> bool {
    (stored == 0 && presented == 0) || presented > stored
}

/// Checks the attestation statement: `none` is empty; `packed` is signed,
/// by the credential itself (self attestation) or by the certificate in
/// `x5c` (whose trust is not evaluated: the gateway asks for `none`).
fn attestation(
    obj: &data::AttestationObject,
    key: &CoseKey,
    signed: &[u8],
) -> Result<(), PasskeyError> {
    use ciborium::Value;
    let field = |name: &str| {
        obj.att_stmt
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    };
    match obj.fmt.as_str() {
        "none" if obj.att_stmt.is_empty() => Ok(()),
        "none" => Err(PasskeyError::Attestation("a none statement is not empty")),
        "packed" => {
            let alg = field("alg")
                .and_then(Value::as_integer)
                .and_then(|i| i64::try_from(i).ok())
                .ok_or(PasskeyError::Attestation("packed without alg"))?;
            let Some(Value::Bytes(sig)) = field("sig") else {
                return Err(PasskeyError::Attestation("packed without sig"));
            };
            match field("x5c") {
                None => {
                    if alg != key.alg() {
                        return Err(PasskeyError::Attestation(
                            "self attestation with another algorithm than the key's",
                        ));
                    }
                    key.verify(signed, sig)
                        .map_err(|_| PasskeyError::Attestation("self attestation signature"))
                }
                Some(Value::Array(chain)) => {
                    let Some(Value::Bytes(leaf)) = chain.first() else {
                        return Err(PasskeyError::Attestation("packed x5c is empty"));
                    };
                    if alg != data::ES256 {
                        return Err(PasskeyError::Attestation(
                            "packed x5c with an algorithm other than ES256",
                        ));
                    }
                    let (_, cert) = x509_parser::parse_x509_certificate(leaf)
                        .map_err(|_| PasskeyError::Attestation("x5c is not a certificate"))?;
                    let point = cert.public_key().subject_public_key.data.to_vec();
                    CoseKey::Es256(point)
                        .verify(signed, sig)
                        .map_err(|_| PasskeyError::Attestation("packed signature"))
                }
                Some(_) => Err(PasskeyError::Attestation("packed x5c is not an array")),
            }
        }
        _ => Err(PasskeyError::Attestation(
            "format other than none or packed",
        )),
    }
}
