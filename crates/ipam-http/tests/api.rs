//! The JSON API against a real router on a real socket, on SQLite and PostgreSQL.

mod common;

use common::Api;
use ipam_testkit::each_store;
use serde_json::{Value, json};

fn new_failover(name: &str, s1: i64, s2: i64, scopes: &[i64]) -> Value {
    json!({
        "relationship_name": name,
        "mode": "LoadBalance",
        "server1_record_id": s1,
        "server2_record_id": s2,
        "server1_percentage": 60,
        "mclt": "PT1H",
        "state_switch_interval": "PT10M",
        "shared_secret_enabled": true,
        "shared_secret": "s3cret",
        "scope_ids": scopes,
    })
}

each_store!(failover_lifecycle, |ts| {
    let api = Api::start(ts).await;
    let (s, v) = api.get("/healthz").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("ok")));

    let s1 = api.server(1).await;
    let s2 = api.server(2).await;
    let a = api.scope(s1, 1).await;
    let b = api.scope(s2, 1).await;
    let c = api.scope(s1, 2).await;
    let (_, servers) = api.get("/api/v1/dhcp-servers").await;
    assert_eq!(servers.as_array().unwrap().len(), 2);
    assert_eq!(servers[0]["address"], "10.0.0.1");
    let (_, scopes) = api
        .get(&format!("/api/v1/dhcp-scopes?server_record_id={s1}"))
        .await;
    assert_eq!(scopes.as_array().unwrap().len(), 2);
    assert_eq!(scopes[0]["lease_duration"], "P8D");
    assert_eq!(scopes[0]["failover_config_sync_status"], "Unknown");

    // Create, following the progress stream to its end.
    let (st, op) = api
        .call(
            "POST",
            "/api/v1/dhcp-failovers",
            Some(new_failover("hq", s1, s2, &[a, b])),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    assert_eq!(op["operation_id"], "CreateDhcpFailover");
    let id = op["id"].as_str().unwrap();
    let events = api.events(id).await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"StartProgressCallback"));
    assert!(names.contains(&"AddSubTask"), "{names:?}");
    assert!(names.contains(&"SetSubTaskStatus"), "{names:?}");
    assert!(names.contains(&"SetCompletionPercentage"), "{names:?}");
    assert_eq!(names.last(), Some(&"SetOverallStatus"));
    assert_eq!(
        events.last().unwrap().data["overall_status"],
        "CompletedWithSuccess"
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id.as_deref(), Some(i.to_string().as_str()));
        assert_eq!(e.data["callback"], e.event);
    }
    // A second subscriber after the end gets the same replay.
    assert_eq!(api.events(id).await.len(), events.len());
    let (_, done) = api.get(&format!("/api/v1/operations/{id}")).await;
    assert_eq!(done["status"], "CompletedWithSuccess");
    assert_eq!(done["percent"], 100);
    assert!(done["exception"].is_null());
    assert!(!done["sub_tasks"].as_array().unwrap().is_empty());
    let rid = done["result_record_id"].as_i64().expect("a record id");

    // Read it back.
    let (s, f) = api.get(&format!("/api/v1/dhcp-failovers/{rid}")).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["relationship_name"], "hq");
    assert_eq!(f["mode"], "LoadBalance");
    assert_eq!(f["server1_percentage"], 60);
    assert_eq!(f["mclt"], "PT1H");
    assert_eq!(f["state_switch_interval"], "PT10M");
    assert_eq!(f["server1_name"], "dhcp1.test");
    assert_eq!(f["server2_ip"], "10.0.0.2");
    assert_eq!(f["shared_secret_set"], true);
    assert!(
        f.get("shared_secret").is_none(),
        "the secret is never returned"
    );
    assert!(!f.to_string().contains("s3cret"));
    let (_, linked) = api
        .get(&format!("/api/v1/dhcp-failovers/{rid}/scopes"))
        .await;
    let mut ids: Vec<i64> = linked
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["record_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![a, b]);
    let (_, list) = api
        .get(&format!("/api/v1/dhcp-failovers?server_record_id={s2}"))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, scope) = api.get(&format!("/api/v1/dhcp-scopes/{a}")).await;
    assert_eq!(scope["failover_relationship_name"], "hq");

    // Edit: only the fields present change.
    let done = api
        .run(
            "PATCH",
            &format!("/api/v1/dhcp-failovers/{rid}"),
            Some(json!({"server1_percentage": 70, "mclt": "PT2H"})),
        )
        .await;
    assert_eq!(done["status"], "CompletedWithSuccess", "{done}");
    let (_, f) = api.get(&format!("/api/v1/dhcp-failovers/{rid}")).await;
    assert_eq!(f["server1_percentage"], 70);
    assert_eq!(f["mclt"], "PT2H");
    assert_eq!(f["relationship_name"], "hq");
    assert_eq!(f["state_switch_interval"], "PT10M");

    // Add and remove scopes.
    let done = api
        .run(
            "POST",
            &format!("/api/v1/dhcp-failovers/{rid}/scopes"),
            Some(json!({"scope_ids": [c]})),
        )
        .await;
    assert_eq!(done["status"], "CompletedWithSuccess", "{done}");
    assert_eq!(api.counts().await[3], 3);
    let done = api
        .run(
            "DELETE",
            &format!("/api/v1/dhcp-failovers/{rid}/scopes"),
            Some(json!({"scope_ids": [c]})),
        )
        .await;
    assert_eq!(done["status"], "CompletedWithSuccess", "{done}");
    assert_eq!(api.counts().await[3], 2);

    // Replicate.
    let done = api
        .run(
            "POST",
            &format!("/api/v1/dhcp-failovers/{rid}/replicate"),
            None,
        )
        .await;
    assert_eq!(done["status"], "CompletedWithSuccess", "{done}");

    // A server in a relationship cannot go.
    let (s, e) = api
        .call("DELETE", &format!("/api/v1/dhcp-servers/{s1}"), None)
        .await;
    assert_eq!(s, 409, "{e}");

    // Delete.
    let done = api
        .run("DELETE", &format!("/api/v1/dhcp-failovers/{rid}"), None)
        .await;
    assert_eq!(done["status"], "CompletedWithSuccess", "{done}");
    let (s, e) = api.get(&format!("/api/v1/dhcp-failovers/{rid}")).await;
    assert_eq!(s, 404);
    assert_eq!(e["exception_id"], "IpamApiObjectNotFoundInDatabase");
    assert_eq!(api.counts().await[2..], [0, 0]);

    // Scope and server deletion.
    let (s, _) = api
        .call("DELETE", &format!("/api/v1/dhcp-scopes/{c}"), None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = api.get(&format!("/api/v1/dhcp-scopes/{c}")).await;
    assert_eq!(s, 404);
    let (s, _) = api
        .call("DELETE", &format!("/api/v1/dhcp-servers/{s2}"), None)
        .await;
    assert_eq!(s, 204);
    let (s, e) = api.get(&format!("/api/v1/dhcp-servers/{s2}")).await;
    assert_eq!(
        (s, e["exception_id"].as_str()),
        (404, Some("IpamApiServerNotFoundInDB"))
    );

    // Metrics count what ran.
    let resp = api.http.get(api.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            "ipamd_operations_total{operation=\"CreateDhcpFailover\",outcome=\"success\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("ipamd_operation_duration_seconds_count{operation=\"DeleteDhcpFailover\"} 1")
    );
    assert!(text.contains("ipamd_nettcp_open_sessions 0"));
    // Every change above went through the group-commit writer: at least one commit,
    // and never fewer writes than commits.
    let counter = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    let (commits, writes) = (
        counter("ipamd_store_commits_total"),
        counter("ipamd_store_writes_total"),
    );
    assert!(
        commits >= 1 && writes >= commits,
        "{commits} commits, {writes} writes"
    );
});

