//! The development IdP's OpenID Connect face under `/dev-idp/oidc/`: Suomi.fi
//! over OpenID Connect on the Finnish Trust Network's profile, with the same
//! test people as its SAML face, so the demo shows the `suomifi_oidc` source
//! without the real service. Like the real one it takes only signed request
//! objects (pushed or by value) and `private_key_jwt` with a single-use
//! `jti`, signs its ID tokens and userinfo (RS256, the development IdP's
//! key) and then encrypts them to the client's published key (RSA-OAEP-256
//! with A256GCM, or ECDH-ES with A128CBC-HS256).
//!
//! Its clients are this gateway's `suomifi_oidc` sources whose issuer is
//! this face; their keys are the ones the gateway publishes at
//! `/login/oidc/{id}/jwks`, read in-process.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

use super::DevState;
use super::idp::{DevIdpPage, PersonView, SUOMIFI_PEOPLE, TestPerson, dev_idp_texts};
use crate::app::{AppState, SharedState};
use crate::crypto::{b64url, hash_secret, random_token, sha256};
use crate::identity::suomifi::attr;
use crate::jose::{self, ContentEnc, JwkSet, KeyAlg, SigAlg, SigningKey};
use crate::web::browser::{Browser, with_cookies};
use crate::web::i18n::texts;
use crate::web::pages::{lang_links, render};

/// This face's issuer.
pub(super) fn issuer(app: &AppState) -> String {
    format!("{}/dev-idp/oidc", app.issuer())
}

/// The face's signing key: the development IdP's RSA key.
pub(super) fn load_key(path: &str) -> Result<SigningKey, String> {
    SigningKey::from_pkcs8(&jose::pkcs8_from_file(path)?)
        .map_err(|e| format!("dev_idp.key_file: {e}"))
}

fn key(dev: &DevState) -> Option<&SigningKey> {
    dev.idp.as_ref().map(|d| &d.jws)
}

/// A client: a `suomifi_oidc` source of this gateway whose issuer is this
/// face. Its id and published keys.
fn client(app: &AppState, client_id: &str) -> Option<(String, JwkSet)> {
    let ours = issuer(app);
    app.sources.all().iter().find_map(|s| {
        let f = s.settings.ftn()?;
        (f.client_id == client_id && f.issuer.trim_end_matches('/') == ours)
            .then(|| Some((s.id().to_string(), s.ftn_keys()?.jwks())))
            .flatten()
    })
}

type Fail = (StatusCode, Json<serde_json::Value>);

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Fail {
    tracing::warn!(%error, %description, "development IdP (OpenID Connect): request refused");
    (
        status,
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
}

fn claims_of(payload: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_slice(payload).ok()
}

/// `private_key_jwt`: a JWS signed by one of the client's keys, `iss` and
/// `sub` the client, `aud` this face or `endpoint`, unexpired, and a `jti`
/// not seen before.
async fn authenticate(
    app: &AppState,
    form: &ClientAuth,
    endpoint: &str,
) -> Result<(String, String, JwkSet), Fail> {
    let bad = |d: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", d);
    if form.client_assertion_type.as_deref()
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err(bad("private_key_jwt is required"));
    }
    let (Some(client_id), Some(assertion)) = (&form.client_id, &form.client_assertion) else {
        return Err(bad("client_id and client_assertion are required"));
    };
    let Some((source, keys)) = client(app, client_id) else {
        return Err(bad("unknown client"));
    };
    let v = jose::jws::verify(assertion, &keys, &SigAlg::ALL)
        .map_err(|e| bad(&format!("client assertion: {e}")))?;
    let c = claims_of(&v.payload).ok_or_else(|| bad("client assertion: not JSON"))?;
    let s = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let ours = issuer(app);
    let aud_ok = match c.get("aud") {
        Some(serde_json::Value::String(a)) => a == &ours || a == endpoint,
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x == ours || x == endpoint)),
        _ => false,
    };
    let exp = c.get("exp").and_then(|v| v.as_i64()).unwrap_or(0);
    if s("iss") != client_id || s("sub") != client_id || !aud_ok || exp <= app.now() {
        return Err(bad("client assertion: iss, sub, aud or exp"));
    }
    let jti = s("jti");
    let first = app
        .eph
        .first_use(
            &format!("devop-jti:{client_id}:{}", hash_secret(jti)),
            exp - app.now() + 60,
        )
        .await
        .map_err(|_| bad("store unavailable"))?;
    if jti.is_empty() || !first {
        return Err(bad("client assertion: jti used before"));
    }
    Ok((client_id.clone(), source, keys))
}

