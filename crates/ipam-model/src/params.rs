//! `IpamOperationWithProgressParameters` (§2.2.4.286) and the failover types derived from it
//! (§2.2.4.107, .109, .110, .112, .351, .352, .355, .359).

use crate::dhcp::{DhcpFailover, DhcpScopeV4, DhcpServerV4, RecordId};
use crate::enums::IpamAdminOperationId;

/// The parameter of `InitializeOperationParameters` (the `paramters` element, §3.19.4.3).
///
/// `operation_id` is the base type's `OperationId`; `derived` is the concrete type named by
/// `xsi:type`.
#[derive(Debug, Clone, PartialEq)]
pub struct IpamOperationWithProgressParameters {
    /// `OperationId` (§2.2.5.63). `None` when absent or nil.
    pub operation_id: Option<IpamAdminOperationId>,
    /// The concrete (derived) parameter type and its members.
    pub derived: DerivedParameters,
}

/// The concrete type of an [`IpamOperationWithProgressParameters`].
#[derive(Debug, Clone, PartialEq)]
pub enum DerivedParameters {
    /// `DhcpFailoverWithScopesParameters` (§2.2.4.112): CreateDhcpFailover, AddDhcpFailoverScopes.
    DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters),
    /// `DhcpFailoverParameters` (§2.2.4.109): EditDhcpFailover.
    DhcpFailover(DhcpFailoverParameters),
    /// `DhcpFailoverRemoveScopesParameters` (§2.2.4.110): RemoveDhcpFailoverScopes.
    DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters),
    /// `DhcpFailoverDeleteParameters` (§2.2.4.107): DeleteDhcpFailover.
    DhcpFailoverDelete(DhcpFailoverDeleteParameters),
    /// `ResetConfigSyncStatusParameters` (§2.2.4.359).
    ResetConfigSyncStatus(ScopesParameters),
    /// `ReplicateScopeParameters` (§2.2.4.352).
    ReplicateScope(ScopesParameters),
    /// `ReplicateRelationParameters` (§2.2.4.351).
    ReplicateRelation(ReplicateRelationParameters),
    /// `ReplicateServerParameters` (§2.2.4.355).
    ReplicateServer(ReplicateServerParameters),
    /// Any other type of the schema derived from `IpamOperationWithProgressParameters`
    /// (or the base type itself), by its XSD name. Its members are not read.
    Other(String),
}

impl DerivedParameters {
    /// The XSD name of the concrete type.
    pub fn type_name(&self) -> &str {
        match self {
            Self::DhcpFailoverWithScopes(_) => "DhcpFailoverWithScopesParameters",
            Self::DhcpFailover(_) => "DhcpFailoverParameters",
            Self::DhcpFailoverRemoveScopes(_) => "DhcpFailoverRemoveScopesParameters",
            Self::DhcpFailoverDelete(_) => "DhcpFailoverDeleteParameters",
            Self::ResetConfigSyncStatus(_) => "ResetConfigSyncStatusParameters",
            Self::ReplicateScope(_) => "ReplicateScopeParameters",
            Self::ReplicateRelation(_) => "ReplicateRelationParameters",
            Self::ReplicateServer(_) => "ReplicateServerParameters",
            Self::Other(name) => name,
        }
    }
}

/// `DhcpFailoverWithScopesParameters` (§2.2.4.112).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpFailoverWithScopesParameters {
    /// `Failover` (nillable).
    pub failover: Option<DhcpFailover>,
    /// `ScopeIds`: `RecordId`s of `ADM_DHCPScopesTable` rows (nillable).
    pub scope_ids: Option<Vec<RecordId>>,
}

/// `DhcpFailoverParameters` (§2.2.4.109).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpFailoverParameters {
    /// `Failover` (nillable).
    pub failover: Option<DhcpFailover>,
}

/// `DhcpFailoverRemoveScopesParameters` (§2.2.4.110). The type has no `Failover` member;
/// ipamd reads the relationship from the links (see docs/spec-decisions.md, §3.19.4.4.1.26).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpFailoverRemoveScopesParameters {
    /// `Force`: continue even if the partner scope cannot be changed.
    pub force: bool,
    /// `ScopeIds` (nillable).
    pub scope_ids: Option<Vec<RecordId>>,
}

/// `DhcpFailoverDeleteParameters` (§2.2.4.107).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DhcpFailoverDeleteParameters {
    /// `Failover` (nillable).
    pub failover: Option<DhcpFailover>,
    /// `Force`: continue even if the partner server cannot be changed.
    pub force: bool,
}

/// `ResetConfigSyncStatusParameters` (§2.2.4.359) and `ReplicateScopeParameters`
/// (§2.2.4.352): both carry `Scopes : ArrayOfDhcpScope`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopesParameters {
    /// `Scopes` (nillable); items may be nil.
    pub scopes: Option<Vec<Option<DhcpScopeV4>>>,
}

/// `ReplicateRelationParameters` (§2.2.4.351).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplicateRelationParameters {
    /// `FailoverRelation` (nillable); the delegate text calls it `.relation`.
    pub failover_relation: Option<DhcpFailover>,
}

/// `ReplicateServerParameters` (§2.2.4.355).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplicateServerParameters {
    /// `Server` (nillable); the delegate text calls it `.server`.
    pub server: Option<DhcpServerV4>,
}
