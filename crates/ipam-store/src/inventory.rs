//! Bulk import of DHCP servers and their scopes from an inventory file (JSON).
//!
//! The format (see `examples/inventory.json`):
//!
//! ```json
//! { "servers": [ { "name": "dhcp1.corp.example", "address": "10.0.0.1",
//!     "scopes": [ { "scope_id": "10.1.0.0", "subnet_mask": "255.255.255.0",
//!                   "start_address": "10.1.0.10", "end_address": "10.1.0.200",
//!                   "scope_name": "HQ clients" } ] } ] }
//! ```
//!
//! The import is one transaction: every row is added, or none is. A server whose name is
//! already registered is reused (its address must match); a scope whose subnet the server
//! already has is left as it is. Both are counted in the report.

use std::net::Ipv4Addr;
use std::sync::Arc;

use ipam_model::validate::{FieldViolation, validate_new_scope, validate_new_server};
use ipam_model::{
    DhcpFailoverConfigSyncStatus, DhcpScopeStatus, NewDhcpScope, NewDhcpServer, TimeSpan,
};
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// An inventory file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// The DHCP servers, each with its scopes.
    pub servers: Vec<InventoryServer>,
}

/// One server of an inventory.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryServer {
    /// DNS name.
    pub name: String,
    /// IPv4 address.
    pub address: Ipv4Addr,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The server's IPv4 scopes.
    #[serde(default)]
    pub scopes: Vec<InventoryScope>,
}

/// One scope of an inventory server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryScope {
    /// Subnet address.
    pub scope_id: Ipv4Addr,
    /// Netmask.
    pub subnet_mask: Ipv4Addr,
    /// First address handed out.
    pub start_address: Ipv4Addr,
    /// Last address handed out.
    pub end_address: Ipv4Addr,
    /// Name.
    pub scope_name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// `Active` (default) or `Inactive`.
    #[serde(default)]
    pub status: DhcpScopeStatus,
    /// Lease duration as `ser:duration` (default `P8D`).
    #[serde(default)]
    pub lease_duration: Option<TimeSpan>,
}

/// Why an inventory cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// Not JSON, or not the inventory format; names line and column.
    #[error("the inventory is not valid: {0}")]
    Syntax(String),
    /// Field values break the rules; each message starts with the item's path.
    #[error("the inventory has {} error(s): {}", .0.len(), .0.join("; "))]
    Invalid(Vec<String>),
    /// The store refused it.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Servers added.
    pub servers_created: u64,
    /// Servers already registered (by name).
    pub servers_existing: u64,
    /// Scopes added.
    pub scopes_created: u64,
    /// Scopes already present (same server and subnet).
    pub scopes_existing: u64,
}

/// Progress of an import: items done out of items in the file.
pub type ImportProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

impl Inventory {
    /// Parses inventory JSON, naming the line and column of a syntax error.
    pub fn from_json(text: &str) -> Result<Inventory, InventoryError> {
        serde_json::from_str(text).map_err(|e| InventoryError::Syntax(e.to_string()))
    }

    /// Number of servers plus scopes.
    pub fn items(&self) -> u64 {
        self.servers.iter().map(|s| 1 + s.scopes.len() as u64).sum()
    }

    fn scope_of(scope: &InventoryScope, server: i64) -> NewDhcpScope {
        NewDhcpScope {
            parent_dhcp_server_record_id: server,
            scope_id: scope.scope_id,
            subnet_mask: scope.subnet_mask,
            start_address: scope.start_address,
            end_address: scope.end_address,
            scope_name: scope.scope_name.clone(),
            description: scope.description.clone(),
            status: scope.status,
            lease_duration: scope.lease_duration.unwrap_or(NewDhcpScope::DEFAULT_LEASE),
            failover_config_sync_status: DhcpFailoverConfigSyncStatus::Unknown,
        }
    }

    /// Every rule violation, each prefixed by its path (`servers[1].scopes[0].EndAddress …`).
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        let fmt = |path: String, v: &[FieldViolation]| {
            v.iter()
                .map(move |v| format!("{path}.{v}"))
                .collect::<Vec<_>>()
        };
        let mut names = std::collections::HashSet::new();
        for (i, s) in self.servers.iter().enumerate() {
            let server = NewDhcpServer {
                name: s.name.clone(),
                address: s.address,
                description: s.description.clone(),
            };
            out.extend(fmt(format!("servers[{i}]"), &validate_new_server(&server)));
            if !names.insert(s.name.trim().to_lowercase()) {
                out.push(format!(
                    "servers[{i}].name '{}' appears twice in the inventory",
                    s.name
                ));
            }
            let mut subnets = std::collections::HashSet::new();
            for (j, sc) in s.scopes.iter().enumerate() {
                // The parent id is assigned later; any positive placeholder passes its check.
                out.extend(fmt(
                    format!("servers[{i}].scopes[{j}]"),
                    &validate_new_scope(&Self::scope_of(sc, 1)),
                ));
                if !subnets.insert(sc.scope_id) {
                    out.push(format!(
                        "servers[{i}].scopes[{j}].ScopeId '{}' appears twice for this server",
                        sc.scope_id
                    ));
                }
            }
        }
        out
    }
}

impl Store {
    /// Imports an inventory in one transaction. `progress` is called after each item.
    pub async fn import(
        &self,
        inv: Inventory,
        progress: Option<ImportProgress>,
    ) -> Result<ImportReport, InventoryError> {
        let errors = inv.validate();
        if !errors.is_empty() {
            return Err(InventoryError::Invalid(errors));
        }
        let total = inv.items();
        self.write(move |mut db| {
            Box::pin(async move {
                let mut report = ImportReport::default();
                let mut done = 0;
                let tick = |done: &mut u64| {
                    *done += 1;
                    if let Some(p) = &progress {
                        p(*done, total);
                    }
                };
                for (i, s) in inv.servers.iter().enumerate() {
                    let server = match db.find_server_by_name(&s.name).await? {
                        Some(existing) if existing.address != s.address => {
                            return Err(InventoryError::Invalid(vec![format!(
                                "servers[{i}].address '{}' differs from the address {} registered for '{}'",
                                s.address, existing.address, existing.name
                            )]));
                        }
                        Some(existing) => {
                            report.servers_existing += 1;
                            existing
                        }
                        None => {
                            report.servers_created += 1;
                            db.insert_server(&NewDhcpServer {
                                name: s.name.clone(),
                                address: s.address,
                                description: s.description.clone(),
                            })
                            .await?
                        }
                    };
                    tick(&mut done);
                    for sc in &s.scopes {
                        if db.find_scope_by_subnet(server.record_id, sc.scope_id).await?.is_some() {
                            report.scopes_existing += 1;
                        } else {
                            db.insert_scope(&Inventory::scope_of(sc, server.record_id)).await?;
                            report.scopes_created += 1;
                        }
                        tick(&mut done);
                    }
                }
                Ok(report)
            })
        })
        .await
    }
}
