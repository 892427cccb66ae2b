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

#[test]
fn serve_refuses_to_run_without_transport_security_unless_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(IPAMD)
        .current_dir(dir.path())
        .args([
            "serve",
            "--nettcp-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure"));
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
    ] {
        assert!(help.contains(opt), "{opt} missing from --help");
    }
}

#[cfg(unix)]
#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (nettcp, http) = (free_port(), free_port());
    let mut child = Command::new(IPAMD)
        .current_dir(dir.path())
        .args(["serve", "--insecure", "--log-format", "json"])
        .args([
            "--nettcp-listen",
            &format!("127.0.0.1:{nettcp}"),
            "--http-listen",
            &format!("127.0.0.1:{http}"),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", nettcp)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "ipamd did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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

#[cfg(unix)]
fn send_sigterm(pid: u32) {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
}
