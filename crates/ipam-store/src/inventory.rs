//! Bulk import of DHCP servers and their scopes from an inventory file (the format is
//! [`ipam_model::inventory`]).
//!
//! The import is one transaction: every row is added, or none is. A server whose name is
//! already registered is reused (its address must match); a scope whose subnet the server
//! already has is left as it is. Both are counted in the report.

use std::sync::Arc;

use ipam_model::NewDhcpServer;
pub use ipam_model::inventory::{Inventory, InventoryScope, InventoryServer};
use serde::Serialize;

use crate::{Store, StoreError};

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

/// Parses inventory JSON, naming the line and column of a syntax error.
pub fn parse(text: &str) -> Result<Inventory, InventoryError> {
    serde_json::from_str(text).map_err(|e| InventoryError::Syntax(e.to_string()))
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
