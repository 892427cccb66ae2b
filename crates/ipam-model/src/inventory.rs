//! The inventory file format: DHCP servers and their scopes, as `ipamd import` and
//! `ipamctl import` read it (JSON; see `examples/inventory.json`).
//!
//! ```json
//! { "servers": [ { "name": "dhcp1.corp.example", "address": "10.0.0.1",
//!     "scopes": [ { "scope_id": "10.1.0.0", "subnet_mask": "255.255.255.0",
//!                   "start_address": "10.1.0.10", "end_address": "10.1.0.200",
//!                   "scope_name": "HQ clients" } ] } ] }
//! ```

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::validate::{FieldViolation, validate_new_scope, validate_new_server};
use crate::{
    DhcpFailoverConfigSyncStatus, DhcpScopeStatus, NewDhcpScope, NewDhcpServer, RecordId, TimeSpan,
};

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

impl Inventory {
    /// Number of servers plus scopes.
    pub fn items(&self) -> u64 {
        self.servers.iter().map(|s| 1 + s.scopes.len() as u64).sum()
    }

    /// The scope to register on `server`.
    pub fn scope_of(scope: &InventoryScope, server: RecordId) -> NewDhcpScope {
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