/// The status the API answers an engine fault with, for a change named in the body.
fn expected_status(id: &str) -> u16 {
    match id {
        "IpamApiFailedWithUniqueKeyViolation" => 409,
        _ => 422,
    }
}

each_store!(faults_leave_the_store_unchanged, |ts| {
    let api = Api::start(ts).await;
    let s1 = api.server(1).await;
    let s2 = api.server(2).await;
    let s3 = api.server(3).await;
    let a = api.scope(s1, 1).await;
    let b = api.scope(s2, 1).await;
    let c = api.scope(s3, 3).await;
    let done = api
        .run(
            "POST",
            "/api/v1/dhcp-failovers",
            Some(new_failover("hq", s1, s2, &[a])),
        )
        .await;
    assert_eq!(done["status"], "CompletedWithSuccess");
    let rid = done["result_record_id"].as_i64().unwrap();
    let before = api.counts().await;

    // Faults the engine finds (its rehearsal runs every check, store included) are answered
    // at once with the precise id and status; nothing is started, nothing is written.
    let long = "x".repeat(300);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown scope",
            new_failover("x", s1, s2, &[b, 999_999]),
            "IpamApiDhcpScopeNotFoundInDB",
        ),
        (
            "duplicate",
            new_failover("hq", s1, s2, &[b]),
            "IpamApiFailedWithUniqueKeyViolation",
        ),
        (
            "scope in another relationship",
            new_failover("y", s1, s2, &[a]),
            "IpamApiFailedWithUniqueKeyViolation",
        ),
        (
            "blank name",
            new_failover("  ", s1, s2, &[b]),
            "IpamApiInvalidParameter",
        ),
        (
            "long name",
            new_failover(&long, s1, s2, &[b]),
            "IpamApiInvalidParameter",
        ),
        (
            "unknown server",
            new_failover("z", s1, 999_999, &[b]),
            "IpamApiServerNotFoundInDB",
        ),
        (
            "same server twice",
            new_failover("z", s1, s1, &[b]),
            "IpamApiInvalidParameter",
        ),
        (
            "scope not on a partner",
            new_failover("z", s1, s2, &[c]),
            "IpamApiDhcpScopesNotPartOfSameServer",
        ),
        (
            "no scopes",
            new_failover("z", s1, s2, &[]),
            "IpamApiInvalidParameter",
        ),
        (
            "mode None",
            {
                let mut f = new_failover("z", s1, s2, &[b]);
                f["mode"] = json!("None");
                f
            },
            "IpamApiInvalidParameter",
        ),
        (
            "percentage over 100",
            {
                let mut f = new_failover("z", s1, s2, &[b]);
                f["server1_percentage"] = json!(101);
                f
            },
            "IpamApiInvalidParameter",
        ),
    ];
    for (what, body, id) in cases {
        let (status, err) = api.call("POST", "/api/v1/dhcp-failovers", Some(body)).await;
        assert_eq!(status, expected_status(id), "{what}: {err}");
        assert_eq!(err["exception_id"], id, "{what}: {err}");
        assert!(!err["message"].as_str().unwrap().is_empty());
        assert_eq!(api.counts().await, before, "{what} changed the store");
    }
    let ops: Vec<(&str, String, Value, &str)> = vec![
        (
            "add unknown scope",
            format!("/api/v1/dhcp-failovers/{rid}/scopes"),
            json!({"scope_ids": [999_999]}),
            "IpamApiDhcpScopeNotFoundInDB",
        ),
        (
            "add foreign scope",
            format!("/api/v1/dhcp-failovers/{rid}/scopes"),
            json!({"scope_ids": [b, c]}),
            "IpamApiDhcpScopesNotPartOfSameServer",
        ),
        (
            "add none",
            format!("/api/v1/dhcp-failovers/{rid}/scopes"),
            json!({"scope_ids": []}),
            "IpamApiInvalidParameter",
        ),
        (
            "remove a scope not in it",
            format!("/api/v1/dhcp-failovers/{rid}/scopes"),
            json!({"scope_ids": [b]}),
            "IpamApiInvalidParameter",
        ),
    ];
    for (what, path, body, id) in ops {
        let method = if what.starts_with("remove") {
            "DELETE"
        } else {
            "POST"
        };
        let (status, err) = api.call(method, &path, Some(body)).await;
        assert_eq!(status, expected_status(id), "{what}: {err}");
        assert_eq!(err["exception_id"], id, "{what}: {err}");
        assert_eq!(api.counts().await, before, "{what} changed the store");
    }
    let (status, err) = api
        .call(
            "PATCH",
            &format!("/api/v1/dhcp-failovers/{rid}"),
            Some(json!({"relationship_name": ""})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["exception_id"], "IpamApiInvalidParameter", "{err}");
    let (_, f) = api.get(&format!("/api/v1/dhcp-failovers/{rid}")).await;
    assert_eq!(f["relationship_name"], "hq");

    // Unknown ids in the URL: 404 at once, nothing started.
    for (method, path, body) in [
        ("GET", "/api/v1/dhcp-failovers/999999".to_owned(), None),
        (
            "GET",
            "/api/v1/dhcp-failovers/999999/scopes".to_owned(),
            None,
        ),
        (
            "PATCH",
            "/api/v1/dhcp-failovers/999999".to_owned(),
            Some(json!({"mclt": "PT1H"})),
        ),
        ("DELETE", "/api/v1/dhcp-failovers/999999".to_owned(), None),
        (
            "POST",
            "/api/v1/dhcp-failovers/999999/scopes".to_owned(),
            Some(json!({"scope_ids": [b]})),
        ),
        (
            "DELETE",
            "/api/v1/dhcp-failovers/999999/scopes".to_owned(),
            Some(json!({"scope_ids": [b]})),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers/999999/replicate".to_owned(),
            None,
        ),
        ("GET", "/api/v1/dhcp-servers/999999".to_owned(), None),
        ("DELETE", "/api/v1/dhcp-servers/999999".to_owned(), None),
        ("GET", "/api/v1/dhcp-scopes/999999".to_owned(), None),
        ("DELETE", "/api/v1/dhcp-scopes/999999".to_owned(), None),
        ("GET", "/api/v1/operations/op-nope".to_owned(), None),
        ("GET", "/api/v1/operations/op-nope/events".to_owned(), None),
    ] {
        let (s, e) = api.call(method, &path, body).await;
        assert_eq!(s, 404, "{method} {path}: {e}");
        assert!(e["exception_id"].is_string(), "{method} {path}: {e}");
        assert_eq!(api.counts().await, before);
    }

    // Store constraints: 409 and 422.
    let (s, e) = api
        .call(
            "POST",
            "/api/v1/dhcp-servers",
            Some(json!({"name": "DHCP1.test", "address": "10.9.9.9"})),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["exception_id"], "IpamApiServerAlreadyInDB");
    let (s, e) = api
        .call(
            "POST",
            "/api/v1/dhcp-servers",
            Some(json!({"name": "ok.test", "address": "255.255.255.255"})),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["field"], "address");
    let scope = |server: i64, net: &str, mask: &str| {
        json!({"server_record_id": server, "scope_id": net, "subnet_mask": mask,
               "start_address": "10.1.0.10", "end_address": "10.1.0.20", "name": "n"})
    };
    let (s, e) = api
        .call(
            "POST",
            "/api/v1/dhcp-scopes",
            Some(scope(s1, "10.1.0.0", "255.255.255.0")),
        )
        .await;
    assert_eq!(
        (s, e["exception_id"].as_str()),
        (409, Some("IpamApiFailedWithUniqueKeyViolation")),
        "{e}"
    );
    let (s, e) = api
        .call(
            "POST",
            "/api/v1/dhcp-scopes",
            Some(scope(999_999, "10.1.0.0", "255.255.255.0")),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (422, Some("server_record_id")),
        "{e}"
    );
    let (s, e) = api
        .call(
            "POST",
            "/api/v1/dhcp-scopes",
            Some(scope(s1, "10.1.0.0", "255.0.255.0")),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("subnet_mask")), "{e}");
    assert_eq!(api.counts().await, before);
});

