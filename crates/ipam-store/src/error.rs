//! Typed store errors: every constraint of the schema comes back as a variant, not a string.

use std::fmt;

use ipam_model::RecordId;
use ipam_model::validate::FieldViolation;

/// The tables of the abstract data model (§3.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// `ADM_DHCPServersTable` (§3.1.1.1.17).
    DhcpServer,
    /// `ADM_DHCPScopesTable` (§3.1.1.1.13).
    DhcpScope,
    /// `ADM_DhcpFailoverRelationTable` (§3.1.1.1.44).
    DhcpFailover,
    /// `ADM_DhcpScopeFailoverTable` (§3.1.1.1.45).
    DhcpScopeFailover,
}

impl Entity {
    /// The spec's table name.
    pub fn table(self) -> &'static str {
        match self {
            Entity::DhcpServer => "ADM_DHCPServersTable",
            Entity::DhcpScope => "ADM_DHCPScopesTable",
            Entity::DhcpFailover => "ADM_DhcpFailoverRelationTable",
            Entity::DhcpScopeFailover => "ADM_DhcpScopeFailoverTable",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::DhcpServer => "DHCP server",
            Entity::DhcpScope => "DHCP scope",
            Entity::DhcpFailover => "DHCP failover relationship",
            Entity::DhcpScopeFailover => "scope failover link",
        })
    }
}

/// The uniqueness constraints of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UniqueConstraint {
    /// (RelationshipName, Server1RecordId, Server2RecordId) of `ADM_DhcpFailoverRelationTable`.
    FailoverRelation,
    /// A scope is linked to at most one relationship.
    ScopeInOneRelationship,
    /// DHCP server names are unique (case-insensitive).
    ServerName,
    /// A server has at most one scope per subnet.
    ScopeSubnet,
    /// A unique constraint the store does not know by name.
    Other,
}

impl UniqueConstraint {
    fn from_name(name: &str) -> Self {
        if name.contains("uq_dhcp_failover_relation") {
            Self::FailoverRelation
        } else if name.contains("uq_dhcp_scope_failover_scope")
            || name.contains("adm_dhcp_scope_failovers.scope_id")
        {
            Self::ScopeInOneRelationship
        } else if name.contains("uq_dhcp_server_name") {
            Self::ServerName
        } else if name.contains("uq_dhcp_scope_subnet")
            || name.contains("adm_dhcp_scopes.dhcp_server_record_id, adm_dhcp_scopes.scope_id")
        {
            Self::ScopeSubnet
        } else {
            Self::Other
        }
    }
}

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row with that RecordId.
    #[error("{entity} {record_id} does not exist")]
    NotFound {
        /// The table looked in.
        entity: Entity,
        /// The id looked for.
        record_id: RecordId,
    },
    /// A unique constraint rejected the row.
    #[error("{}", unique_message(*.constraint, .detail))]
    UniqueViolation {
        /// Which constraint.
        constraint: UniqueConstraint,
        /// The conflicting values, for people.
        detail: String,
    },
    /// A row is still referenced by a foreign key with "no action" (§3.1.1.1).
    #[error("{entity} {record_id} is still referenced by {referenced_by} {}; delete those first",
        .referencing_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    StillReferenced {
        /// The row that cannot go.
        entity: Entity,
        /// Its id.
        record_id: RecordId,
        /// The table holding references.
        referenced_by: Entity,
        /// The referencing rows.
        referencing_ids: Vec<RecordId>,
    },
    /// A foreign key names a row that does not exist.
    #[error("a referenced row does not exist: {detail}")]
    ForeignKeyViolation {
        /// The database's words.
        detail: String,
    },
    /// Field values break the rules of the model.
    #[error("{}", ipam_model::validate::describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// The database could not be reached or failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The commit of the transaction holding this write failed: nothing of it is stored.
    #[error("the change was not committed: {0}")]
    CommitFailed(String),
    /// The store was asked for something it cannot do (bad URL, failed migration …).
    #[error("{0}")]
    Config(String),
}

fn unique_message(c: UniqueConstraint, detail: &str) -> String {
    match c {
        UniqueConstraint::FailoverRelation => {
            format!(
                "a failover relationship with the same name and servers already exists ({detail})"
            )
        }
        UniqueConstraint::ScopeInOneRelationship => {
            format!("the scope is already in a failover relationship ({detail})")
        }
        UniqueConstraint::ServerName => {
            format!("a DHCP server with that name already exists ({detail})")
        }
        UniqueConstraint::ScopeSubnet => {
            format!("the server already has a scope for that subnet ({detail})")
        }
        UniqueConstraint::Other => format!("the row conflicts with an existing row ({detail})"),
    }
}

impl StoreError {
    /// Classifies a database error by the constraint that raised it.
    pub(crate) fn classify(err: sqlx::Error, detail: impl FnOnce() -> String) -> Self {
        if is_conflict(&err) {
            crate::group::note_conflict();
        }
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let name = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                return StoreError::UniqueViolation {
                    constraint: UniqueConstraint::from_name(&name),
                    detail: detail(),
                };
            }
            if db.is_foreign_key_violation() {
                return StoreError::ForeignKeyViolation { detail: detail() };
            }
            if db.is_check_violation() {
                return StoreError::Invalid(vec![FieldViolation::new(
                    "row",
                    detail(),
                    db.message().to_owned(),
                )]);
            }
        }
        StoreError::Database(err)
    }

    /// True when retrying the same change later may succeed (lost connection, busy database,
    /// a conflict with another transaction).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::CommitFailed(_) => true,
            StoreError::Database(e) => {
                is_conflict(e)
                    || matches!(
                        e,
                        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
                    )
            }
            _ => false,
        }
    }
}

/// A statement failed on a conflict with another transaction: PostgreSQL chose it to break
/// a deadlock (SQLSTATE `40P01`) or a serialization conflict (`40001`), or it waited for a
/// lock longer than its `lock_timeout` (`55P03`, what a group-commit lane other than the
/// first allows). Run again, the same change may succeed.
fn is_conflict(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("40P01" | "40001" | "55P03"))
        }
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::classify(err, String::new)
    }
}
