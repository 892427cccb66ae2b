//! How the engine's failures become `IpamException`s (§2.2.2.1), with the most precise
//! `IpamExceptionId` for each cause (docs/spec-decisions.md).

use ipam_model::validate::{FieldViolation, describe};
use ipam_model::{IpamException, IpamExceptionId, RecordId};
use ipam_store::{Entity, StoreError, UniqueConstraint};

/// A failure inside a delegate's transaction: a store error, or rules the request broke.
#[derive(Debug)]
pub(crate) enum OpError {
    Store(StoreError),
    Rejected(Vec<Violation>),
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Store(e)
    }
}

/// One rule a request breaks against the stored data.
#[derive(Debug, Clone)]
pub(crate) enum Violation {
    /// A server reference names no registered server.
    ServerNotFound { field: &'static str, id: RecordId },
    /// Scope RecordIds with no row.
    ScopesNotFound(Vec<RecordId>),
    /// The relationship named by RecordId does not exist.
    FailoverNotFound(RecordId),
    /// (RelationshipName, Server1RecordId, Server2RecordId) is taken.
    DuplicateRelationship {
        name: String,
        server1: RecordId,
        server2: RecordId,
        existing: RecordId,
    },
    /// The scope is already linked to another relationship.
    ScopeInOtherRelationship {
        scope: RecordId,
        subnet: String,
        relation: RecordId,
        relation_name: String,
    },
    /// The scope belongs to a server that is not a partner of the relationship.
    ScopeNotOnPartners {
        scope: RecordId,
        subnet: String,
        server: RecordId,
        server1: RecordId,
        server2: RecordId,
    },
    /// A server already has the most relationships a DHCP server allows.
    ServerRelationshipLimit {
        server: RecordId,
        name: String,
        count: i64,
    },
    /// A scope is not in the relationship it is being removed from.
    ScopeNotInRelationship {
        scope: RecordId,
        relation: Option<RecordId>,
    },
    /// Field rules.
    Invalid(Vec<FieldViolation>),
}

impl Violation {
    fn id(&self) -> IpamExceptionId {
        use IpamExceptionId as X;
        match self {
            Violation::ServerNotFound { .. } => X::IpamApiServerNotFoundInDB,
            Violation::ScopesNotFound(_) => X::IpamApiDhcpScopeNotFoundInDB,
            Violation::FailoverNotFound(_) => X::IpamApiObjectNotFoundInDatabase,
            Violation::DuplicateRelationship { .. }
            | Violation::ScopeInOtherRelationship { .. } => X::IpamApiFailedWithUniqueKeyViolation,
            Violation::ScopeNotOnPartners { .. } => X::IpamApiDhcpScopesNotPartOfSameServer,
            Violation::ServerRelationshipLimit { .. } => X::IpamApiOperationNotAllowed,
            Violation::ScopeNotInRelationship { .. } | Violation::Invalid(_) => {
                X::IpamApiInvalidParameter
            }
        }
    }

