//! DHCP servers, scopes and failover relationships ([MS-IPAMM2] §2.2.4.104, .141, .151, .155, .159).
//!
//! Only the members the failover slice reads or stores are modelled; the rest of the
//! DataContract (options, classes, lease counters, …) is outside this product's scope.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::enums::*;
use crate::timespan::TimeSpan;

/// The data-store id of a row (`RecordId`, 64-bit signed, assigned by the store).
pub type RecordId = i64;

/// A DHCPv4 server known to IPAM: `DhcpServerV4` (§2.2.4.159) as stored in
/// `ADM_DHCPServersTable` (§3.1.1.1.17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhcpServerV4 {
    /// `RecordId`.
    pub record_id: RecordId,
    /// The server's DNS name (the FQDN IPAM knows it by, `ServerRoleInfo`'s server name).
    pub name: String,
    /// The server's IPv4 address.
    pub address: Ipv4Addr,
    /// Free text.
    pub description: Option<String>,
}

/// What it takes to register a DHCP server: a [`DhcpServerV4`] without its `RecordId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDhcpServer {
    /// The server's DNS name.
    pub name: String,
    /// The server's IPv4 address.
    pub address: Ipv4Addr,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// An IPv4 scope: `DhcpScopeV4` (§2.2.4.151, extending `DhcpScope` §2.2.4.141) as stored in
