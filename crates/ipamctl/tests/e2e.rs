//! End to end: a real `ipamd serve --insecure` on SQLite and PostgreSQL, driven by the
//! `ipamctl` binary and by plain HTTP.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ipam_testkit::{TestStore, each_store};
use serde_json::{Value, json};

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `ipamd` binary of this build, next to the test binary's profile directory. Cargo
/// does not build another package's binary for this test, so the first call runs
/// `cargo build -p ipamd` (a no-op when it is fresh). `IPAMD_BIN` overrides all of it.
fn ipamd_binary() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("IPAMD_BIN") {
            return bin.into();
        }
        let exe = std::env::current_exe().unwrap();
        let profile = exe.parent().unwrap().parent().unwrap(); // target/<profile>/deps/..
        let target = profile.parent().unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "ipamd", "--bin", "ipamd"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build -p ipamd");
        assert!(status.success(), "cargo build -p ipamd failed");
        let bin = profile.join(format!("ipamd{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

/// A running `ipamd serve`; stopped (SIGTERM, then kill) when dropped.
struct Daemon {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Daemon {
    /// `ipamd serve` on `database_url` with `extra` flags.
    fn start(database_url: &str, extra: &[&str]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ipamd.log");
        let http = free_port();
        let nettcp = free_port();
        let child = Command::new(ipamd_binary())
            .args(["serve", "--insecure", "--database-url", database_url])
            .args(extra)
            .args(["--http-listen", &format!("127.0.0.1:{http}")])
            .args(["--nettcp-listen", &format!("127.0.0.1:{nettcp}")])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start ipamd");
        let mut d = Daemon {
            child,
            base: format!("http://127.0.0.1:{http}"),
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = d.child.try_wait().unwrap() {
                panic!("ipamd exited with {status}: {}", d.log_text());
            }
            if std::net::TcpStream::connect(("127.0.0.1", http)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "ipamd did not listen: {}",
                d.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs ipamctl against this daemon: exit code, stdout, stderr.
    fn ctl(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_ipamctl"))
            .args(args)
            .env("IPAMCTL_SERVER", &self.base)
            .stdin(Stdio::null())
            .output()
            .expect("run ipamctl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// ipamctl with `--output json`; expects `code` and returns the parsed output.
    fn json(&self, code: i32, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let (c, out, err) = self.ctl(&all);
        assert_eq!(c, code, "ipamctl {args:?}\nstdout: {out}\nstderr: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("ipamctl {args:?}: {e}: {out}"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn inventory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory.json")
}

async fn counts(ts: &TestStore) -> [i64; 4] {
    ipam_testkit::counts(&ts.store).await
}

each_store!(ipamctl_drives_a_real_ipamd, |ts| {
    // On PostgreSQL, with group-commit batches side by side (--writer-lanes).
    let lanes: &[&str] = if ts.engine == "postgres" {
        &["--writer-lanes", "2"]
    } else {
        &[]
    };
    let d = Daemon::start(&ts.url, lanes);
    let inv = inventory();

    // Register: import, then one more server and scope by hand.
    let report = d.json(0, &["import", inv.to_str().unwrap()]);
    assert_eq!(report["servers_created"], 3, "{report}");
    assert_eq!(report["scopes_created"], 4);
    let again = d.json(0, &["import", inv.to_str().unwrap()]);
    assert_eq!(again["servers_existing"], 3);
    assert_eq!(again["scopes_existing"], 4);
    assert_eq!(counts(&ts).await, [3, 4, 0, 0]);
    let s9 = d.json(
        0,
        &[
            "server",
            "add",
            "dhcp9.test",
            "10.0.0.9",
            "--description",
            "lab",
        ],
    );
    let s9 = s9["record_id"].as_i64().unwrap().to_string();
    let sc = d.json(
        0,
        &[
            "scope",
            "add",
            "--server-id",
            &s9,
            "--subnet",
            "10.9.0.0",
            "--mask",
            "255.255.255.0",
            "--start",
            "10.9.0.10",
            "--end",
            "10.9.0.99",
            "--name",
            "lab",
            "--lease",
            "PT12H",
        ],
    );
    assert_eq!(sc["lease_duration"], "PT12H");
    let servers = d.json(0, &["server", "list"]);
    assert_eq!(servers.as_array().unwrap().len(), 4);
    let (c, table, _) = d.ctl(&["server", "list"]);
    assert_eq!(c, 0);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("dhcp1.corp.example") && table.contains("10.20.0.1"));
    let one = d.json(0, &["server", "show", "1"]);
    assert_eq!(one["name"], "dhcp1.corp.example");
    let scopes = d.json(0, &["scope", "list", "--server-id", "1"]);
    assert_eq!(scopes.as_array().unwrap().len(), 2);
    let scope_of = |server: i64, subnet: &str| -> String {
        let all = d.json(0, &["scope", "list", "--server-id", &server.to_string()]);
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["scope_id"] == subnet)
            .unwrap()["record_id"]
            .to_string()
    };
    let (a, b) = (scope_of(1, "10.1.0.0"), scope_of(2, "10.1.0.0"));
    let (a2, b2) = (scope_of(1, "10.1.1.0"), scope_of(2, "10.1.1.0"));

    // Create a failover, following its progress.
    let op = d.json(
        0,
        &[
            "failover",
            "create",
            "--name",
            "hq",
            "--server1",
            "1",
            "--server2",
            "2",
            "--scopes",
            &format!("{a},{b}"),
            "--percentage",
            "60",
            "--mclt",
            "PT30M",
            "--secret",
            "s3cret",
        ],
    );
    assert_eq!(op["status"], "CompletedWithSuccess", "{op}");
    assert_eq!(op["percent"], 100);
    let rid = op["result_record_id"].as_i64().unwrap().to_string();
    let before = counts(&ts).await;
    assert_eq!(before, [4, 5, 1, 2]);

    // Read it back.
    let f = d.json(0, &["failover", "show", &rid]);
    assert_eq!(f["relationship_name"], "hq");
    assert_eq!(f["server1_percentage"], 60);
    assert_eq!(f["mclt"], "PT30M");
    assert_eq!(f["shared_secret_set"], true);
    assert_eq!(f["scopes"].as_array().unwrap().len(), 2);
    let (_, human, _) = d.ctl(&["failover", "show", &rid]);
    assert!(
        human.contains("relationship_name") && !human.contains("s3cret"),
        "{human}"
    );
    let list = d.json(0, &["failover", "list", "--server-id", "2"]);
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Each fault: exit status 1, the precise exception, the store unchanged.
    let faults: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--name".into(),
                "x".into(),
                "--server1".into(),
                "1".into(),
                "--server2".into(),
                "2".into(),
                "--scopes".into(),
                "999999".into(),
            ],
            "IpamApiDhcpScopeNotFoundInDB",
        ),
        (
            vec![
                "--name".into(),
                "hq".into(),
                "--server1".into(),
                "1".into(),
                "--server2".into(),
                "2".into(),
                "--scopes".into(),
                a2.clone(),
            ],
            "IpamApiFailedWithUniqueKeyViolation",
        ),
        (
            vec![
                "--name".into(),
                "  ".into(),
                "--server1".into(),
                "1".into(),
                "--server2".into(),
                "2".into(),
                "--scopes".into(),
                a2.clone(),
            ],
            "IpamApiInvalidParameter",
        ),
        (
            vec![
                "--name".into(),
                "y".into(),
                "--server1".into(),
                "1".into(),
                "--server2".into(),
                "999999".into(),
                "--scopes".into(),
                a2.clone(),
            ],
            "IpamApiServerNotFoundInDB",
        ),
        (
            vec![
                "--name".into(),
                "z".into(),
                "--server1".into(),
                "1".into(),
                "--server2".into(),
                "2".into(),
                "--scopes".into(),
                a.clone(),
            ],
            "IpamApiFailedWithUniqueKeyViolation",
        ),
    ];
    for (args, id) in faults {
        let mut all = vec!["failover", "create"];
        all.extend(args.iter().map(String::as_str));
        // Refused at once by the API (the engine's rehearsal): the error body, exit 1.
        let err = d.json(1, &all);
        assert_eq!(err["exception_id"], id, "{args:?}: {err}");
        assert_eq!(counts(&ts).await, before, "{args:?} changed the store");
    }
    let (c, _, err) = d.ctl(&[
        "failover",
        "create",
        "--name",
        "x",
        "--server1",
        "1",
        "--server2",
        "2",
        "--scopes",
        &a2,
        "--mclt",
        "soon",
    ]);
    assert_eq!(c, 2, "a bad duration is a usage error: {err}");
    let e = d.json(1, &["failover", "show", "999999"]);
    assert_eq!(e["exception_id"], "IpamApiObjectNotFoundInDatabase");
    let e = d.json(1, &["failover", "rm", "999999"]);
    assert_eq!(e["exception_id"], "IpamApiObjectNotFoundInDatabase");
    let e = d.json(1, &["server", "add", "dhcp1.corp.example", "10.0.0.1"]);
    assert_eq!(e["exception_id"], "IpamApiServerAlreadyInDB");
    let e = d.json(1, &["server", "rm", "1"]);
    assert_eq!(
        e["exception_id"], "IpamApiFailedToDelete",
        "a server in a relationship stays"
    );
    let op = d.json(
        1,
        &[
            "failover",
            "add-scopes",
            &rid,
            &scope_of(s9.parse().unwrap(), "10.9.0.0"),
        ],
    );
    assert_eq!(op["exception_id"], "IpamApiDhcpScopesNotPartOfSameServer");
    let (c, _, err) = d.ctl(&[
        "failover",
        "create",
        "--name",
        "hq",
        "--server1",
        "1",
        "--server2",
        "2",
        "--scopes",
        &a2,
    ]);
    assert_eq!(c, 1);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(counts(&ts).await, before);

    // Changes: edit, add and remove scopes, replicate; --no-wait then op watch/show.
    let op = d.json(
        0,
        &[
            "failover",
            "edit",
            &rid,
            "--percentage",
            "70",
            "--mclt",
            "PT2H",
        ],
    );
    assert_eq!(op["operation_id"], "EditDhcpFailover");
    let f = d.json(0, &["failover", "show", &rid]);
    assert_eq!(
        (f["server1_percentage"].as_i64(), f["mclt"].as_str()),
        (Some(70), Some("PT2H"))
    );
    let accepted = d.json(0, &["failover", "add-scopes", &rid, &a2, &b2, "--no-wait"]);
    let op_id = accepted["id"].as_str().unwrap().to_owned();
    let watched = d.json(0, &["op", "watch", &op_id]);
    assert_eq!(watched["status"], "CompletedWithSuccess", "{watched}");
    let shown = d.json(0, &["op", "show", &op_id]);
    assert_eq!(shown["operation_id"], "AddDhcpFailoverScopes");
    assert_eq!(counts(&ts).await[3], 4);
    d.json(0, &["failover", "remove-scopes", &rid, &b2]);
    assert_eq!(counts(&ts).await[3], 3);
    d.json(0, &["failover", "replicate", &rid]);
    let (c, human, _) = d.ctl(&["failover", "edit", &rid, "--name", "hq-main"]);
    assert_eq!(c, 0);
    assert!(human.contains("succeeded: EditDhcpFailover"), "{human}");

    // The same daemon over plain HTTP: metrics, health, hostile JSON.
    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("{}/metrics", d.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "ipamd_operations_total{operation=\"CreateDhcpFailover\",outcome=\"failure\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("ipamd_nettcp_open_sessions"));
    let health = http
        .get(format!("{}/healthz", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let before = counts(&ts).await;
    for (body, status) in [
        (
            json!({"name": "x", "address": "10.0.0.77", "extra": 1}).to_string(),
            400,
        ),
        (json!({"name": 1, "address": "10.0.0.77"}).to_string(), 400),
        ("x".repeat(3 << 20), 413),
    ] {
        let r = http
            .post(format!("{}/api/v1/dhcp-servers", d.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match r {
            Ok(r) => assert_eq!(r.status().as_u16(), status),
            // A 413 may close the connection while the body is still being written.
            Err(e) => assert_eq!(status, 413, "{e}"),
        }
    }
    let r = http
        .post(format!("{}/api/v1/dhcp-failovers", d.base))
        .json(
            &json!({"relationship_name": "http", "mode": "HotStandby", "server1_record_id": 1,
                      "server2_record_id": 2, "scope_ids": [999_999]}),
        )
        .send()
        .await
        .unwrap();
    // The engine's rehearsal refuses it at once: 422 naming the unknown scope.
    assert_eq!(r.status().as_u16(), 422);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["exception_id"], "IpamApiDhcpScopeNotFoundInDB", "{err}");
    assert!(err["message"].as_str().unwrap().contains("999999"), "{err}");
    assert_eq!(counts(&ts).await, before);

    // Delete.
    d.json(0, &["failover", "rm", &rid]);
    assert_eq!(counts(&ts).await[2..], [0, 0]);
    d.json(0, &["scope", "rm", &a2]);
    d.json(0, &["server", "rm", &s9]);
    assert_eq!(counts(&ts).await, [3, 3, 0, 0]);
    let log = d.log_text();
    assert!(!log.contains("panicked"), "{log}");
});

#[test]
fn help_shows_examples() {
    let out = Command::new(env!("CARGO_BIN_EXE_ipamctl"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for word in [
        "server",
        "scope",
        "import",
        "failover",
        "op",
        "Examples:",
        "--output",
        "IPAMCTL_SERVER",
    ] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
}

#[test]
fn unreachable_server_is_a_clear_error() {
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_ipamctl"))
        .args([
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "server",
            "list",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach ipamd"), "{err}");
}