#[derive(Debug, Default, Deserialize)]
pub struct ClientAuth {
    client_id: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// What an authorization request asks, from its signed request object.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Asked {
    client_id: String,
    source: String,
    redirect_uri: String,
    state: Option<String>,
    nonce: String,
    code_challenge: String,
    acr_values: String,
}

/// Checks a request object: signed by the client's key (never `none`),
/// for this face, unexpired, with the client's redirect URI, a nonce and a
/// PKCE S256 challenge.
fn read_request_object(
    app: &AppState,
    client_id: &str,
    source: &str,
    keys: &JwkSet,
    object: &str,
) -> Result<Asked, Fail> {
    let bad = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request_object", d);
    let v = jose::jws::verify(object, keys, &SigAlg::ALL).map_err(|e| bad(&e.to_string()))?;
    let c = claims_of(&v.payload).ok_or_else(|| bad("not JSON"))?;
    let s = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let callback = crate::identity::oidc::callback_url(app.issuer(), source);
    let exp = c.get("exp").and_then(|v| v.as_i64()).unwrap_or(0);
    if s("client_id").as_deref() != Some(client_id)
        || s("aud").as_deref() != Some(issuer(app).as_str())
        || exp <= app.now()
        || s("redirect_uri").as_deref() != Some(callback.as_str())
        || s("code_challenge_method").as_deref() != Some("S256")
    {
        return Err(bad("client_id, aud, exp, redirect_uri or PKCE"));
    }
    Ok(Asked {
        client_id: client_id.to_string(),
        source: source.to_string(),
        redirect_uri: callback,
        state: s("state"),
        nonce: s("nonce").ok_or_else(|| bad("no nonce"))?,
        code_challenge: s("code_challenge").ok_or_else(|| bad("no code_challenge"))?,
        acr_values: s("acr_values").unwrap_or_default(),
    })
}

/// `GET /dev-idp/oidc/.well-known/openid-configuration`
pub async fn discovery(State(app): State<SharedState>) -> Response {
    let i = issuer(&app);
    Json(serde_json::json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "pushed_authorization_request_endpoint": format!("{i}/par"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "end_session_endpoint": format!("{i}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "request_parameter_supported": true,
        "require_signed_request_object": true,
        "id_token_signing_alg_values_supported": ["RS256"],
        "id_token_encryption_alg_values_supported": ["RSA-OAEP-256", "ECDH-ES"],
        "id_token_encryption_enc_values_supported": ["A256GCM", "A128CBC-HS256"],
        "acr_values_supported": [
            crate::identity::suomifi::LOA2, crate::identity::suomifi::LOA3,
            crate::identity::suomifi::TEST_METHOD,
        ],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

/// `GET /dev-idp/oidc/jwks`
pub async fn jwks(Extension(dev): Extension<Arc<DevState>>) -> Response {
    match key(&dev) {
        Some(k) => Json(JwkSet {
            keys: vec![k.jwk.clone()],
        })
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ParForm {
    request: Option<String>,
    #[serde(flatten)]
    auth: ClientAuth,
}

/// `POST /dev-idp/oidc/par`: a pushed, signed request object.
pub async fn par(State(app): State<SharedState>, Form(f): Form<ParForm>) -> Response {
    let endpoint = format!("{}/par", issuer(&app));
    let (client_id, source, keys) = match authenticate(&app, &f.auth, &endpoint).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let Some(object) = f.request.as_deref() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "no request object",
        )
        .into_response();
    };
    let asked = match read_request_object(&app, &client_id, &source, &keys, object) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let uri = format!("urn:ietf:params:oauth:request_uri:{}", random_token(18));
    if app
        .eph
        .put_pending("devop-par", &hash_secret(&uri), &asked, 90)
        .await
        .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (
        StatusCode::CREATED,
        Json(serde_json::json!({ "request_uri": uri, "expires_in": 90 })),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    request: Option<String>,
    request_uri: Option<String>,
}

/// `GET /dev-idp/oidc/authorize`: the request (pushed or a signed object by
/// value), then the test people to pick from.
pub async fn authorize(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let client_id = q.client_id.unwrap_or_default();
    let asked = match (&q.request_uri, &q.request) {
        (Some(u), _) => match app
            .eph
            .take_pending::<Asked>("devop-par", &hash_secret(u))
            .await
        {
            Ok(Some(a)) if a.client_id == client_id => Ok(a),
            _ => Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_uri",
                "unknown, used or expired request_uri",
            )),
        },
        (None, Some(object)) => match client(&app, &client_id) {
            Some((source, keys)) => read_request_object(&app, &client_id, &source, &keys, object),
            None => Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "unknown client",
            )),
        },
        (None, None) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a signed request object is required",
        )),
    };
    let asked = match asked {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let ticket = random_token(18);
    if let Err(e) = app.eph.put_pending("devop", &ticket, &asked, 900).await {
        return crate::web::error::WebError::from(e).page(browser.lang);
    }
    let (csrf, set) = browser.csrf(&app);
    let page = DevIdpPage {
        t: texts(browser.lang),
        s: dev_idp_texts(browser.lang),
        langs: lang_links(&uri, browser.lang),
        profile_name: "Suomi.fi (OpenID Connect)",
        sp: asked.client_id.clone(),
        levels: asked.acr_values.replace(' ', ", "),
        people: SUOMIFI_PEOPLE
            .iter()
            .map(|p| PersonView {
                label: p.label,
                note: p.note,
            })
            .collect(),
        action: "/dev-idp/oidc/authorize".into(),
        csrf,
        ticket,
    };
    with_cookies(render(&page, StatusCode::OK), set)
}

