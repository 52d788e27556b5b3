//! The bytes an authenticator signs and sends: authenticator data
//! (WebAuthn §6.1), the attestation object (§6.5) and COSE public keys
//! (RFC 9053), read with ciborium. Nothing here trusts anything: it only
//! says what the bytes are, or that they are not well formed.

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use ciborium::Value;

use super::PasskeyError;

/// The flags byte of authenticator data.
pub const FLAG_UP: u8 = 0x01;
pub const FLAG_UV: u8 = 0x04;
pub const FLAG_BE: u8 = 0x08;
pub const FLAG_BS: u8 = 0x10;
pub const FLAG_AT: u8 = 0x40;
pub const FLAG_ED: u8 = 0x80;

/// COSE algorithms this relying party accepts: ES256, EdDSA, RS256.
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;
pub const RS256: i64 = -257;
pub const ALGORITHMS: [i64; 3] = [ES256, EDDSA, RS256];

/// Authenticator data, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    /// Present when the AT flag is (registration).
    pub attested: Option<AttestedCredential>,
}

/// The credential an authenticator made, from registration's
/// authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    /// The COSE_Key as the authenticator encoded it (what is stored).
    pub public_key: Vec<u8>,
}

impl AuthData {
    pub fn user_present(&self) -> bool {
        self.flags & FLAG_UP != 0
    }
    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }
    pub fn backup_eligible(&self) -> bool {
        self.flags & FLAG_BE != 0
    }
    pub fn backed_up(&self) -> bool {
        self.flags & FLAG_BS != 0
    }

    /// Reads authenticator data; extensions (ED) are allowed and skipped.
    pub fn parse(bytes: &[u8]) -> Result<Self, PasskeyError> {
        let bad = |what: &'static str| PasskeyError::Malformed(what);
        if bytes.len() < 37 {
            return Err(bad("authenticator data shorter than 37 bytes"));
        }
        let mut rp_id_hash = [0u8; 32];
        rp_id_hash.copy_from_slice(&bytes[..32]);
        let flags = bytes[32];
        let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
        let mut rest = &bytes[37..];
        let attested = if flags & FLAG_AT != 0 {
            if rest.len() < 18 {
                return Err(bad("attested credential data too short"));
            }
            let mut aaguid = [0u8; 16];
            aaguid.copy_from_slice(&rest[..16]);
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            rest = &rest[18..];
            if len == 0 || len > 1023 || rest.len() < len {
                return Err(bad("credential id length"));
            }
            let credential_id = rest[..len].to_vec();
            rest = &rest[len..];
            let before = rest;
            let _: Value = ciborium::de::from_reader(&mut rest)
                .map_err(|_| bad("credential public key is not CBOR"))?;
            let public_key = before[..before.len() - rest.len()].to_vec();
            Some(AttestedCredential {
                aaguid,
                credential_id,
                public_key,
            })
        } else {
            None
        };
        if flags & FLAG_ED != 0 {
            let _: Value =
                ciborium::de::from_reader(&mut rest).map_err(|_| bad("extensions are not CBOR"))?;
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes after authenticator data"));
        }
        if flags & FLAG_BS != 0 && flags & FLAG_BE == 0 {
            // §6.1.3: backed up but not backup eligible cannot be.
            return Err(bad("backup state without backup eligibility"));
        }
        Ok(Self {
            rp_id_hash,
            flags,
            sign_count,
            attested,
        })
    }
}

/// An attestation object: its format, statement and authenticator data.
pub struct AttestationObject {
    pub fmt: String,
    pub att_stmt: Vec<(Value, Value)>,
    pub auth_data_raw: Vec<u8>,
}

