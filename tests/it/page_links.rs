//! Every link a page carries stays on this server, whatever address the
//! request was made for: the language links of the 404 page and of ordinary
//! pages, asked for with paths and queries that a browser would read as
//! another host (`//evil.example/`, `/\evil.example`, `user@host`, …).
//! Requests go out over a raw TCP connection, so that the hostile path
//! reaches the server byte for byte (an HTTP client would tidy it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET target` as written, over HTTP/1.0 (no chunking); the status and
/// the body.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {target} HTTP/1.0\r\nHost: {addr}\r\nAccept-Language: en\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line for {target}: {text}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

/// Every `href` of a page, as written in the HTML (entities decoded).
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| {
            h.replace("&amp;", "&")
                .replace("&#38;", "&")
                .replace("&#x2F;", "/")
                .replace("&#47;", "/")
                .replace("&#x5C;", "\\")
                .replace("&#92;", "\\")
        })
        .collect()
}

/// A link that a browser resolves on this server: a path (never `//…` or
/// `/\…`, no backslash anywhere), a fragment, or a phone or mail link.
fn same_origin(href: &str) -> bool {
    let path = href.starts_with('/')
        && !href.starts_with("//")
        && !href.contains('\\')
        && !href
            .chars()
            .any(|c| c.is_ascii_control() || c.is_whitespace());
    path || href.starts_with('#') || href.starts_with("tel:") || href.starts_with("mailto:")
}

#[tokio::test]
async fn hostile_paths_never_make_a_link_to_another_host() {
    let app = spawn_app().await;
    // Unknown addresses: the 404 page.
    let missing = [
        "//evil.example/",
        "//evil.example",
        "///evil.example/x",
        "/\\evil.example",
        "/\\/evil.example/",
        "/%2F%2Fevil.example/",
        "/%5C%5Cevil.example/",
        "//user@evil.example/",
        "/@evil.example",
        "//evil.example/login?lang=fi&x=1",
        "/nothing/..//evil.example",
        "http://evil.example//evil.example/",
    ];
    // Ordinary pages, with a hostile query (kept, minus `lang`) or asked
    // for in absolute form naming another host.
    let pages = [
        "/login?next=//evil.example/&lang=sv",
        "/login?ar=/\\evil.example",
        "/liaisons?q=//evil.example/",
        "/logout?x=//evil.example",
        "/authorize?client_id=//evil.example&redirect_uri=//evil.example/",
        "http://evil.example/login",
    ];
    let mut refused = 0;
    for (target, want) in missing
        .iter()
        .map(|t| (t, Some(404)))
        .chain(pages.iter().map(|t| (t, None)))
    {
        let (status, html) = raw_get(&app, target).await;
        if let Some(w) = want {
            assert_eq!(status, w, "{target}: {html}");
        }
        let links = hrefs(&html);
        assert!(
            links.iter().filter(|h| h.contains("lang=")).count() >= 2,
            "{target}: the page ({status}) has its language links: {html}"
        );
        let foreign: Vec<&String> = links.iter().filter(|h| !same_origin(h)).collect();
        assert!(
            foreign.is_empty(),
            "{target}: links off this server: {foreign:?}"
        );
        refused += 1;
    }
    hostile_refused("hostile_paths_never_make_a_link_to_another_host", refused);
}

#[tokio::test]
async fn language_links_keep_the_path_and_the_query_without_lang() {
    let app = spawn_app().await;
    let (status, html) = raw_get(&app, "/liaisons?q=abc&lang=fi").await;
    assert_eq!(status, 200);
    let links = hrefs(&html);
    assert!(
        links.contains(&"/liaisons?q=abc&lang=sv".to_string()),
        "{links:?}"
    );
    assert!(
        links.contains(&"/liaisons?q=abc&lang=en".to_string()),
        "{links:?}"
    );
}
