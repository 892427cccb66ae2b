//! The JSON shapes of the API: snake_case, addresses as dotted strings, durations as
//! ISO 8601 strings, unknown fields rejected.

use std::net::Ipv4Addr;

use ipam_model::*;
use serde::{Deserialize, Deserializer, Serialize};

/// A registered DHCP server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Server {
    /// RecordId.
    pub record_id: RecordId,
    /// DNS name.
    pub name: String,
    /// IPv4 address.
    pub address: Ipv4Addr,
    /// Free text.
    pub description: Option<String>,
}

impl From<DhcpServerV4> for Server {
    fn from(s: DhcpServerV4) -> Self {
        Server {
            record_id: s.record_id,
            name: s.name,
            address: s.address,
            description: s.description,
        }
    }
}

/// Body of `POST /api/v1/dhcp-servers`: the model's own shape (`name`, `address`,
/// optional `description`; unknown fields rejected).
pub type NewServer = NewDhcpServer;

/// A DHCPv4 scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scope {
    /// RecordId (what `scope_ids` lists).
    pub record_id: RecordId,
    /// The server it lives on.
    pub server_record_id: RecordId,
    /// Subnet address.
    pub scope_id: Ipv4Addr,
    /// Netmask.
    pub subnet_mask: Ipv4Addr,
    /// First address handed out.
    pub start_address: Ipv4Addr,
    /// Last address handed out.
    pub end_address: Ipv4Addr,
    /// Scope name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// `Active` or `Inactive`.
    pub status: DhcpScopeStatus,
    /// Lease duration (ISO 8601).
    pub lease_duration: TimeSpan,
    /// `Unknown`, `InSync` or `OutOfSync`.
    pub failover_config_sync_status: DhcpFailoverConfigSyncStatus,
    /// The relationship the scope is in, if any.
    pub failover_relationship_name: Option<String>,
}

impl From<DhcpScopeV4> for Scope {
    fn from(s: DhcpScopeV4) -> Self {
        Scope {
            record_id: s.record_id,
            server_record_id: s.parent_dhcp_server_record_id,
            scope_id: s.scope_id,
            subnet_mask: s.subnet_mask,
            start_address: s.start_address,
            end_address: s.end_address,
            name: s.scope_name,
            description: s.description,
            status: s.status,
            lease_duration: s.lease_duration,
            failover_config_sync_status: s.failover_config_sync_status,
            failover_relationship_name: s.failover_relationship_name,
        }
    }
}

/// Body of `POST /api/v1/dhcp-scopes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewScope {
    /// The server it lives on.
    pub server_record_id: RecordId,
    /// Subnet address.
    pub scope_id: Ipv4Addr,
    /// Netmask.
    pub subnet_mask: Ipv4Addr,
    /// First address handed out.
    pub start_address: Ipv4Addr,
    /// Last address handed out.
    pub end_address: Ipv4Addr,
    /// Scope name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// `Active` (default) or `Inactive`.
    #[serde(default)]
    pub status: DhcpScopeStatus,
    /// Lease duration (default `P8D`).
    #[serde(default)]
    pub lease_duration: Option<TimeSpan>,
    /// Default `Unknown`.
    #[serde(default)]
    pub failover_config_sync_status: DhcpFailoverConfigSyncStatus,
}

impl NewScope {
    /// The model's form.
    pub fn into_model(self) -> NewDhcpScope {
        NewDhcpScope {
            parent_dhcp_server_record_id: self.server_record_id,
            scope_id: self.scope_id,
            subnet_mask: self.subnet_mask,
            start_address: self.start_address,
            end_address: self.end_address,
            scope_name: self.name,
            description: self.description,
            status: self.status,
            lease_duration: self.lease_duration.unwrap_or(NewDhcpScope::DEFAULT_LEASE),
            failover_config_sync_status: self.failover_config_sync_status,
        }
    }
}

/// A failover relationship: every `DhcpFailover` member except the shared secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failover {
    /// RecordId.
    pub record_id: RecordId,
    /// Name.
    pub relationship_name: Option<String>,
    /// `LoadBalance` or `HotStandby`.
    pub mode: DhcpFailoverMode,
    /// Primary server.
    pub server1_record_id: RecordId,
    /// Partner server.
    pub server2_record_id: RecordId,
    /// Primary's name.
    pub server1_name: Option<String>,
    /// Partner's name.
    pub server2_name: Option<String>,
    /// Primary's address.
    pub server1_ip: Option<Ipv4Addr>,
    /// Partner's address.
    pub server2_ip: Option<Ipv4Addr>,
    /// Primary's PowerShell name.
    pub server1_ps_name: Option<String>,
    /// Partner's PowerShell name.
    pub server2_ps_name: Option<String>,
    /// Primary's share of the addresses (load balance).
    pub server1_percentage: u32,
    /// Primary's failover state.
    pub server1_state: DhcpFailoverState,
    /// Partner's failover state.
    pub server2_state: DhcpFailoverState,
    /// Maximum client lead time (ISO 8601).
    pub mclt: TimeSpan,
    /// State switch interval (ISO 8601).
    pub state_switch_interval: TimeSpan,
    /// Move to PARTNER-DOWN automatically.
    pub auto_state_transition: bool,
    /// Message authentication on.
    pub shared_secret_enabled: bool,
    /// Whether a shared secret is stored (the secret itself is never returned).
    pub shared_secret_set: bool,
    /// The server an operation started from.
    pub server_owner: DhcpFailoverOperationOwner,
    /// Pending database updates (not stored).
    pub operation_tracker: Option<Vec<DhcpFailoverOperations>>,
}