impl AttestationObject {
    pub fn parse(bytes: &[u8]) -> Result<Self, PasskeyError> {
        let bad = PasskeyError::Malformed;
        let value: Value =
            ciborium::de::from_reader(bytes).map_err(|_| bad("attestation object is not CBOR"))?;
        let Value::Map(map) = value else {
            return Err(bad("attestation object is not a map"));
        };
        let (mut fmt, mut stmt, mut auth) = (None, None, None);
        for (k, v) in map {
            match (k.as_text(), v) {
                (Some("fmt"), Value::Text(t)) => fmt = Some(t),
                (Some("attStmt"), Value::Map(m)) => stmt = Some(m),
                (Some("authData"), Value::Bytes(b)) => auth = Some(b),
                _ => {}
            }
        }
        Ok(Self {
            fmt: fmt.ok_or(bad("attestation object without fmt"))?,
            att_stmt: stmt.ok_or(bad("attestation object without attStmt"))?,
            auth_data_raw: auth.ok_or(bad("attestation object without authData"))?,
        })
    }
}

/// A COSE public key this relying party can verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoseKey {
    /// P-256, the uncompressed point (0x04 ‖ x ‖ y).
    Es256(Vec<u8>),
    Ed25519(Vec<u8>),
    Rs256 {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

fn int_key(v: &Value) -> Option<i128> {
    v.as_integer().map(i128::from)
}

impl CoseKey {
    /// Reads a COSE_Key; refuses algorithms and curves outside
    /// [`ALGORITHMS`].
    pub fn parse(bytes: &[u8]) -> Result<Self, PasskeyError> {
        let bad = PasskeyError::Malformed;
        let value: Value =
            ciborium::de::from_reader(bytes).map_err(|_| bad("public key is not CBOR"))?;
        let Value::Map(map) = value else {
            return Err(bad("public key is not a map"));
        };
        let get = |label: i128| map.iter().find(|(k, _)| int_key(k) == Some(label));
        let int = |label| get(label).and_then(|(_, v)| int_key(v));
        let bytes_of = |label| match get(label) {
            Some((_, Value::Bytes(b))) => Some(b.clone()),
            _ => None,
        };
        let kty = int(1).ok_or(bad("public key without kty"))?;
        let alg = int(3).ok_or(PasskeyError::Algorithm(0))?;
        match (kty, alg) {
            (2, -7) => {
                let (Some(1), Some(x), Some(y)) = (int(-1), bytes_of(-2), bytes_of(-3)) else {
                    return Err(bad("ES256 key is not on P-256"));
                };
                if x.len() != 32 || y.len() != 32 {
                    return Err(bad("ES256 coordinates are not 32 bytes"));
                }
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(CoseKey::Es256(point))
            }
            (1, -8) => match (int(-1), bytes_of(-2)) {
                (Some(6), Some(x)) if x.len() == 32 => Ok(CoseKey::Ed25519(x)),
                _ => Err(bad("EdDSA key is not Ed25519")),
            },
            (3, -257) => match (bytes_of(-1), bytes_of(-2)) {
                (Some(n), Some(e)) if n.len() >= 256 && !e.is_empty() => {
                    Ok(CoseKey::Rs256 { n, e })
                }
                _ => Err(bad("RS256 key shorter than 2048 bits")),
            },
            (_, alg) => Err(PasskeyError::Algorithm(
                i64::try_from(alg).unwrap_or(i64::MIN),
            )),
        }
    }

    pub fn alg(&self) -> i64 {
        match self {
            CoseKey::Es256(_) => ES256,
            CoseKey::Ed25519(_) => EDDSA,
            CoseKey::Rs256 { .. } => RS256,
        }
    }

    /// Checks `sig` over `message` (ES256 signatures are ASN.1 DER, as
    /// WebAuthn sends them).
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), PasskeyError> {
        let ok = match self {
            CoseKey::Es256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, sig)
            }
            CoseKey::Ed25519(x) => {
                UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig)
            }
            CoseKey::Rs256 { n, e } => signature::RsaPublicKeyComponents { n, e }.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                sig,
            ),
        };
        ok.map_err(|_| PasskeyError::Signature)
    }
}