#[derive(Debug, Deserialize)]
pub struct PickForm {
    csrf: String,
    ticket: String,
    person: String,
}

/// What a code stands for.
#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    asked: Asked,
    person: usize,
    auth_time: i64,
}

/// `POST /dev-idp/oidc/authorize`: the picked person (or a cancellation)
/// goes back to the client with a code.
pub async fn authorize_post(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<PickForm>,
) -> Response {
    if !browser.csrf_ok(&app, &f.csrf) {
        return (
            StatusCode::FORBIDDEN,
            "development IdP: the form expired; start again",
        )
            .into_response();
    }
    let Ok(Some(asked)) = app.eph.take_pending::<Asked>("devop", &f.ticket).await else {
        return (
            StatusCode::BAD_REQUEST,
            "development IdP: this login was answered already or expired; start again",
        )
            .into_response();
    };
    let person = f
        .person
        .parse::<usize>()
        .ok()
        .filter(|i| *i < SUOMIFI_PEOPLE.len());
    let code = match person {
        Some(person) => {
            let code = random_token(24);
            let grant = Grant {
                asked: asked.clone(),
                person,
                auth_time: app.now(),
            };
            if app
                .eph
                .put_pending("devop-code", &hash_secret(&code), &grant, 120)
                .await
                .is_err()
            {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Some(code)
        }
        None => None,
    };
    let Ok(mut to) = url::Url::parse(&asked.redirect_uri) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    {
        let mut q = to.query_pairs_mut();
        match &code {
            Some(c) => q.append_pair("code", c),
            None => q.append_pair("error", "access_denied"),
        };
        if let Some(s) = &asked.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(&app));
    }
    Redirect::to(to.as_str()).into_response()
}

/// The test person as claims under the FTN brokers' names.
fn person_claims(p: &TestPerson) -> serde_json::Map<String, serde_json::Value> {
    let mut c = serde_json::Map::new();
    for (name, value) in p.attributes {
        let claim = match *name {
            attr::NATIONAL_ID => "hetu",
            attr::GIVEN_NAME => "given_name",
            attr::SURNAME => "family_name",
            attr::MAIL => "email",
            attr::MUNICIPALITY_FI => "municipality_fi",
            attr::MUNICIPALITY_SV => "municipality_sv",
            _ => continue,
        };
        c.insert(claim.into(), (*value).into());
    }
    c
}

fn subject(p: &TestPerson) -> String {
    let hetu = p
        .attributes
        .iter()
        .find(|(n, _)| *n == attr::NATIONAL_ID)
        .map(|(_, v)| *v)
        .unwrap_or_default();
    format!("dev-{}", &b64url(sha256(format!("dev-op {hetu}")))[..22])
}

