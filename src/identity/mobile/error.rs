//! Why a mobile certificate login did not succeed. The detail is for the
//! operator's log; the person reads the text of [`MobileError::code`] in
//! their language (`web::mobile_i18n`).

use super::cms::CmsError;
use crate::identity::card::CardError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    #[error("no answer from the phone in time: {0}")]
    Timeout(String),
    #[error("the person refused on the phone (status {0})")]
    Cancelled(u32),
    #[error("the MSSP knows no mobile certificate for the number (status {0})")]
    UnknownNumber(u32),
    #[error("the PIN or the SIM is blocked (status {0})")]
    Blocked(u32),
    #[error("the MSSP refused the request: status {code} {message}")]
    Refused { code: u32, message: String },
    #[error("the MSSP cannot be used: {0}")]
    Unavailable(String),
    #[error("the signature is not accepted: {0}")]
    Signature(CmsError),
    #[error("the mobile certificate is not accepted: {0}")]
    Certificate(CardError),
    #[error("the certificate names no accepted mobile certificate policy (it names {0:?})")]
    WrongPolicy(Vec<String>),
}

impl MobileError {
    /// A stable code: the error page shows it and the texts are keyed by it.
    pub fn code(&self) -> &'static str {
        match self {
            MobileError::Timeout(_) => "mobile_timeout",
            MobileError::Cancelled(_) => "mobile_cancelled",
            MobileError::UnknownNumber(_) => "mobile_unknown_number",
            MobileError::Blocked(_) => "mobile_blocked",
            MobileError::Refused { .. } => "mobile_refused",
            MobileError::Unavailable(_) => "mobile_unavailable",
            MobileError::Signature(_) => "mobile_signature_invalid",
            MobileError::Certificate(CardError::Revoked { .. }) => "mobile_certificate_revoked",
            MobileError::Certificate(CardError::Expired { .. }) => "mobile_certificate_expired",
            MobileError::Certificate(CardError::RevocationUnknown(_)) => {
                "mobile_revocation_unknown"
            }
            MobileError::Certificate(_) | MobileError::WrongPolicy(_) => {
                "mobile_certificate_invalid"
            }
        }
    }

    /// Whether trying again later may help (the person did nothing wrong).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            MobileError::Unavailable(_)
                | MobileError::Refused { .. }
                | MobileError::Certificate(CardError::RevocationUnknown(_))
        )
    }

    /// The MSSP's status code, when it gave one.
    pub fn status(&self) -> Option<u32> {
        match self {
            MobileError::Cancelled(c) | MobileError::UnknownNumber(c) | MobileError::Blocked(c) => {
                Some(*c)
            }
            MobileError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}
