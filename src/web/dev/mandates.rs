//! The development e-Authorizations service under `/dev-mandates/`: it
//! answers the three queries of `crate::mandates::MandateClient` for the
//! development IdP's Suomi.fi test people, in the service's shape, and
//! checks the HMAC request header with the configured client id and API
//! key as the real service does. Present only with `[dev_idp] enabled`
//! (which production configuration refuses); configure
//! `[suomifi_mandates] url = "/dev-mandates"` to use it.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::app::{AppState, SharedState};
use crate::mandates::{AUTH_HEADER, check_auth_header};

/// Where the routes live; the client signs paths without it.
pub const PREFIX: &str = "/dev-mandates";

/// The development mandate codes, as `config/porttivahti.toml` names them.
pub const ONBOARDING: &str = "sote-digipalvelujen-kayttoonotto";
pub const DATA_PROTECTION_VIEW: &str = "sote-digipalvelujen-tietosuojaohjeet";

/// What one test person may do for one organisation.
struct DevAuthority {
    national_id: &'static str,
    business_id: &'static str,
    name: &'static str,
    /// Trade-register roles (ELI, TJ, TJS, VTJ, …).
    roles: &'static [&'static str],
    /// Mandate codes the organisation has given the person.
    mandates: &'static [&'static str],
}

/// The development IdP's Suomi.fi people (`dev_idp::SUOMIFI_PEOPLE`):
/// Teemu is Rova's managing director; Maija holds the onboarding mandate
/// for Rova and the read-only one for a care home, so she picks whom to
/// act for; the others have nothing here.
const AUTHORITIES: &[DevAuthority] = &[
    DevAuthority {
        national_id: "131052-308T",
        business_id: "7019376-8",
        name: "Rova Oy (demo)",
        roles: &["TJ", "J"],
        mandates: &[],
    },
    DevAuthority {
        national_id: "150375-258S",
        business_id: "7019376-8",
        name: "Rova Oy (demo)",
        roles: &[],
        mandates: &[ONBOARDING],
    },
    DevAuthority {
        national_id: "150375-258S",
        business_id: "2345678-0",
        name: "Hoivakoti Esimerkki Oy (demo)",
        roles: &[],
        mandates: &[DATA_PROTECTION_VIEW],
    },
];

/// How long a registered session answers.
const SESSION_SECS: i64 = 600;

/// Checks the request header against our own `[suomifi_mandates]`
/// settings, for the path and query the client signed.
/// A refusal: status and text.
type Refusal = (StatusCode, String);

fn authorised(app: &AppState, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(m) = &app.settings.suomifi_mandates else {
        return Err((
            StatusCode::NOT_FOUND,
            "no [suomifi_mandates] configured".into(),
        ));
    };
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let signed = pq.strip_prefix(PREFIX).unwrap_or(pq);
    let ok = headers
        .get(AUTH_HEADER)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| {
            check_auth_header(h, &m.client_id, m.api_key.expose(), signed, app.now(), 300)
        });
    if ok {
        Ok(())
    } else {
        tracing::warn!(path = %signed, "development e-Authorizations: request header refused");
        Err((
            StatusCode::UNAUTHORIZED,
            "invalid X-AsiointivaltuudetAuthorization".into(),
        ))
    }
}

async fn national_id_of(app: &AppState, session_id: &str) -> Result<String, Refusal> {
    match app.eph.pending::<String>("devmandates", session_id).await {
        Ok(Some(h)) => Ok(h),
        Ok(None) => Err((StatusCode::NOT_FOUND, "unknown or expired session".into())),
        Err(e) => Err((StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}

/// `GET /dev-mandates/service/ypa/user/register/{client}/{hetu}?requestId=…`
pub async fn register(
    State(app): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    Path((client, national_id)): Path<(String, String)>,
) -> Response {
    if let Err(r) = authorised(&app, &uri, &headers) {
        return r.into_response();
    }
    let ours = app.settings.suomifi_mandates.as_ref().map(|m| &m.client_id);
    if ours != Some(&client) {
        return (
            StatusCode::BAD_REQUEST,
            "client id does not match the header",
        )
            .into_response();
    }
    let session_id = crate::tokens::random_token(16);
    if let Err(e) = app
        .eph
        .put_pending("devmandates", &session_id, &national_id, SESSION_SECS)
        .await
    {
        return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response();
    }
    axum::Json(json!({"sessionId": session_id, "userId": crate::tokens::random_token(8)}))
        .into_response()
}

/// The test person of `session_id`'s authorities that `keep` selects, each
/// as `shape` writes it, after the header and session checks.
async fn answer(
    app: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    session_id: &str,
    keep: impl Fn(&DevAuthority) -> bool,
    shape: impl Fn(&DevAuthority) -> serde_json::Value,
) -> Response {
    if let Err(r) = authorised(app, uri, headers) {
        return r.into_response();
    }
    let national_id = match national_id_of(app, session_id).await {
        Ok(h) => h,
        Err(r) => return r.into_response(),
    };
    let orgs: Vec<_> = AUTHORITIES
        .iter()
        .filter(|a| a.national_id == national_id && keep(a))
        .map(shape)
        .collect();
    axum::Json(orgs).into_response()
}

/// `GET /dev-mandates/service/ypa/api/organizationRoles/{sessionId}`
pub async fn organisation_roles(
    State(app): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    Path(session_id): Path<String>,
) -> Response {
    answer(
        &app,
        &uri,
        &headers,
        &session_id,
        |a| !a.roles.is_empty(),
        |a| json!({"name": a.name, "identifier": a.business_id, "complete": true, "roles": a.roles}),
    )
    .await
}

#[derive(Deserialize)]
pub struct Issues {
    issues: Option<String>,
}

/// `GET /dev-mandates/service/ypa/api/organizations/{sessionId}?issues=…`
pub async fn organisations(
    State(app): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    Path(session_id): Path<String>,
    Query(q): Query<Issues>,
) -> Response {
    let issue = q.issues.unwrap_or_default();
    answer(
        &app,
        &uri,
        &headers,
        &session_id,
        |a| a.mandates.contains(&issue.as_str()),
        |a| json!({"name": a.name, "identifier": a.business_id}),
    )
    .await
}
