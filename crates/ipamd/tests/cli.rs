//! The ipamd binary: `import`, `serve` start-up and clean shutdown on SIGTERM.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const IPAMD: &str = env!("CARGO_BIN_EXE_ipamd");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn import_loads_an_inventory_and_reports_bad_files_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("i.db").display());
    let out = Command::new(IPAMD)
        .args(["import", &example("inventory.json"), "--database-url", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 server(s) added"));

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"servers":[{"name":"x","address":"10.0.0.1","scopes":[{"scope_id":"10.1.0.0","subnet_mask":"255.255.255.0","start_address":"10.1.0.9","end_address":"10.2.0.1","scope_name":"s"}]}]}"#).unwrap();
    let out = Command::new(IPAMD)
        .args(["import", bad.to_str().unwrap(), "--database-url", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("servers[0].scopes[0].EndAddress '10.2.0.1' is outside the subnet"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
}

/// `ipamd serve` with `args` on loopback ports in `dir`, which must refuse to start: its
/// standard error.
fn refused_start(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(IPAMD)
        .current_dir(dir)
        .arg("serve")
        .args(args)
        .args([
            "--nettcp-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "ipamd serve {args:?} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn serve_refuses_to_run_without_transport_security_unless_insecure() {
    let dir = tempfile::tempdir().unwrap();
    assert!(refused_start(dir.path(), &[]).contains("--insecure"));
}

#[test]
fn help_explains_every_option() {
    let out = Command::new(IPAMD)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--config",
        "--database-url",
        "--http-listen",
        "--nettcp-listen",
        "--insecure",
        "--log-level",
        "--log-format",
        "--max-message-size",
        "--durable",
        "--group-commit",
        "--writer-lanes",
    ] {
        assert!(help.contains(opt), "{opt} missing from --help");
    }
}

#[cfg(unix)]
#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _) = serve(dir.path(), &["--log-format", "json"], Stdio::piped());
    assert!(
        dir.path().join("ipamd.db").exists(),
        "the default store is ./ipamd.db"
    );
    send_sigterm(child.id());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().ok();
            panic!("ipamd did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(status.success(), "exit {status}: {log}");
    assert!(log.contains("\"stopped\""), "{log}");
}

/// `ipamd serve --insecure` in `dir` on free loopback ports, with `extra` flags, once both
/// listeners accept: the process and the HTTP port.
#[cfg(unix)]
fn serve(dir: &std::path::Path, extra: &[&str], stderr: Stdio) -> (std::process::Child, u16) {
    let (nettcp, http) = (free_port(), free_port());
    let child = Command::new(IPAMD)
        .current_dir(dir)
        .args(["serve", "--insecure"])
        .args(extra)
        .args([
            "--nettcp-listen",
            &format!("127.0.0.1:{nettcp}"),
            "--http-listen",
            &format!("127.0.0.1:{http}"),
        ])
        .stderr(stderr)
        .spawn()
        .unwrap();
    let start = Instant::now();
    for port in [nettcp, http] {
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "ipamd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    (child, http)
}

/// One HTTP/1.1 request to `127.0.0.1:port`; the whole answer as text.
fn http(port: u16, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

#[cfg(unix)]
#[test]
fn group_commit_flag_decides_whether_changes_go_through_the_group_writer() {
    for (flag, commits) in [("true", 1), ("false", 0)] {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, http_port) = serve(dir.path(), &["--group-commit", flag], Stdio::null());
        let created = http(
            http_port,
            "POST",
            "/api/v1/dhcp-servers",
            r#"{"name":"dhcp1.test","address":"10.0.0.1"}"#,
        );
        let metrics = http(http_port, "GET", "/metrics", "");
        send_sigterm(child.id());
        let _ = child.wait();
        assert!(created.starts_with("HTTP/1.1 201"), "{created}");
        assert!(
            metrics.contains(&format!("\nipamd_store_commits_total {commits}\n")),
            "--group-commit {flag}: {metrics}"
        );
    }
}

#[test]
fn writer_lanes_on_sqlite_are_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused_start(dir.path(), &["--insecure", "--writer-lanes", "2"]);
    assert!(
        err.contains("writer_lanes 2 needs PostgreSQL: SQLite has one writer at a time"),
        "{err}"
    );
    assert!(
        !dir.path().join("ipamd.db").exists(),
        "refused before opening the store"
    );
}

#[cfg(unix)]
fn send_sigterm(pid: u32) {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
}