    fn message(&self) -> String {
        match self {
            Violation::ServerNotFound { field, id } => {
                format!("{field} {id} names no DHCP server in the IPAM database")
            }
            Violation::ScopesNotFound(ids) => format!(
                "ScopeIds {} name no DHCP scope in the IPAM database",
                ids.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Violation::FailoverNotFound(id) => {
                format!("DHCP failover relationship {id} does not exist in the IPAM database")
            }
            Violation::DuplicateRelationship {
                name,
                server1,
                server2,
                existing,
            } => format!(
                "a failover relationship named '{name}' between servers {server1} and {server2} already exists (RecordId {existing})"
            ),
            Violation::ScopeInOtherRelationship {
                scope,
                subnet,
                relation,
                relation_name,
            } => format!(
                "scope {scope} ({subnet}) is already in failover relationship '{relation_name}' (RecordId {relation})"
            ),
            Violation::ScopeNotOnPartners {
                scope,
                subnet,
                server,
                server1,
                server2,
            } => format!(
                "scope {scope} ({subnet}) belongs to DHCP server {server}, which is neither partner ({server1}, {server2}) of the relationship"
            ),
            Violation::ServerRelationshipLimit {
                server,
                name,
                count,
            } => format!(
                "DHCP server {server} ({name}) is already in {count} failover relationships, the most a DHCP server allows ({})",
                crate::MAX_RELATIONSHIPS_PER_SERVER
            ),
            Violation::ScopeNotInRelationship {
                scope,
                relation: Some(r),
            } => {
                format!("scope {scope} is not in failover relationship {r}")
            }
            Violation::ScopeNotInRelationship {
                scope,
                relation: None,
            } => {
                format!("scope {scope} is in no failover relationship")
            }
            Violation::Invalid(v) => describe(v),
        }
    }
}

/// All violations as one exception: the first kind's id on top, the message listing every
/// violation, the other kinds chained as inner exceptions (each with its own id).
pub(crate) fn rejected(violations: &[Violation]) -> IpamException {
    let mut kinds: Vec<(IpamExceptionId, Vec<String>)> = Vec::new();
    for v in violations {
        let id = v.id();
        match kinds.iter_mut().find(|(k, _)| *k == id) {
            Some((_, msgs)) => msgs.push(v.message()),
            None => kinds.push((id, vec![v.message()])),
        }
    }
    let all = violations
        .iter()
        .map(Violation::message)
        .collect::<Vec<_>>()
        .join("; ");
    let mut chain: Option<IpamException> = None;
    for (id, msgs) in kinds.iter().skip(1).rev() {
        let mut e = IpamException::new(*id, msgs.join("; "));
        if let Some(inner) = chain.take() {
            e = e.with_inner(inner);
        }
        chain = Some(e);
    }
    let top = kinds
        .first()
        .map(|(id, _)| *id)
        .unwrap_or(IpamExceptionId::IpamApiInvalidParameter);
    let mut e = IpamException::new(top, all);
    if let Some(inner) = chain {
        e = e.with_inner(inner);
    }
    e
}

/// A store failure during an operation whose database-level failure id is `context`.
pub(crate) fn store_fault(context: IpamExceptionId, what: &str, e: StoreError) -> IpamException {
    let inner = match &e {
        StoreError::UniqueViolation {
            constraint:
                UniqueConstraint::FailoverRelation | UniqueConstraint::ScopeInOneRelationship,
            ..
        } => {
            // Lost a race with a concurrent operation: the precise id goes on top.
            return IpamException::new(
                IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
                format!("{what}: {e}"),
            );
        }
        StoreError::NotFound {
            entity: Entity::DhcpFailover,
            record_id,
        } => {
            return rejected(&[Violation::FailoverNotFound(*record_id)]);
        }
        StoreError::Invalid(v) => return rejected(&[Violation::Invalid(v.clone())]),
        StoreError::UniqueViolation { .. } => IpamException::new(
            IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
            e.to_string(),
        ),
        StoreError::NotFound { .. } => IpamException::new(
            IpamExceptionId::IpamApiObjectNotFoundInDatabase,
            e.to_string(),
        ),
        StoreError::ForeignKeyViolation { .. } | StoreError::StillReferenced { .. } => {
            IpamException::new(
                IpamExceptionId::IpamApiObjectNotFoundInDatabase,
                e.to_string(),
            )
        }
        StoreError::Database(_) | StoreError::Config(_) | StoreError::CommitFailed(_) => {
            IpamException::new(IpamExceptionId::IpamApiGenericDatabaseError, e.to_string())
        }
    };
    IpamException::new(
        context,
        format!("{what}: the IPAM database was not changed"),
    )
    .with_inner(inner)
}

/// Maps an [`OpError`] to the exception the client sees.
pub(crate) fn op_fault(context: IpamExceptionId, what: &str, e: OpError) -> IpamException {
    match e {
        OpError::Rejected(v) => rejected(&v),
        OpError::Store(e) => store_fault(context, what, e),
    }
}

/// `IpamApiInvalidParameter` naming the parameter.
pub(crate) fn invalid(message: impl Into<String>) -> IpamException {
    IpamException::invalid_parameter(message)
}
