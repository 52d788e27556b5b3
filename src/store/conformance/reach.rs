//! A liaison person's reach, in account lists and in the audit trail.

use super::{audit, member, new_account, org};
use crate::domain::{Network, Role};
use crate::store::{AccountQuery, AuditEvent, AuditQuery, Directory, Membership};

/// What a liaison person of o1 in intermetso reaches: o1's members there,
/// not operators nor liaison persons elsewhere; and which audit events.
pub(super) async fn liaison_reach(d: &dyn Directory) {
    for id in ["o1", "o2"] {
        d.insert_organisation(
            &org(id, &format!("1.2.246.10.{}", &id[1..])),
            &audit("x", id),
        )
        .await
        .unwrap();
    }
    // m: a member; l: a liaison here; x: also a liaison in o2; s: also a
    // liaison in o1/sonette; op: an operator; w: a member of o1/sonette.
    type Memberships<'a> = &'a [(&'a str, Network, Role)];
    let accounts: [(&str, Memberships); 6] = [
        ("m", &[("o1", Network::Intermetso, Role::Member)]),
        ("l", &[("o1", Network::Intermetso, Role::Liaison)]),
        (
            "x",
            &[
                ("o1", Network::Intermetso, Role::Member),
                ("o2", Network::Intermetso, Role::Liaison),
            ],
        ),
        (
            "s",
            &[
                ("o1", Network::Intermetso, Role::Member),
                ("o1", Network::Sonette, Role::Liaison),
            ],
        ),
        ("op", &[("o1", Network::Intermetso, Role::Member)]),
        ("w", &[("o1", Network::Sonette, Role::Member)]),
    ];
    for (id, ms) in accounts {
        let ms: Vec<Membership> = ms.iter().map(|(o, n, r)| member(id, o, *n, *r)).collect();
        d.create_account(
            &new_account(id, &format!("user.{id}")),
            &ms,
            &audit("c", id),
        )
        .await
        .unwrap();
    }
    d.add_operator("op", &audit("admin.operator.added", "op"))
        .await
        .unwrap();
    let nets = [Network::Intermetso];
    let (found, total) = d
        .find_accounts(&AccountQuery {
            org_id: "o1",
            networks: &nets,
            reach_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids: Vec<String> = found.into_iter().map(|a| a.id).collect();
    ids.sort();
    assert_eq!((ids, total), (vec!["l".to_string(), "m".to_string()], 2));
    let (_, all) = d
        .find_accounts(&AccountQuery {
            org_id: "o1",
            networks: &nets,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all, 5, "without reach_only: everyone with a membership");

    // Audit: o1's own events about reachable accounts, and their own doings.
    let ev = |actor: &str, action: &str, subject: Option<&str>, org: Option<&str>| {
        let mut e = AuditEvent::new(10, actor, action);
        e.subject = subject.map(str::to_string);
        e.org_id = org.map(str::to_string);
        e
    };
    let events = [
        ev("l", "in.o1.about_m", Some("m"), Some("o1")),
        ev("desk", "in.o1.no_subject", None, Some("o1")),
        ev("m", "in.own_login", Some("m"), None),
        ev("o2liaison", "out.o2.about_m", Some("m"), Some("o2")),
        ev("desk", "out.desk.about_m", Some("m"), None),
        ev("l", "out.o1.about_x", Some("x"), Some("o1")),
        ev("op", "out.own_login_op", Some("op"), None),
        ev("l", "out.o1.about_w", Some("w"), Some("o1")),
        ev("s", "out.o1.about_s", Some("s"), Some("o1")),
    ];
    for e in &events {
        d.append_audit(e).await.unwrap();
    }
    let mut seen: Vec<String> = d
        .query_audit(&AuditQuery {
            org_id: "o1",
            networks: &nets,
            reach_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec!["in.o1.about_m", "in.o1.no_subject", "in.own_login"],
        "exactly the events within reach"
    );
    let none = d
        .query_audit(&AuditQuery {
            org_id: "o1",
            networks: &[],
            reach_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        none.iter().all(|e| e.subject.is_none()),
        "no networks, no accounts"
    );
}
