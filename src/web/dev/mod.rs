//! Development stand-ins: what plays the outside world on a developer's
//! machine, so that every login method can be tried without it.
//!
//! - `idp.rs`: the development IdP under `/dev-idp/{org|suomifi}/`;
//! - `op.rs`: its OpenID Connect face under `/dev-idp/oidc/` (Suomi.fi
//!   over OpenID Connect on the FTN profile, the same test people);
//! - `mssp.rs`: the development MSSP at `/dev-mssp/soap`;
//! - `mandates.rs`: the development e-Authorizations service under
//!   `/dev-mandates/`;
//! - `demo.rs`: the demo portals under `/demo/`;
//! - `test_pki.rs`: the test PKI's CRLs under `/demo/test-pki/`.
//!
//! All of it is compiled only with the `dev` cargo feature, which is on by
//! default so that `cargo run --release` serves the demo. The production
//! build (`cargo build --release --no-default-features`, docs/deployment.md)
//! has none of these routes, and refuses at start-up a configuration that
//! asks for one (`config/standins.rs`). In a development build each is
//! still off unless its configuration switches it on, and a production
//! configuration refuses them all (`config/production.rs`).

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::app::SharedState;
use crate::config::Settings;

mod demo;
mod demo_i18n;
mod idp;
mod mandates;
mod mssp;
mod op;
mod test_pki;

/// What the stand-ins keep for the life of the router.
pub(crate) struct DevState {
    /// The development IdP's key, when `[dev_idp] enabled`.
    idp: Option<idp::DevIdp>,
    /// The demo portals' verifier of back-channel logout tokens, made on
    /// first use from this node's JWKS.
    demo_verifier: tokio::sync::OnceCell<crate::verifier::Verifier>,
}

impl DevState {
    fn new(settings: &Settings) -> Result<Self, String> {
        Ok(Self {
            idp: idp::DevIdp::load(settings)?,
            demo_verifier: Default::default(),
        })
    }
}

/// At start-up, before the settings are shared: the demo portals' own
/// redirect and logout URIs join their clients, and the development IdP's
/// key is read, so that a missing key file stops the start (naming the
/// key) rather than the first login.
pub fn prepare(settings: &mut Settings) -> Result<(), String> {
    if settings.demo.enabled {
        demo::add_demo_uris(settings);
    }
    DevState::new(settings).map(drop)
}

/// The stand-ins' routes, each only when its configuration switches it on.
pub fn routes(state: &SharedState) -> Router<SharedState> {
    let dev = match DevState::new(&state.settings) {
        Ok(d) => d,
        Err(e) => {
            // `prepare` read the same files at start-up.
            tracing::error!(error = %e, "development IdP: cannot read its key; its routes answer 404");
            DevState {
                idp: None,
                demo_verifier: Default::default(),
            }
        }
    };
    let mut r = Router::new();
    if state.settings.dev_idp.enabled {
        r = r
            .route("/dev-idp/{profile}/metadata", get(idp::metadata))
            .route(
                "/dev-idp/{profile}/sso",
                get(idp::sso_get).post(idp::sso_post),
            )
            .route("/dev-idp/{profile}/slo", get(idp::slo))
            .route(
                "/dev-idp/oidc/.well-known/openid-configuration",
                get(op::discovery),
            )
            .route("/dev-idp/oidc/jwks", get(op::jwks))
            .route("/dev-idp/oidc/par", post(op::par))
            .route(
                "/dev-idp/oidc/authorize",
                get(op::authorize).post(op::authorize_post),
            )
            .route("/dev-idp/oidc/token", post(op::token))
            .route("/dev-idp/oidc/userinfo", get(op::userinfo))
            .route("/dev-idp/oidc/logout", get(op::logout))
            .route(
                "/dev-mandates/service/ypa/user/register/{client}/{hetu}",
                get(mandates::register),
            )
            .route(
                "/dev-mandates/service/ypa/api/organizationRoles/{sid}",
                get(mandates::organisation_roles),
            )
            .route(
                "/dev-mandates/service/ypa/api/organizations/{sid}",
                get(mandates::organisations),
            )
            .route("/dev-mssp/soap", post(mssp::soap));
    }
    if state.settings.demo.enabled {
        r = r
            .route("/demo/", get(demo::index))
            .route("/demo/login", get(demo::login))
            .route("/demo/callback", get(demo::callback))
            .route("/demo/logout", get(demo::logout))
            .route("/demo/backchannel-logout", post(demo::backchannel))
            .route("/demo/{path}/logout", get(demo::logout_at))
            .route("/demo/{path}/", get(demo::index_at))
            .route("/demo/{path}/login", get(demo::login_at))
            .route("/demo/{path}/callback", get(demo::callback_at))
            .route(
                "/demo/{path}/backchannel-logout",
                post(demo::backchannel_at),
            )
            .route("/demo/test-pki/card-ca.crl", get(test_pki::card_crl))
            .route("/demo/test-pki/mobile-ca.crl", get(test_pki::mobile_crl));
    }
    r.layer(Extension(Arc::new(dev)))
}
