//! Test support: run one test body against every store engine.
//!
//! SQLite always runs (a fresh file in a temporary directory). PostgreSQL runs when
//! `IPAMD_TEST_POSTGRES_URL` names a server (the test script starts a throw-away cluster and
//! sets it); each test gets its own new database. With `IPAMD_TEST_REQUIRE_POSTGRES=1` a
//! missing URL fails the test instead of skipping the engine.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};

use ipam_model::*;
use ipam_store::{Store, StoreOptions};
use sqlx::Connection;

/// A store under test; keeps its temporary directory alive.
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    /// The URL it was opened with (for a second store on the same data).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ipamd.db").display());
    let store = Store::open(&url).await.expect("open sqlite store");
    TestStore {
        store,
        engine: "sqlite",
        url,
        _dir: Some(dir),
    }
}

/// A fresh PostgreSQL database on the test cluster, if one is configured.
pub async fn postgres() -> Option<TestStore> {
    let Ok(admin) = std::env::var("IPAMD_TEST_POSTGRES_URL") else {
        if std::env::var("IPAMD_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("IPAMD_TEST_REQUIRE_POSTGRES=1 but IPAMD_TEST_POSTGRES_URL is not set");
        }
        eprintln!("note: IPAMD_TEST_POSTGRES_URL is not set; PostgreSQL is skipped");
        return None;
    };
    let name = format!(
        "ipamd_t{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let url = format!("{base}/{name}");
    let store = Store::open_with(StoreOptions {
        max_connections: 16,
        ..StoreOptions::new(&url)
    })
    .await
    .expect("open postgres store");
    Some(TestStore {
        store,
        engine: "postgres",
        url,
        _dir: None,
    })
}

/// Every engine available to this test run: SQLite, then PostgreSQL if configured.
pub async fn stores() -> Vec<TestStore> {
    let mut out = vec![sqlite().await];
    out.extend(postgres().await);
    out
}

/// Runs a test body once per engine, as two tests named `<name>::sqlite` and
/// `<name>::postgres`, so the test log shows which engine ran.
#[macro_export]
macro_rules! each_store {
    ($name:ident, |$ts:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn each_store_body($ts: $crate::TestStore) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                each_store_body($crate::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(ts) = $crate::postgres().await {
                    each_store_body(ts).await;
                }
            }
        }
    };
}

/// A server to register, `dhcpN.test` at 10.0.0.N.
pub fn server(n: u8) -> NewDhcpServer {
    NewDhcpServer {
        name: format!("dhcp{n}.test"),
        address: Ipv4Addr::new(10, 0, 0, n),
        description: None,
    }
}

/// Scope `10.<net>.0.0/24` on `server`.
pub fn scope(server: RecordId, net: u8) -> NewDhcpScope {
    NewDhcpScope {
        parent_dhcp_server_record_id: server,
        scope_id: Ipv4Addr::new(10, net, 0, 0),
        subnet_mask: Ipv4Addr::new(255, 255, 255, 0),
        start_address: Ipv4Addr::new(10, net, 0, 10),
        end_address: Ipv4Addr::new(10, net, 0, 200),
        scope_name: format!("net{net}"),
        description: None,
        status: DhcpScopeStatus::Active,
        lease_duration: NewDhcpScope::DEFAULT_LEASE,
        failover_config_sync_status: DhcpFailoverConfigSyncStatus::Unknown,
    }
}

/// A valid load-balance relationship between two servers.
pub fn failover(name: &str, s1: RecordId, s2: RecordId) -> DhcpFailover {
    DhcpFailover {
        relationship_name: Some(name.to_owned()),
        server1_record_id: s1,
        server2_record_id: s2,
        mode: DhcpFailoverMode::LoadBalance,
        server1_percentage: 50,
        mclt: TimeSpan::from_secs(3600),
        state_switch_interval: TimeSpan::from_secs(600),
        auto_state_transition: true,
        shared_secret_enabled: true,
        shared_secret: Some(b"s3cret".to_vec()),
        server1_state: DhcpFailoverState::Normal,
        server2_state: DhcpFailoverState::Normal,
        server1_name: Some(format!("dhcp{s1}.test")),
        server2_name: Some(format!("dhcp{s2}.test")),
        server1_ip: Some(Ipv4Addr::new(10, 0, 0, 1)),
        server2_ip: Some(Ipv4Addr::new(10, 0, 0, 2)),
        ..Default::default()
    }
}

/// Row counts (servers, scopes, relationships, links).
pub async fn counts(store: &Store) -> [i64; 4] {
    store.conn().await.unwrap().db().counts().await.unwrap()
}

/// Runs raw SQL statements on the store at `url` (test set-up such as fault-injecting
/// triggers), outside the store's API.
pub async fn execute(url: &str, statements: &[&str]) {
    sqlx::any::install_default_drivers();
    let (_, url) = ipam_store::normalize_url(url).expect("url");
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    for s in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(s.to_string()))
            .execute(&mut conn)
            .await
            .expect("statement");
    }
    conn.close().await.ok();
}
