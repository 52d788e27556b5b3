//! The service desk's "why can / can't this person reach this portal"
//! page: the policy's answer rule by rule, for a login described on the
//! form.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{AdminCtx, AdminPage, Frame};
use crate::app::SharedState;
use crate::domain::{AuthMethod, Lang};
use crate::policy::Explanation;
use crate::web::pages::render;

#[derive(Debug, Deserialize, Default)]
pub struct PolicyQuery {
    #[serde(default)]
    account: String,
    #[serde(default)]
    portal: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    methods: Option<String>,
    #[serde(default)]
    loa: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
struct PolicyPage<'a> {
    frame: &'a Frame,
    heading: &'static str,
    account: String,
    source: String,
    methods: String,
    portals: Vec<(String, String, bool)>,
    levels: Vec<(&'static str, bool)>,
    message: Option<&'static str>,
    result: Option<Explanation>,
    l_account: &'static str,
    l_portal: &'static str,
    l_source: &'static str,
    l_methods: &'static str,
    l_loa: &'static str,
    l_explain: &'static str,
    l_rule: &'static str,
    l_no_conditions: &'static str,
    l_condition: &'static str,
    l_wants: &'static str,
    l_has: &'static str,
    l_ok: &'static str,
}

/// The page's own words (fi, sv, en): heading, labels, messages.
fn words(lang: Lang) -> [&'static str; 14] {
    match lang {
        Lang::Fi => [
            "Miksi henkilö pääsee tai ei pääse palveluun",
            "Käyttäjätunnus",
            "Palvelu",
            "Tunnistuslähde",
            "Tunnistustavat (amr, pilkuin)",
            "Varmuustaso",
            "Selvitä",
            "Sääntö",
            "Ei ehtoja: kaikki kirjautuneet",
            "Ehto",
            "Vaatii",
            "Henkilöllä",
            "Täyttyy",
            "Käyttäjätunnusta ei löydy, tai tunnistustapa tai varmuustaso on tuntematon.",
        ],
        Lang::Sv => [
            "Varför personen når eller inte når tjänsten",
            "Användarnamn",
            "Tjänst",
            "Identifieringskälla",
            "Identifieringssätt (amr, kommaseparerade)",
            "Tillitsnivå",
            "Förklara",
            "Regel",
            "Inga villkor: alla inloggade",
            "Villkor",
            "Kräver",
            "Personen har",
            "Uppfylls",
            "Användarnamnet finns inte, eller identifieringssättet eller nivån är okänd.",
        ],
        Lang::En => [
            "Why a person can or cannot reach a portal",
            "Username",
            "Portal",
            "Identity source",
            "Methods (amr, comma-separated)",
            "Level of assurance",
            "Explain",
            "Rule",
            "No conditions: everyone who logs in",
            "Condition",
            "Wants",
            "Has",
            "Holds",
            "No such username, or an unknown method or level.",
        ],
    }
}

/// `GET /admin/operator/policy`.
pub async fn operator_policy(
    State(app): State<SharedState>,
    Query(q): Query<PolicyQuery>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let w = words(ctx.lang);
                let source = q.source.clone().unwrap_or_else(|| "password".into());
                let methods_text = q.methods.clone().unwrap_or_else(|| "pwd".into());
                let loa_text = q.loa.clone().unwrap_or_else(|| "low".into());
                let methods: Result<Vec<AuthMethod>, _> = methods_text
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::parse)
                    .collect();
                let loa = loa_text.parse::<crate::domain::LoA>();
                let portal = if q.portal.is_empty() {
                    app.policy
                        .portals()
                        .first()
                        .map(|p| p.id.clone())
                        .unwrap_or_default()
                } else {
                    q.portal.clone()
                };
                let (mut message, mut result) = (None, None);
                if !q.account.trim().is_empty() {
                    match (methods, loa) {
                        (Ok(m), Ok(l)) => {
                            result = crate::admin::explain::explain_for_operator(
                                &op, &app, &q.account, &portal, &source, &m, l,
                            )
                            .await?;
                            if result.is_none() {
                                message = Some(w[13]);
                            }
                        }
                        _ => message = Some(w[13]),
                    }
                }
                render(
                    &PolicyPage {
                        frame: &ctx.frame,
                        heading: w[0],
                        account: q.account.clone(),
                        source,
                        methods: methods_text,
                        portals: app
                            .policy
                            .portals()
                            .iter()
                            .map(|p| {
                                (
                                    p.id.clone(),
                                    p.name_in(ctx.lang).to_string(),
                                    p.id == portal,
                                )
                            })
                            .collect(),
                        levels: ["low", "substantial", "high"]
                            .into_iter()
                            .map(|l| (l, l == loa_text))
                            .collect(),
                        message,
                        result,
                        l_account: w[1],
                        l_portal: w[2],
                        l_source: w[3],
                        l_methods: w[4],
                        l_loa: w[5],
                        l_explain: w[6],
                        l_rule: w[7],
                        l_no_conditions: w[8],
                        l_condition: w[9],
                        l_wants: w[10],
                        l_has: w[11],
                        l_ok: w[12],
                    },
                    StatusCode::OK,
                )
            }
        })
    })
    .await
}
