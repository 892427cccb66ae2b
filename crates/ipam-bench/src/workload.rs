//! The data every operation needs, registered in the store before the clock starts, and
//! the rows each operation writes.
//!
//! Operation `i` of a run uses its own pair of DHCP servers and `k` scopes of its own
//! (alternately on the first and the second server), so that operations never contend on
//! the same rows and no server comes near the 31-relationship cap.

use std::net::Ipv4Addr;

use anyhow::Context;
use ipam_model::*;
use ipam_store::{Store, StoreError, StoreOptions};

/// What one CreateDhcpFailover operation needs: two registered servers and its scopes.
#[derive(Debug, Clone)]
pub struct OpData {
    /// Index of the operation in its run (names the relationship).
    pub index: usize,
    /// Server 1 RecordId.
    pub server1: RecordId,
    /// Server 2 RecordId.
    pub server2: RecordId,
    /// The scopes to link, half on each server.
    pub scopes: Vec<RecordId>,
}

impl OpData {
    /// The relationship the operation creates.
    pub fn failover(&self, tag: &str) -> DhcpFailover {
        DhcpFailover {
            relationship_name: Some(format!("bench-{tag}-{}", self.index)),
            server1_record_id: self.server1,
            server2_record_id: self.server2,
            mode: DhcpFailoverMode::LoadBalance,
            server1_percentage: 50,
            mclt: TimeSpan::from_secs(3600),
            state_switch_interval: TimeSpan::from_secs(600),
            auto_state_transition: true,
            shared_secret_enabled: true,
            shared_secret: Some(b"bench-secret".to_vec()),
            server1_state: DhcpFailoverState::Normal,
            server2_state: DhcpFailoverState::Normal,
            server1_name: Some(server_name(tag, self.index, 1)),
            server2_name: Some(server_name(tag, self.index, 2)),
            server1_ip: Some(server_address(self.index, 1)),
            server2_ip: Some(server_address(self.index, 2)),
            ..Default::default()
        }
    }

    /// The InitializeOperationParameters parameters of the operation.
    pub fn parameters(&self, tag: &str) -> IpamOperationWithProgressParameters {
        IpamOperationWithProgressParameters {
            operation_id: Some(IpamAdminOperationId::CreateDhcpFailover),
            derived: DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
                failover: Some(self.failover(tag)),
                scope_ids: Some(self.scopes.clone()),
            }),
        }
    }
}

fn server_name(tag: &str, index: usize, n: u8) -> String {
    format!("bench-{tag}-{index}-{n}.test")
}

fn server_address(index: usize, n: u8) -> Ipv4Addr {
    // 172.16.0.0/12 style numbering; only has to be a valid address.
    let v = 0xAC10_0000u32.wrapping_add((index as u32).wrapping_mul(2) + u32::from(n));
    Ipv4Addr::from(v)
}

/// Scope number `j` of a server: `10.(j/256).(j%256).0/24`.
fn scope(server: RecordId, j: usize) -> NewDhcpScope {
    let j = j as u32 & 0xFFFF;
    let net = 0x0A00_0000u32 | (j << 8);
    NewDhcpScope {
        parent_dhcp_server_record_id: server,
        scope_id: Ipv4Addr::from(net),
        subnet_mask: Ipv4Addr::new(255, 255, 255, 0),
        start_address: Ipv4Addr::from(net | 10),
        end_address: Ipv4Addr::from(net | 200),
        scope_name: format!("bench-net-{j}"),
        description: None,
        status: DhcpScopeStatus::Active,
        lease_duration: NewDhcpScope::DEFAULT_LEASE,
        failover_config_sync_status: DhcpFailoverConfigSyncStatus::Unknown,
    }
}

/// Opens a store for seeding: no fsync per commit (the data only has to exist), no group
/// commit.
pub async fn open_for_seeding(url: &str) -> anyhow::Result<Store> {
    Store::open_with(StoreOptions {
        durable: false,
        group_commit: false,
        ..StoreOptions::new(url)
    })
    .await
    .with_context(|| format!("cannot open the store at {}", ipam_store::redact(url)))
}

/// Registers, for each of `ops` operations, two servers and `k` scopes. Rows are written
/// in a few large transactions.
pub async fn seed(store: &Store, tag: &str, ops: usize, k: usize) -> anyhow::Result<Vec<OpData>> {
    let mut out = Vec::with_capacity(ops);
    // About 20,000 rows per transaction.
    let per_tx = (20_000 / (k + 2)).max(1);
    let mut start = 0;
    while start < ops {
        let end = (start + per_tx).min(ops);
        let tag = tag.to_owned();
        let chunk = store
            .write(move |mut db| {
                Box::pin(async move {
                    let mut chunk = Vec::with_capacity(end - start);
                    for index in start..end {
                        let mut servers = [0; 2];
                        for (n, slot) in servers.iter_mut().enumerate() {
                            let n = n as u8 + 1;
                            *slot = db
                                .insert_server(&NewDhcpServer {
                                    name: server_name(&tag, index, n),
                                    address: server_address(index, n),
                                    description: None,
                                })
                                .await?
                                .record_id;
                        }
                        let mut scopes = Vec::with_capacity(k);
                        for j in 0..k {
                            let server = servers[j % 2];
                            scopes.push(db.insert_scope(&scope(server, j / 2)).await?.record_id);
                        }
                        chunk.push(OpData {
                            index,
                            server1: servers[0],
                            server2: servers[1],
                            scopes,
                        });
                    }
                    Ok::<_, StoreError>(chunk)
                })
            })
            .await
            .context("cannot register the servers and scopes of the run")?;
        out.extend(chunk);
        start = end;
    }
    Ok(out)
}

/// The rows of one operation written straight through the store API: the relation row
/// and its `k` links, in one transaction (what the engine's create writes, without its
/// checks).
pub async fn bare_create(store: &Store, op: &OpData, tag: &str) -> Result<(), StoreError> {
    let failover = op.failover(tag);
    let scopes = op.scopes.clone();
    store
        .write(move |mut db| {
            Box::pin(async move {
                db.insert_failover_with_links(&failover, &scopes).await?;
                Ok::<_, StoreError>(())
            })
        })
        .await
}