/// Signs `claims` with the face's key and encrypts the token to the
/// client's RSA key (RSA-OAEP-256, A256GCM), or its P-256 key (ECDH-ES,
/// A128CBC-HS256) when it publishes no RSA one.
fn seal(
    key: &SigningKey,
    keys: &JwkSet,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, String> {
    let signed = key
        .sign(
            Some("JWT"),
            serde_json::Value::Object(claims.clone())
                .to_string()
                .as_bytes(),
        )
        .map_err(|e| e.to_string())?;
    let enc_keys = || {
        keys.keys
            .iter()
            .filter(|k| k.use_.as_deref() == Some("enc"))
    };
    let (to, alg, enc) = match enc_keys().find(|k| k.kty == "RSA") {
        Some(k) => (k, KeyAlg::RsaOaep256, ContentEnc::A256GCM),
        None => (
            enc_keys()
                .find(|k| k.kty == "EC")
                .ok_or("the client publishes no encryption key")?,
            KeyAlg::EcdhEs,
            ContentEnc::A128CBC_HS256,
        ),
    };
    jose::jwe::encrypt(signed.as_bytes(), to, alg, enc, Some("JWT")).map_err(|e| e.to_string())
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    #[serde(flatten)]
    auth: ClientAuth,
}

/// What an access token stands for (userinfo).
#[derive(Debug, Serialize, Deserialize)]
struct Access {
    client_id: String,
    source: String,
    person: usize,
}

/// `POST /dev-idp/oidc/token`
pub async fn token(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    Form(f): Form<TokenForm>,
) -> Response {
    let Some(key) = key(&dev) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let endpoint = format!("{}/token", issuer(&app));
    let (client_id, source, keys) = match authenticate(&app, &f.auth, &endpoint).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let grant_error =
        |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d).into_response();
    if f.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "code only",
        )
        .into_response();
    }
    let code = f.code.unwrap_or_default();
    let Ok(Some(g)) = app
        .eph
        .take_pending::<Grant>("devop-code", &hash_secret(&code))
        .await
    else {
        return grant_error("unknown, used or expired code");
    };
    let verifier = f.code_verifier.unwrap_or_default();
    if g.asked.client_id != client_id
        || f.redirect_uri.as_deref() != Some(g.asked.redirect_uri.as_str())
        || b64url(sha256(&verifier)) != g.asked.code_challenge
    {
        return grant_error("client, redirect_uri or code_verifier");
    }
    let Some(p) = SUOMIFI_PEOPLE.get(g.person) else {
        return grant_error("no such person");
    };
    let now = app.now();
    let mut claims = person_claims(p);
    for (k, v) in [
        ("iss", issuer(&app).into()),
        ("sub", subject(p).into()),
        ("aud", client_id.clone().into()),
        ("exp", (now + 300).into()),
        ("iat", now.into()),
        ("auth_time", g.auth_time.into()),
        ("nonce", g.asked.nonce.clone().into()),
        ("acr", p.context.into()),
    ] {
        claims.insert(k.into(), v);
    }
    let id_token = match seal(key, &keys, &claims) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "development IdP (OpenID Connect) could not make its ID token");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let access = random_token(24);
    let stored = Access {
        client_id,
        source,
        person: g.person,
    };
    if app
        .eph
        .put_pending("devop-at", &hash_secret(&access), &stored, 300)
        .await
        .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({
            "access_token": access, "token_type": "Bearer", "expires_in": 300,
            "id_token": id_token,
        })),
    )
        .into_response()
}

/// `GET /dev-idp/oidc/userinfo`: the person, signed and encrypted.
pub async fn userinfo(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    headers: HeaderMap,
) -> Response {
    let Some(key) = key(&dev) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Ok(Some(a)) = app
        .eph
        .take_pending::<Access>("devop-at", &hash_secret(bearer))
        .await
    else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    };
    let (Some(p), Some((_, keys))) = (SUOMIFI_PEOPLE.get(a.person), client(&app, &a.client_id))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut claims = person_claims(p);
    claims.insert("sub".into(), subject(p).into());
    claims.insert("iss".into(), issuer(&app).into());
    claims.insert("aud".into(), a.client_id.clone().into());
    match seal(key, &keys, &claims) {
        Ok(t) => ([(header::CONTENT_TYPE, "application/jwt")], t).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// `GET /dev-idp/oidc/logout`: back to the client's logged-out address,
/// when the ID token hint is one this face signed for that client.
pub async fn logout(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    Query(q): Query<LogoutQuery>,
) -> Response {
    let Some(key) = key(&dev) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ours = JwkSet {
        keys: vec![key.jwk.clone()],
    };
    let hint_ok = q
        .id_token_hint
        .as_deref()
        .and_then(|t| jose::jws::verify(t, &ours, &[SigAlg::RS256]).ok())
        .and_then(|v| claims_of(&v.payload))
        .is_some_and(|c| c.get("aud").and_then(|a| a.as_str()) == q.client_id.as_deref());
    let client_id = q.client_id.unwrap_or_default();
    let Some((source, _)) = client(&app, &client_id).filter(|_| hint_ok) else {
        return (
            StatusCode::BAD_REQUEST,
            "development IdP: logout without a valid ID token hint for the client",
        )
            .into_response();
    };
    let expected = crate::identity::suomifi_oidc::logged_out_url(app.issuer(), &source);
    if q.post_logout_redirect_uri.as_deref() != Some(expected.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            "development IdP: unregistered post_logout_redirect_uri",
        )
            .into_response();
    }
    let Ok(mut to) = url::Url::parse(&expected) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Some(s) = &q.state {
        to.query_pairs_mut().append_pair("state", s);
    }
    Redirect::to(to.as_str()).into_response()
}
