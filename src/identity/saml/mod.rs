//! SAML 2.0 service provider: AuthnRequests out, Responses in, metadata
//! both ways, and an IdP that really signs and encrypts for development and
//! tests. XML security goes only through [`xmlsec`].

/// An IdP that really signs and encrypts: the development IdP's and the
/// tests' peer, never in a production build.
#[cfg(any(feature = "dev", feature = "test-support", test))]
pub mod idp;
pub mod logout;
pub mod metadata;
pub mod request;
pub mod response;
pub mod sp;
pub mod xml;
pub mod xmlsec;

#[cfg(test)]
mod tests;
