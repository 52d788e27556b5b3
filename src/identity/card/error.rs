//! Why a card was refused. The detail is for the operator's log; the
//! person reads the text of [`CardError::code`] in their language
//! (`web::card_i18n`).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error("the certificate cannot be read: {0}")]
    Malformed(String),
    #[error("the certificate expired at {not_after} (unix time)")]
    Expired { not_after: i64 },
    #[error("the certificate is valid only from {not_before} (unix time)")]
    NotYetValid { not_before: i64 },
    /// `method` is "CRL" or "OCSP"; `url` is where that answer came from.
    #[error("the certificate is revoked (serial {serial}, {method} {url})")]
    Revoked {
        serial: String,
        method: &'static str,
        url: String,
    },
    #[error(
        "the certificate is not issued by a configured CA (card.issuers or mobile.issuers): {0}"
    )]
    UnknownCa(String),
    #[error("the certificate is not for client authentication: {0}")]
    WrongKeyUsage(String),
    #[error("the revocation status cannot be had: {0}")]
    RevocationUnknown(String),
    #[error("no configured card type matches (policies {0:?})")]
    UnknownCardType(Vec<String>),
    #[error("test cards are not accepted here")]
    TestCard,
    #[error("the certificate carries no valid SATU in its subject serialNumber: {0}")]
    NoSatu(String),
    #[error("the certificate chain does not verify: {0}")]
    Invalid(String),
}

impl CardError {
    /// A stable code: the error page shows it and the texts are keyed by it.
    pub fn code(&self) -> &'static str {
        match self {
            CardError::NoCertificate => "card_no_certificate",
            CardError::Malformed(_) => "card_malformed",
            CardError::Expired { .. } => "card_expired",
            CardError::NotYetValid { .. } => "card_not_yet_valid",
            CardError::Revoked { .. } => "card_revoked",
            CardError::UnknownCa(_) => "card_unknown_ca",
            CardError::WrongKeyUsage(_) => "card_wrong_key_usage",
            CardError::RevocationUnknown(_) => "card_revocation_unknown",
            CardError::UnknownCardType(_) => "card_unknown_type",
            CardError::TestCard => "card_test_card",
            CardError::NoSatu(_) => "card_no_satu",
            CardError::Invalid(_) => "card_invalid",
        }
    }

    /// Whether trying again later may help (the person did nothing wrong).
    pub fn is_temporary(&self) -> bool {
        matches!(self, CardError::RevocationUnknown(_))
    }
}