/// `ADM_DHCPScopesTable` (§3.1.1.1.13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhcpScopeV4 {
    /// `RecordId`: the value clients put in `ScopeIds`.
    pub record_id: RecordId,
    /// `ParentDhcpServerRecordId` (the table's `DHCPServerRecordId`).
    pub parent_dhcp_server_record_id: RecordId,
    /// `ScopeId`: the subnet address.
    pub scope_id: Ipv4Addr,
    /// `SubnetMask`.
    pub subnet_mask: Ipv4Addr,
    /// `StartAddress`.
    pub start_address: Ipv4Addr,
    /// `EndAddress`.
    pub end_address: Ipv4Addr,
    /// `ScopeName`.
    pub scope_name: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Status`.
    pub status: DhcpScopeStatus,
    /// `LeaseDuration`.
    pub lease_duration: TimeSpan,
    /// `FailoverConfigSyncStatus` (§2.2.5.16).
    pub failover_config_sync_status: DhcpFailoverConfigSyncStatus,
    /// `FailoverRelationshipName`: derived on read from the link table; `None` when the
    /// scope is in no relationship.
    pub failover_relationship_name: Option<String>,
}

impl DhcpScopeV4 {
    /// The scope's stored fields without its ids of record, e.g. to validate an update.
    pub fn to_new(&self) -> NewDhcpScope {
        NewDhcpScope {
            parent_dhcp_server_record_id: self.parent_dhcp_server_record_id,
            scope_id: self.scope_id,
            subnet_mask: self.subnet_mask,
            start_address: self.start_address,
            end_address: self.end_address,
            scope_name: self.scope_name.clone(),
            description: self.description.clone(),
            status: self.status,
            lease_duration: self.lease_duration,
            failover_config_sync_status: self.failover_config_sync_status,
        }
    }

    /// `PrefixLength`, derived from the mask.
    pub fn prefix_length(&self) -> u32 {
        u32::from(self.subnet_mask).leading_ones()
    }
}

/// What it takes to register a scope: a [`DhcpScopeV4`] without the store-owned fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDhcpScope {
    /// `ParentDhcpServerRecordId`.
    pub parent_dhcp_server_record_id: RecordId,
    /// `ScopeId`: the subnet address.
    pub scope_id: Ipv4Addr,
    /// `SubnetMask`.
    pub subnet_mask: Ipv4Addr,
    /// `StartAddress`.
    pub start_address: Ipv4Addr,
    /// `EndAddress`.
    pub end_address: Ipv4Addr,
    /// `ScopeName`.
    pub scope_name: String,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `Status` (default `Active`).
    #[serde(default)]
    pub status: DhcpScopeStatus,
    /// `LeaseDuration` (default eight days, the Windows DHCP default).
    #[serde(default = "NewDhcpScope::default_lease")]
    pub lease_duration: TimeSpan,
    /// `FailoverConfigSyncStatus` (default `Unknown`).
    #[serde(default)]
    pub failover_config_sync_status: DhcpFailoverConfigSyncStatus,
}

impl NewDhcpScope {
    /// The lease duration of a scope that names none: eight days, the Windows DHCP default.
    pub const DEFAULT_LEASE: TimeSpan = TimeSpan(8 * 24 * 3600 * crate::timespan::TICKS_PER_SECOND);

    fn default_lease() -> TimeSpan {
        Self::DEFAULT_LEASE
    }

    /// The new scope as it will read back once the store assigned `record_id`.
    pub fn into_scope(self, record_id: RecordId) -> DhcpScopeV4 {
        DhcpScopeV4 {
            record_id,
            parent_dhcp_server_record_id: self.parent_dhcp_server_record_id,
            scope_id: self.scope_id,
            subnet_mask: self.subnet_mask,
            start_address: self.start_address,
            end_address: self.end_address,
            scope_name: self.scope_name,
            description: self.description,
            status: self.status,
            lease_duration: self.lease_duration,
            failover_config_sync_status: self.failover_config_sync_status,
            failover_relationship_name: None,
        }
    }
}

/// A DHCP failover relationship: `DhcpFailover` (§2.2.4.104), every member, in XSD order
/// after the `BaseIpamObject` members.
///
/// Value-typed members absent on the wire take their DataContract defaults; nillable
/// members are `Option`s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DhcpFailover {
    /// `BaseIpamObject.ModifiedProperties` (§2.2.4.64): names of the members the client changed.
    pub modified_properties: Option<Vec<String>>,
    /// `BaseIpamObject.SetProperties`: names of the members whose setter ran.
    pub set_properties: Option<Vec<String>>,
    /// `AutoStateTransition`: move from COMM-INTR to PARTNER-DOWN automatically.
    pub auto_state_transition: bool,
    /// `MCLT`: maximum client lead time.
    pub mclt: TimeSpan,
    /// `Mode`.
    pub mode: DhcpFailoverMode,
    /// `OperationTracker` (not stored, §3.1.1.1.44.1).
    pub operation_tracker: Option<Vec<DhcpFailoverOperations>>,
    /// `RecordId`.
    pub record_id: RecordId,
    /// `RelationshipName` (at most 256 characters).
    pub relationship_name: Option<String>,
    /// `Server1IP`.
    pub server1_ip: Option<Ipv4Addr>,
    /// `Server1Name`.
    pub server1_name: Option<String>,
    /// `Server1PSName`.
    pub server1_ps_name: Option<String>,
    /// `Server1Percentage`: the primary's share of the addresses (load balance).
    pub server1_percentage: u32,
    /// `Server1RecordId`.
    pub server1_record_id: RecordId,
    /// `Server1State`.
    pub server1_state: DhcpFailoverState,
    /// `Server2IP`.
    pub server2_ip: Option<Ipv4Addr>,
    /// `Server2Name`.
    pub server2_name: Option<String>,
    /// `Server2PSName`.
    pub server2_ps_name: Option<String>,
    /// `Server2RecordId`.
    pub server2_record_id: RecordId,
    /// `Server2State`.
    pub server2_state: DhcpFailoverState,
    /// `ServerOwner` (not stored).
    pub server_owner: DhcpFailoverOperationOwner,
    /// `SharedSecret` (bytes; never echoed by the JSON API).
    pub shared_secret: Option<Vec<u8>>,
    /// `SharedSecretEnabled`.
    pub shared_secret_enabled: bool,
    /// `StateSwitchInterval`.
    pub state_switch_interval: TimeSpan,
}

/// The `DhcpFailover` members an `EditDhcpFailover` may name in `ModifiedProperties`
/// (§3.19.4.4.1.24): the stored `FailoverDetails` columns plus the name.
pub const DHCP_FAILOVER_EDITABLE_PROPERTIES: &[&str] = &[
    "AutoStateTransition",
    "MCLT",
    "Mode",
    "RelationshipName",
    "Server1IP",
    "Server1Name",
    "Server1PSName",
    "Server1Percentage",
    "Server1State",
    "Server2IP",
    "Server2Name",
    "Server2PSName",
    "Server2State",
    "SharedSecret",
    "SharedSecretEnabled",
    "StateSwitchInterval",
];

impl DhcpFailover {
    /// Copies the member named `property` (its XSD name) from `from` into `self`.
    /// Returns false when the name is not an editable member.
    pub fn copy_property(&mut self, from: &DhcpFailover, property: &str) -> bool {
        match property {
            "AutoStateTransition" => self.auto_state_transition = from.auto_state_transition,
            "MCLT" => self.mclt = from.mclt,
            "Mode" => self.mode = from.mode,
            "RelationshipName" => self.relationship_name = from.relationship_name.clone(),
            "Server1IP" => self.server1_ip = from.server1_ip,
            "Server1Name" => self.server1_name = from.server1_name.clone(),
            "Server1PSName" => self.server1_ps_name = from.server1_ps_name.clone(),
            "Server1Percentage" => self.server1_percentage = from.server1_percentage,
            "Server1State" => self.server1_state = from.server1_state,
            "Server2IP" => self.server2_ip = from.server2_ip,
            "Server2Name" => self.server2_name = from.server2_name.clone(),
            "Server2PSName" => self.server2_ps_name = from.server2_ps_name.clone(),
            "Server2State" => self.server2_state = from.server2_state,
            "SharedSecret" => self.shared_secret = from.shared_secret.clone(),
            "SharedSecretEnabled" => self.shared_secret_enabled = from.shared_secret_enabled,
            "StateSwitchInterval" => self.state_switch_interval = from.state_switch_interval,
            _ => return false,
        }
        true
    }
}
