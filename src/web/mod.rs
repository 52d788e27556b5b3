//! The web layer: router, extractors, pages and errors. Handlers extract,
//! call the core and map the result to a response.

pub mod browser;
pub mod error;
pub mod i18n;
pub mod middleware;
pub mod pages;
pub mod routes;

use axum::Router;
use axum::routing::{get, post};

use crate::app::SharedState;
use routes::{demo, liaisons, login, oidc, ops};

pub fn router(state: SharedState) -> Router {
    let mut r = Router::new()
        .route("/", get(login::home))
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/jwks", get(oidc::jwks))
        .route("/authorize", get(oidc::authorize))
        .route("/token", post(oidc::token))
        .route("/userinfo", get(oidc::userinfo).post(oidc::userinfo))
        .route("/logout", get(oidc::logout_get).post(oidc::logout_post))
        .route("/login", get(login::login_get))
        .route("/login/password", post(login::login_password))
        .route(
            "/password/change",
            get(login::change_get).post(login::change_post),
        )
        .route("/liaisons", get(liaisons::directory))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/static/style.css", get(ops::stylesheet));
    if state.settings.demo.enabled {
        r = r
            .route("/demo/", get(demo::index))
            .route("/demo/login", get(demo::login))
            .route("/demo/callback", get(demo::callback));
    }
    r.fallback(|| async { error::WebError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        .with_state(state)
}