each_store!(hostile_json_gets_a_precise_4xx, |ts| {
    let api = Api::start(ts).await;
    let s1 = api.server(1).await;
    let s2 = api.server(2).await;
    let a = api.scope(s1, 1).await;
    let before = api.counts().await;
    let ten_mib = format!(
        "{{\"name\": \"{}\", \"address\": \"10.0.0.9\"}}",
        "a".repeat(10 << 20)
    );
    // 10 MiB: announced, refused before a byte of it is read; sent anyway, 413 or a closed
    // connection, never anything else.
    let (s, e) = api.announce("/api/v1/dhcp-servers", ten_mib.len()).await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["exception_id"], "IpamApiInvalidParameter");
    if let Some((s, e)) = api.try_raw("POST", "/api/v1/dhcp-servers", ten_mib).await {
        assert_eq!(s, 413, "{e}");
    }
    let chunked = reqwest::Body::wrap_stream(futures::stream::iter(
        (0..40).map(|_| Ok::<_, std::io::Error>(vec![b' '; 256 * 1024])),
    ));
    if let Some((s, e)) = api.try_raw("POST", "/api/v1/dhcp-servers", chunked).await {
        assert_eq!(s, 413, "{e}");
    }
    // Just under the limit is read (and rejected for what it says, not for its size).
    let big_name = format!(
        "{{\"name\": \"{}\", \"address\": \"10.0.0.9\"}}",
        "a".repeat(1000 * 1000)
    );
    let (s, e) = api.raw("POST", "/api/v1/dhcp-servers", big_name).await;
    assert_eq!((s, e["field"].as_str()), (422, Some("name")), "{e}");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, &str, String, u16, Option<&str>)> = vec![
        ("POST", "/api/v1/dhcp-servers", "{".into(), 400, None),
        ("POST", "/api/v1/dhcp-servers", "".into(), 400, None),
        ("POST", "/api/v1/dhcp-servers", "[]".into(), 400, None),
        ("POST", "/api/v1/dhcp-servers", deep, 400, None),
        (
            "POST",
            "/api/v1/dhcp-servers",
            r#"{"name": 5, "address": "10.0.0.9"}"#.into(),
            400,
            Some("name"),
        ),
        (
            "POST",
            "/api/v1/dhcp-servers",
            r#"{"name": "x", "address": "10.0.0.999"}"#.into(),
            400,
            Some("address"),
        ),
        (
            "POST",
            "/api/v1/dhcp-servers",
            r#"{"name": "x", "address": "10.0.0.9", "admin": true}"#.into(),
            400,
            None,
        ),
        (
            "POST",
            "/api/v1/dhcp-servers",
            r#"{"name": "x", "address": "10.0.0.9"} trailing"#.into(),
            400,
            None,
        ),
        (
            "POST",
            "/api/v1/dhcp-scopes",
            format!(
                r#"{{"server_record_id": "{s1}", "scope_id": "10.7.0.0", "subnet_mask": "255.255.255.0", "start_address": "10.7.0.1", "end_address": "10.7.0.9", "name": "n"}}"#
            ),
            400,
            Some("server_record_id"),
        ),
        (
            "POST",
            "/api/v1/dhcp-scopes",
            format!(
                r#"{{"server_record_id": {s1}, "scope_id": "10.7.0.0", "subnet_mask": "255.255.255.0", "start_address": "10.7.0.1", "end_address": "10.7.0.9", "name": "n", "lease_duration": "forever"}}"#
            ),
            400,
            Some("lease_duration"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "LoadBalance", "server1_record_id": "{s1}", "server2_record_id": {s2}, "scope_ids": [{a}]}}"#
            ),
            400,
            Some("server1_record_id"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "Bogus", "server1_record_id": {s1}, "server2_record_id": {s2}, "scope_ids": [{a}]}}"#
            ),
            400,
            Some("mode"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "LoadBalance", "server1_record_id": {s1}, "server2_record_id": {s2}, "scope_ids": ["{a}"]}}"#
            ),
            400,
            Some("scope_ids[0]"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "LoadBalance", "server1_record_id": {s1}, "server2_record_id": {s2}, "scope_ids": [{a}], "record_id": 7}}"#
            ),
            400,
            None,
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "LoadBalance", "server1_record_id": 99999999999999999999, "server2_record_id": {s2}, "scope_ids": [{a}]}}"#
            ),
            400,
            Some("server1_record_id"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "LoadBalance", "server1_record_id": {s1}, "server2_record_id": {s2}, "scope_ids": [{a}], "server1_percentage": -5}}"#
            ),
            400,
            Some("server1_percentage"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            format!(
                r#"{{"relationship_name": "r", "mode": "LoadBalance", "server1_record_id": {s1}, "server2_record_id": {s2}, "scope_ids": [{a}], "mclt": 3600}}"#
            ),
            400,
            Some("mclt"),
        ),
        (
            "POST",
            "/api/v1/dhcp-failovers",
            r#"{"relationship_name": null}"#.into(),
            400,
            None,
        ),
        (
            "PATCH",
            "/api/v1/dhcp-failovers/1",
            r#"{"mode": null}"#.into(),
            400,
            Some("mode"),
        ),
        (
            "PATCH",
            "/api/v1/dhcp-failovers/1",
            r#"{"server1_record_id": 3}"#.into(),
            400,
            None,
        ),
        (
            "GET",
            "/api/v1/dhcp-servers/abc",
            String::new(),
            400,
            Some("record_id"),
        ),
        (
            "GET",
            "/api/v1/dhcp-failovers/1e3",
            String::new(),
            400,
            Some("record_id"),
        ),
        (
            "DELETE",
            "/api/v1/dhcp-scopes/99999999999999999999999",
            String::new(),
            400,
            Some("record_id"),
        ),
        (
            "GET",
            "/api/v1/dhcp-scopes?server_record_id=abc",
            String::new(),
            400,
            None,
        ),
        (
            "GET",
            "/api/v1/dhcp-failovers?colour=red",
            String::new(),
            400,
            None,
        ),
        (
            "DELETE",
            "/api/v1/dhcp-failovers/1?force=maybe",
            String::new(),
            400,
            None,
        ),
        ("PUT", "/api/v1/dhcp-servers", "{}".into(), 405, None),
        ("GET", "/api/v1/nothing-here", String::new(), 404, None),
    ];
    for (method, path, body, status, field) in cases {
        let shown = body.chars().take(80).collect::<String>();
        let (s, e) = api.raw(method, path, body).await;
        assert_eq!(s, status, "{method} {path} {shown}: {e}");
        assert!(
            e["exception_id"].is_string(),
            "{method} {path} {shown}: {e}"
        );
        assert!(!e["message"].as_str().unwrap().is_empty());
        if let Some(f) = field {
            assert_eq!(e["field"], f, "{method} {path} {shown}: {e}");
        }
        assert_eq!(
            api.counts().await,
            before,
            "{method} {path} changed the store"
        );
    }
    // Still serving.
    let (s, _) = api.get("/healthz").await;
    assert_eq!(s, 200);
});

