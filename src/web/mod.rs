//! The web layer: router, extractors, pages and errors. Handlers extract,
//! call the core and map the result to a response.

pub mod admin_i18n;
pub mod audit_i18n;
pub mod browser;
pub mod card_i18n;
pub mod denied_i18n;
#[cfg(feature = "dev")]
pub mod dev;
pub mod error;
pub mod i18n;
pub mod limits;
pub mod middleware;
pub mod mobile_i18n;
pub mod pages;
pub mod passkey_i18n;
pub mod password_i18n;
pub mod routes;
pub mod sources_i18n;
pub mod tls;
pub use crate::time;

use axum::Router;
use axum::http::Uri;
use axum::routing::{delete, get, post};

use crate::app::SharedState;
use routes::{
    account, admin, admin_api as api, card, external, home, liaisons, login, mobile, oidc, ops,
    passkey_login, passkeys, password, saml, scim, second_factor, upstream_oidc,
};

pub fn router(state: SharedState) -> Router {
    let r = Router::new()
        .route("/", get(home::home))
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/jwks", get(oidc::jwks))
        .route("/authorize", get(oidc::authorize))
        .route("/token", post(oidc::token))
        .route("/userinfo", get(oidc::userinfo).post(oidc::userinfo))
        .route(
            "/act-for",
            get(routes::act_for::page).post(routes::act_for::choose),
        )
        .route("/introspect", post(routes::introspection::introspect))
        .route("/revoke", post(routes::introspection::revoke))
        .route("/logout", get(oidc::logout_get).post(oidc::logout_post))
        .route("/login", get(login::login_get))
        .route("/login/password", post(login::login_password))
        .route("/login/card", get(card::login_card))
        .route("/login/mobile", get(mobile::form_get).post(mobile::start))
        .route("/login/mobile/wait", get(mobile::wait))
        .route("/login/mobile/status", get(mobile::status))
        .route("/login/mobile/cancel", get(mobile::cancel))
        .route(
            "/password/change",
            get(password::change_get).post(password::change_post),
        )
        .route("/liaisons", get(liaisons::directory))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/static/style.css", get(ops::stylesheet))
        .route("/static/autosubmit.js", get(ops::autosubmit_js))
        .route("/static/mobile.js", get(ops::mobile_js))
        .route("/static/passkey.js", get(passkey_login::script))
        .route("/login/passkey", post(passkey_login::login_post))
        .route("/login/passkey/options", post(passkey_login::login_options))
        .route("/login/otp/passkey", post(passkey_login::second_post))
        .route(
            "/login/otp/passkey/options",
            post(passkey_login::second_options),
        )
        .route(
            "/account/passkeys",
            get(passkeys::account_get).post(passkeys::register_post),
        )
        .route(
            "/account/passkeys/options",
            post(passkeys::register_options),
        )
        .route("/account/passkeys/remove", post(passkeys::remove_post))
        .route("/account/", get(account::page))
        .route(
            "/account/totp",
            get(second_factor::setup_get).post(second_factor::setup_post),
        )
        .route(
            "/login/otp",
            get(second_factor::otp_get).post(second_factor::otp_post),
        )
        .route(
            "/account",
            get(|| async { axum::response::Redirect::permanent("/account/") }),
        )
        .route(
            "/admin",
            get(|| async { axum::response::Redirect::permanent("/admin/") }),
        )
        .route("/admin/", get(admin::dashboard))
        .route(
            "/admin/orgs/{org}/accounts",
            get(admin::accounts).post(admin::create_account),
        )
        .route("/admin/orgs/{org}/accounts/new", get(admin::new_account))
        .route("/admin/orgs/{org}/accounts/{id}", get(admin::account))
        .route(
            "/admin/orgs/{org}/accounts/{id}/edit",
            get(admin::edit_account).post(admin::save_account),
        )
        .route(
            "/admin/orgs/{org}/accounts/{id}/{action}",
            post(admin::account_action),
        )
        .route("/admin/orgs/{org}/audit", get(admin::org_audit))
        .route("/admin/operator/orgs", get(admin::operator_orgs))
        .route(
            "/admin/operator/orgs/new",
            get(admin::operator_org).post(admin::operator_save_org),
        )
        .route(
            "/admin/operator/orgs/{id}",
            get(admin::operator_org).post(admin::operator_save_org),
        )
        .route(
            "/admin/operator/orgs/{id}/liaisons",
            post(admin::operator_liaison),
        )
        .route(
            "/admin/operator/orgs/{id}/liaisons/remove",
            post(admin::operator_liaison),
        )
        .route(
            "/admin/operator/orgs/{id}/provisioning",
            get(admin::operator_provisioning).post(admin::operator_provisioning_post),
        )
        .route(
            "/admin/operator/orgs/{id}/provisioning/revoke",
            post(admin::operator_provisioning_post),
        )
        .route("/admin/operator/events", get(admin::operator_events))
        .route(
            "/admin/operator/events/{subscriber}/{event_id}/retry",
            post(admin::operator_event_retry),
        )
        .route("/admin/operator/accounts", get(admin::operator_accounts))
        .route("/admin/operator/audit", get(admin::operator_audit))
        .route("/admin/operator/policy", get(admin::operator_policy))
        .route("/favicon.svg", get(ops::favicon_svg))
        .route("/favicon.ico", get(ops::favicon_ico))
        // The administration JSON API: the same operations, for programs.
        .route("/admin/api/v1/openapi.json", get(api::openapi_json))
        .route("/admin/api/v1/me", get(api::me))
        .route(
            "/admin/api/v1/orgs/{org}/accounts",
            get(api::list_accounts).post(api::create_account),
        )
        .route(
            "/admin/api/v1/orgs/{org}/accounts/{id}",
            get(api::account).put(api::edit_account),
        )
        .route(
            "/admin/api/v1/orgs/{org}/accounts/{id}/{action}",
            post(api::account_action),
        )
        .route("/admin/api/v1/orgs/{org}/audit", get(api::org_audit))
        .route(
            "/admin/api/v1/organisations",
            get(api::organisations).post(api::create_organisation),
        )
        .route(
            "/admin/api/v1/organisations/{id}",
            get(api::organisation).put(api::update_organisation),
        )
        .route(
            "/admin/api/v1/organisations/{id}/liaisons",
            post(api::appoint_liaison),
        )
        .route(
            "/admin/api/v1/organisations/{id}/liaisons/{account_id}/{network}",
            delete(api::remove_liaison),
        )
        .route(
            "/admin/api/v1/organisations/{id}/provisioning-clients",
            get(api::provisioning_clients).post(api::create_provisioning_client),
        )
        .route(
            "/admin/api/v1/organisations/{id}/provisioning-clients/{client_id}",
            delete(api::revoke_provisioning_client),
        )
        .route("/admin/api/v1/event-deliveries", get(api::event_deliveries))
        .route(
            "/admin/api/v1/event-deliveries/{subscriber}/{event_id}/retry",
            post(api::retry_event_delivery),
        )
        .route("/admin/api/v1/accounts", get(api::operator_accounts))
        .route(
            "/admin/api/v1/accounts/{id}/{action}",
            post(api::operator_account_action),
        )
        .route("/admin/api/v1/audit", get(api::operator_audit))
        // Provisioning over SCIM 2.0, for organisations' identity management.
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(scim::service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(scim::resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(scim::resource_type))
        .route("/scim/v2/Schemas", get(scim::schemas))
        .route("/scim/v2/Schemas/{id}", get(scim::schema_by_id))
        .route(
            "/scim/v2/Users",
            get(scim::list_users).post(scim::create_user),
        )
        .route("/scim/v2/Users/.search", post(scim::search_users))
        .route("/scim/v2/.search", post(scim::search_users))
        .route(
            "/scim/v2/Users/{id}",
            get(scim::get_user)
                .put(scim::replace_user)
                .patch(scim::patch_user)
                .delete(scim::delete_user),
        )
        // Organisation login, Suomi.fi and first-login registration.
        .route("/login/source/{id}", get(saml::begin))
        .route("/saml/{id}/metadata", get(saml::metadata))
        .route("/saml/{id}/acs", post(saml::acs))
        .route("/saml/{id}/slo", get(saml::slo))
        .route("/login/oidc/{id}/callback", get(upstream_oidc::callback))
        .route("/login/oidc/{id}/jwks", get(upstream_oidc::jwks))
        .route(
            "/login/oidc/{id}/signed-jwks",
            get(upstream_oidc::signed_jwks),
        )
        .route(
            "/login/oidc/{id}/logged-out",
            get(upstream_oidc::logged_out),
        )
        .route(
            "/register",
            get(external::register_get).post(external::register_post),
        )
        .route(
            "/account/profile",
            get(external::profile_get).post(external::profile_post),
        );
    // The development stand-ins, in a build with the `dev` feature only.
    #[cfg(feature = "dev")]
    let r = r.merge(dev::routes(&state));
    r.fallback(|uri: Uri, browser: browser::Browser| async move {
        if uri.path().starts_with("/admin/api/") {
            api::fallback()
        } else if uri.path().starts_with("/scim/") {
            scim::fallback()
        } else {
            ops::not_found(browser).await
        }
    })
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        middleware::request_context,
    ))
    .with_state(state)
}