impl From<DhcpFailover> for Failover {
    fn from(f: DhcpFailover) -> Self {
        Failover {
            record_id: f.record_id,
            relationship_name: f.relationship_name,
            mode: f.mode,
            server1_record_id: f.server1_record_id,
            server2_record_id: f.server2_record_id,
            server1_name: f.server1_name,
            server2_name: f.server2_name,
            server1_ip: f.server1_ip,
            server2_ip: f.server2_ip,
            server1_ps_name: f.server1_ps_name,
            server2_ps_name: f.server2_ps_name,
            server1_percentage: f.server1_percentage,
            server1_state: f.server1_state,
            server2_state: f.server2_state,
            mclt: f.mclt,
            state_switch_interval: f.state_switch_interval,
            auto_state_transition: f.auto_state_transition,
            shared_secret_enabled: f.shared_secret_enabled,
            shared_secret_set: f.shared_secret.as_ref().is_some_and(|s| !s.is_empty()),
            server_owner: f.server_owner,
            operation_tracker: f.operation_tracker,
        }
    }
}

/// Body of `POST /api/v1/dhcp-failovers`: the relationship and its first scopes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFailover {
    /// Name (required, 1–256 characters).
    pub relationship_name: Option<String>,
    /// `LoadBalance` or `HotStandby`.
    pub mode: DhcpFailoverMode,
    /// Primary server.
    pub server1_record_id: RecordId,
    /// Partner server.
    pub server2_record_id: RecordId,
    /// RecordIds of the scopes to put in the relationship (at least one).
    pub scope_ids: Option<Vec<RecordId>>,
    /// Primary's share (default 50).
    #[serde(default = "fifty")]
    pub server1_percentage: u32,
    /// Maximum client lead time (default `PT1H`).
    #[serde(default = "one_hour")]
    pub mclt: TimeSpan,
    /// State switch interval (default `PT1H`).
    #[serde(default = "one_hour")]
    pub state_switch_interval: TimeSpan,
    /// Default false.
    #[serde(default)]
    pub auto_state_transition: bool,
    /// Default false.
    #[serde(default)]
    pub shared_secret_enabled: bool,
    /// The shared secret (UTF-8 text); write-only.
    #[serde(default)]
    pub shared_secret: Option<String>,
    /// Primary's name (default: the registered server's name).
    #[serde(default)]
    pub server1_name: Option<String>,
    /// Partner's name (default: the registered server's name).
    #[serde(default)]
    pub server2_name: Option<String>,
    /// Primary's address (default: the registered server's address).
    #[serde(default)]
    pub server1_ip: Option<Ipv4Addr>,
    /// Partner's address (default: the registered server's address).
    #[serde(default)]
    pub server2_ip: Option<Ipv4Addr>,
    /// Primary's PowerShell name.
    #[serde(default)]
    pub server1_ps_name: Option<String>,
    /// Partner's PowerShell name.
    #[serde(default)]
    pub server2_ps_name: Option<String>,
    /// Default `Normal`.
    #[serde(default = "normal")]
    pub server1_state: DhcpFailoverState,
    /// Default `Normal`.
    #[serde(default = "normal")]
    pub server2_state: DhcpFailoverState,
    /// Default `ServerOne`.
    #[serde(default)]
    pub server_owner: DhcpFailoverOperationOwner,
}

fn fifty() -> u32 {
    50
}
fn one_hour() -> TimeSpan {
    TimeSpan::from_secs(3600)
}
fn normal() -> DhcpFailoverState {
    DhcpFailoverState::Normal
}

impl NewFailover {
    /// The model's relationship (RecordId 0: the store assigns it).
    pub fn to_model(&self) -> DhcpFailover {
        DhcpFailover {
            relationship_name: self.relationship_name.clone(),
            mode: self.mode,
            server1_record_id: self.server1_record_id,
            server2_record_id: self.server2_record_id,
            server1_percentage: self.server1_percentage,
            mclt: self.mclt,
            state_switch_interval: self.state_switch_interval,
            auto_state_transition: self.auto_state_transition,
            shared_secret_enabled: self.shared_secret_enabled,
            shared_secret: self.shared_secret.as_ref().map(|s| s.as_bytes().to_vec()),
            server1_name: self.server1_name.clone(),
            server2_name: self.server2_name.clone(),
            server1_ip: self.server1_ip,
            server2_ip: self.server2_ip,
            server1_ps_name: self.server1_ps_name.clone(),
            server2_ps_name: self.server2_ps_name.clone(),
            server1_state: self.server1_state,
            server2_state: self.server2_state,
            server_owner: self.server_owner,
            ..Default::default()
        }
    }
}

