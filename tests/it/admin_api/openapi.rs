//! `openapi.json` describes exactly the routes registered in
//! `src/web/mod.rs`, and every reference in it resolves.

use std::collections::BTreeSet;

use super::*;

/// The API routes registered in `src/web/mod.rs`, as (path, method).
fn registered_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../../src/web/mod.rs");
    let mut out = BTreeSet::new();
    for chunk in source.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap();
        if !path.starts_with(API) {
            continue;
        }
        // Each chunk ends where the next `.route(` begins.
        for m in ["get", "post", "put", "delete", "patch"] {
            if chunk.contains(&format!("{m}(api::")) {
                out.insert((path.to_string(), m.to_string()));
            }
        }
    }
    out
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_describes_every_registered_route_and_nothing_else() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}{API}/openapi.json", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["servers"][0]["url"], app.state.issuer());
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        (&schemes["csrf"]["in"], &schemes["csrf"]["name"]),
        (&json!("header"), &json!("X-CSRF-Token"))
    );
    assert_eq!(
        (&schemes["session"]["in"], &schemes["session"]["name"]),
        (&json!("cookie"), &json!("pv_sid"))
    );

    let registered = registered_routes();
    assert!(registered.len() >= 17, "{registered:?}");
    let mut described = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            described.insert((path.clone(), method.clone()));
            let params: BTreeSet<&str> = op["parameters"].as_array().map_or(BTreeSet::new(), |p| {
                p.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            });
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(params, in_path, "{method} {path}: path parameters");
            let changes = method != "get";
            let security = op["security"].to_string();
            if path != "/admin/api/v1/openapi.json" {
                assert_eq!(
                    security.contains("csrf"),
                    changes,
                    "{method} {path}: {security}"
                );
                assert!(security.contains("bearer") && op["responses"]["404"].is_object());
            }
        }
    }
    assert_eq!(registered, described, "registered routes vs. openapi.json");
    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50);
    for r in all {
        let ptr = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(ptr).is_some(), "dangling {r}");
    }
    let networks = &doc["components"]["schemas"]["Network"]["enum"];
    assert_eq!(networks, &json!(["intermetso", "sonette"]));
}