each_store!(openapi_lists_every_route, |ts| {
    let api = Api::start(ts).await;
    let (s, doc) = api.get("/api/v1/openapi.json").await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut listed = 0;
    for (method, path) in ipam_http::ROUTES {
        let op = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not in the OpenAPI document"))[*method];
        assert!(op["operationId"].is_string(), "{method} {path}");
        assert!(op["responses"].is_object(), "{method} {path}");
        listed += 1;
        // The router serves it (an unknown id is a JSON 404 of the route, not of the fallback).
        let concrete = path
            .replace("{record_id}", "424242")
            .replace("{id}", "op-x");
        let (s, e) = api.raw(&method.to_uppercase(), &concrete, "{}").await;
        assert_ne!(s, 405, "{method} {path}");
        assert!(
            !e["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("no such route"),
            "{method} {path} is not routed"
        );
    }
    let total: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(total, listed, "the document lists exactly the routes");
    // Every $ref resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap().to_owned());
                    } else {
                        refs(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
});

#[tokio::test]
async fn drain_waits_for_running_operations() {
    let api = Api::start(ipam_testkit::sqlite().await).await;
    let s1 = api.server(1).await;
    let s2 = api.server(2).await;
    let scope = api.scope(s1, 1).await;
    let (st, op) = api
        .call(
            "POST",
            "/api/v1/dhcp-failovers",
            Some(json!({"relationship_name": "r", "mode": "LoadBalance",
                        "server1_record_id": s1, "server2_record_id": s2, "scope_ids": [scope]})),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    assert!(api.registry.drain(std::time::Duration::from_secs(10)).await);
    assert_eq!(api.registry.running(), 0);
}
