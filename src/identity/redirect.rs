//! Sources the person is sent away to and comes back from: SAML 2.0
//! (organisation IdPs, Suomi.fi) and OpenID Connect (Entra ID and the
//! like). Each kind is one [`RedirectSource`]: it says where to send the
//! person ([`Outgoing`]) and turns the provider's answer into who the
//! person is ([`Returned`]) or a refusal the person understands
//! ([`Refusal`]). What the kind remembers in between, how the answer is
//! matched to the browser that left, checked and replay-guarded is the
//! kind's own business; the routes only carry messages and render.
//!
//! A new redirect-based method is one file implementing this trait and one
//! thin route file for its callback.

use crate::domain::Lang;
use crate::identity::VerifiedIdentity;
use crate::identity::sources::SamlSource;
use crate::store::StoreError;
use crate::store::ephemeral::Upstream;

/// A login through a source, as it leaves.
#[derive(Debug, Clone, Copy)]
pub struct Departure<'a> {
    /// The pending authorization request the login serves.
    pub ar: &'a str,
    /// Hash of the browser's binding cookie: the answer must come back to
    /// the browser that left.
    pub binding: &'a str,
    /// Ask the provider to authenticate again even with a session of its
    /// own (`max_age=0`, `prompt=login`).
    pub force: bool,
    /// The page's language, for providers that show pages.
    pub lang: Lang,
}

/// Where the person is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A redirect to this URL.
    Redirect(String),
    /// A form POSTed to `action` with `field` = `value` and `RelayState`
    /// (the SAML POST binding).
    Post {
        action: String,
        field: &'static str,
        value: String,
        relay: String,
    },
}

/// Why an answer was refused, as the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The person cancelled, or the provider did not authenticate them.
    Cancelled,
    /// The provider answered with another failure.
    Failed,
    /// Not from the provider, not for us, or not what the source needs.
    Untrusted,
    /// Outside its validity window.
    Expired,
    /// To a request this browser did not make (or no longer pending).
    OtherBrowser,
    /// An answer already used.
    Replay,
}

/// A refused answer: why (for the person), the pending authorization
/// request when it is known (for the links back), and the reason (for the
/// operator's log, which the source has written).
#[derive(Debug)]
pub struct Refused {
    pub why: Refusal,
    pub ar: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("answer refused: {}", .0.reason)]
    Refused(Refused),
    /// The source cannot be used now (metadata or discovery not loaded).
    #[error("source unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of ours (signing, a URL that does not parse).
    #[error("{0}")]
    Internal(String),
}

impl SourceError {
    pub(crate) fn refused(why: Refusal, ar: &str, reason: impl Into<String>) -> Self {
        SourceError::Refused(Refused {
            why,
            ar: ar.to_string(),
            reason: reason.into(),
        })
    }
}

/// A login back from the provider, checked and first-used.
#[derive(Debug)]
pub struct Returned {
    pub identity: VerifiedIdentity,
    /// The pending authorization request the login serves.
    pub ar: String,
    /// Where to end the person's session at the provider on logout.
    pub upstream: Option<Upstream>,
    /// The personal identity code, only while the login is completed (for
    /// the e-Authorizations lookup); never stored.
    pub national_id: Option<String>,
}

/// One kind of redirect-based source.
pub trait RedirectSource {
    /// What the provider sends back (a form field, a query).
    type Answer;

    /// Remembers the departure and says where to send the person.
    fn start(
        &self,
        src: &SamlSource,
        departure: Departure<'_>,
    ) -> impl Future<Output = Result<Outgoing, SourceError>> + Send;

    /// Takes the provider's answer at `src`'s return address: matched to
    /// a departure from this browser (`bound` says whether the browser
    /// carries a binding of that hash), checked, first-used, mapped. A
    /// refusal is logged here, with `ip`.
    fn finish(
        &self,
        src: &SamlSource,
        answer: Self::Answer,
        bound: &(dyn Fn(&str) -> bool + Sync),
        ip: Option<&str>,
        lang: Lang,
    ) -> impl Future<Output = Result<Returned, SourceError>> + Send;
}