/// Deserializes a present value (null is an error) into `Some`.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Deserializes a present, nullable value into `Some(value or None)`.
fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Body of `PATCH /api/v1/dhcp-failovers/{record_id}`: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailoverPatch {
    /// New name.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub relationship_name: Option<Option<String>>,
    /// New mode.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub mode: Option<DhcpFailoverMode>,
    /// New share.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub server1_percentage: Option<u32>,
    /// New MCLT.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub mclt: Option<TimeSpan>,
    /// New state switch interval.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub state_switch_interval: Option<TimeSpan>,
    /// New auto state transition.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub auto_state_transition: Option<bool>,
    /// New shared-secret switch.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub shared_secret_enabled: Option<bool>,
    /// New shared secret (null clears it).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<Option<String>>,
    /// New primary name.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub server1_name: Option<Option<String>>,
    /// New partner name.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub server2_name: Option<Option<String>>,
    /// New primary address.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub server1_ip: Option<Option<Ipv4Addr>>,
    /// New partner address.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub server2_ip: Option<Option<Ipv4Addr>>,
    /// New primary PowerShell name.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub server1_ps_name: Option<Option<String>>,
    /// New partner PowerShell name.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub server2_ps_name: Option<Option<String>>,
    /// New primary state.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub server1_state: Option<DhcpFailoverState>,
    /// New partner state.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub server2_state: Option<DhcpFailoverState>,
}

impl FailoverPatch {
    /// The relationship to send to EditDhcpFailover: `record_id`, the fields present, and
    /// `modified_properties` naming them by their XSD names.
    pub fn to_model(&self, record_id: RecordId) -> DhcpFailover {
        let mut f = DhcpFailover {
            record_id,
            ..Default::default()
        };
        let mut props = Vec::new();
        macro_rules! set {
            ($field:ident, $xsd:literal) => {
                set!($field, $xsd, Clone::clone)
            };
            ($field:ident, $xsd:literal, $conv:expr) => {
                if let Some(v) = &self.$field {
                    f.$field = $conv(v);
                    props.push($xsd.to_owned());
                }
            };
        }
        set!(relationship_name, "RelationshipName");
        set!(mode, "Mode");
        set!(server1_percentage, "Server1Percentage");
        set!(mclt, "MCLT");
        set!(state_switch_interval, "StateSwitchInterval");
        set!(auto_state_transition, "AutoStateTransition");
        set!(shared_secret_enabled, "SharedSecretEnabled");
        set!(shared_secret, "SharedSecret", |v: &Option<String>| v
            .as_ref()
            .map(|s| s.as_bytes().to_vec()));
        set!(server1_name, "Server1Name");
        set!(server2_name, "Server2Name");
        set!(server1_ip, "Server1IP");
        set!(server2_ip, "Server2IP");
        set!(server1_ps_name, "Server1PSName");
        set!(server2_ps_name, "Server2PSName");
        set!(server1_state, "Server1State");
        set!(server2_state, "Server2State");
        f.modified_properties = Some(props);
        f
    }
}

/// Body of `POST /api/v1/dhcp-failovers/{record_id}/scopes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddScopes {
    /// RecordIds of the scopes to add.
    pub scope_ids: Vec<RecordId>,
}

/// Body of `DELETE /api/v1/dhcp-failovers/{record_id}/scopes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveScopes {
    /// RecordIds of the scopes to remove.
    pub scope_ids: Vec<RecordId>,
    /// Continue even if the partner scope cannot be changed.
    #[serde(default)]
    pub force: bool,
}

/// A sub-task of an operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubTask {
    /// `SubTaskInstanceId`.
    pub id: i32,
    /// `SubTaskUniqueId`: the kind of work.
    pub kind: i32,
    /// What it does.
    pub name: Option<String>,
    /// `SubTaskStatus`.
    pub status: SubTaskStatus,
    /// A note on the outcome.
    pub description: Option<String>,
    /// The fault, when it failed.
    pub exception: Option<IpamException>,
}

/// An operation that changes failovers, run by the engine in the background.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    /// The operation's id (for `/api/v1/operations/{id}`).
    pub id: String,
    /// `IpamAdminOperationId`, e.g. `CreateDhcpFailover`.
    pub operation_id: IpamAdminOperationId,
    /// `NotStarted`, `InProgress`, `CompletedWithSuccess` or `CompletedWithFailure`.
    pub status: OverallProgressStatus,
    /// 0–100.
    pub percent: u8,
    /// The sub-tasks reported so far.
    pub sub_tasks: Vec<SubTask>,
    /// The relationship created or changed.
    pub result_record_id: Option<RecordId>,
    /// The fault, when the operation failed.
    pub exception: Option<IpamException>,
    /// Seconds since the Unix epoch when the operation was accepted.
    pub created_at: u64,
    /// Number of progress events so far.
    pub events: usize,
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `IpamExceptionId`.
    pub exception_id: IpamExceptionId,
    /// What went wrong, naming the field and value.
    pub message: String,
    /// The offending JSON field, where there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    /// The cause, where there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inner: Option<Box<IpamException>>,
}
