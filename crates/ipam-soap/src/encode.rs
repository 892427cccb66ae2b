//! DataContract encoding of the failover types, members in DataContract order: base type
//! members first, then each level's members alphabetically (the §7 XSD sequence order).

use std::net::Ipv4Addr;

use base64::Engine;
use ipam_model::*;

use crate::ns::{IPAM, IPAM1, SERARR, SYSNET, XSD};
use crate::writer::Out;

/// `paramters` (§3.19.4.3.2.1) with `i:type` naming the concrete type.
pub(crate) fn paramters(out: &mut Out<'_>, p: &IpamOperationWithProgressParameters) {
    out.start_typed(IPAM, "paramters", IPAM, p.derived.type_name(), &[]);
    if let Some(op) = p.operation_id {
        out.text_el(IPAM, "OperationId", op.as_str());
    }
    match &p.derived {
        DerivedParameters::DhcpFailoverWithScopes(d) => {
            opt_failover(out, "Failover", d.failover.as_ref());
            longs(out, "ScopeIds", d.scope_ids.as_deref());
        }
        DerivedParameters::DhcpFailover(d) => opt_failover(out, "Failover", d.failover.as_ref()),
        DerivedParameters::DhcpFailoverRemoveScopes(d) => {
            out.text_el(IPAM, "Force", bool_str(d.force));
            longs(out, "ScopeIds", d.scope_ids.as_deref());
        }
        DerivedParameters::DhcpFailoverDelete(d) => {
            opt_failover(out, "Failover", d.failover.as_ref());
            out.text_el(IPAM, "Force", bool_str(d.force));
        }
        DerivedParameters::ResetConfigSyncStatus(d) | DerivedParameters::ReplicateScope(d) => {
            scopes(out, d)
        }
        DerivedParameters::ReplicateRelation(d) => {
            opt_failover(out, "FailoverRelation", d.failover_relation.as_ref())
        }
        DerivedParameters::ReplicateServer(d) => match &d.server {
            Some(s) => server(out, "Server", s),
            None => out.nil(IPAM, "Server"),
        },
        DerivedParameters::Other(_) => {}
    }
    out.end();
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn opt_failover(out: &mut Out<'_>, local: &str, f: Option<&DhcpFailover>) {
    match f {
        Some(f) => failover(out, local, f, false, true),
        None => out.nil(IPAM, local),
    }
}

/// A `DhcpFailover` (§2.2.4.104). `typed` adds `i:type` (for members declared `IpamObject`);
/// without `with_secret` the `SharedSecret` is written nil.
pub(crate) fn failover(
    out: &mut Out<'_>,
    local: &str,
    f: &DhcpFailover,
    typed: bool,
    with_secret: bool,
) {
    if typed {
        out.start_typed(IPAM, local, IPAM, "DhcpFailover", &[]);
    } else {
        out.start(IPAM, local, &[]);
    }
    strings(out, "ModifiedProperties", f.modified_properties.as_deref());
    strings(out, "SetProperties", f.set_properties.as_deref());
    out.text_el(
        IPAM,
        "AutoStateTransition",
        bool_str(f.auto_state_transition),
    );
    out.text_el(IPAM, "MCLT", &f.mclt.to_string());
    out.text_el(IPAM, "Mode", f.mode.as_str());
    match &f.operation_tracker {
        Some(ops) => {
            out.start(IPAM, "OperationTracker", &[]);
            for op in ops {
                out.text_el(IPAM, "DhcpFailoverOperations", op.as_str());
            }
            out.end();
        }
        None => out.nil(IPAM, "OperationTracker"),
    }
    out.text_el(IPAM, "RecordId", &f.record_id.to_string());
    out.opt_text_el(IPAM, "RelationshipName", f.relationship_name.as_deref());
    opt_ip(out, "Server1IP", f.server1_ip);
    out.opt_text_el(IPAM, "Server1Name", f.server1_name.as_deref());
    out.opt_text_el(IPAM, "Server1PSName", f.server1_ps_name.as_deref());
    out.text_el(IPAM, "Server1Percentage", &f.server1_percentage.to_string());
    out.text_el(IPAM, "Server1RecordId", &f.server1_record_id.to_string());
    out.text_el(IPAM, "Server1State", f.server1_state.as_str());
    opt_ip(out, "Server2IP", f.server2_ip);
    out.opt_text_el(IPAM, "Server2Name", f.server2_name.as_deref());
    out.opt_text_el(IPAM, "Server2PSName", f.server2_ps_name.as_deref());
    out.text_el(IPAM, "Server2RecordId", &f.server2_record_id.to_string());
    out.text_el(IPAM, "Server2State", f.server2_state.as_str());
    out.text_el(IPAM, "ServerOwner", f.server_owner.as_str());
    let secret = f.shared_secret.as_ref().filter(|_| with_secret);
    let secret = secret.map(|s| base64::engine::general_purpose::STANDARD.encode(s));
    out.opt_text_el(IPAM, "SharedSecret", secret.as_deref());
    out.text_el(
        IPAM,
        "SharedSecretEnabled",
        bool_str(f.shared_secret_enabled),
    );
    out.text_el(
        IPAM,
        "StateSwitchInterval",
        &f.state_switch_interval.to_string(),
    );
    out.end();
}

/// `serarr:ArrayOfstring` (§2.2.4.380), nil when `None`.
fn strings(out: &mut Out<'_>, local: &str, items: Option<&[String]>) {
    match items {
        Some(items) => {
            out.start(IPAM, local, &[]);
            for s in items {
                out.text_el(SERARR, "string", s);
            }
            out.end();
        }
        None => out.nil(IPAM, local),
    }
}

/// `serarr:ArrayOflong` (§2.2.4.379), nil when `None`.
fn longs(out: &mut Out<'_>, local: &str, items: Option<&[i64]>) {
    match items {
        Some(items) => {
            out.start(IPAM, local, &[]);
            for v in items {
                out.text_el(SERARR, "long", &v.to_string());
            }
            out.end();
        }
        None => out.nil(IPAM, local),
    }
}

fn opt_ip(out: &mut Out<'_>, local: &str, a: Option<Ipv4Addr>) {
    match a {
        Some(a) => ip(out, IPAM, local, a),
        None => out.nil(IPAM, local),
    }
}

/// `sysnet:IPAddress` (§2.2.4.441) as .NET writes an IPv4 address: `m_Address` little-endian
/// (§4.2), `m_HashCode` 0, eight zero `m_Numbers`, `m_ScopeId` 0.
fn ip(out: &mut Out<'_>, ns_uri: &'static str, local: &str, a: Ipv4Addr) {
    out.start(ns_uri, local, &[]);
    out.text_el(
        SYSNET,
        "m_Address",
        &u32::from_le_bytes(a.octets()).to_string(),
    );
    out.text_el(SYSNET, "m_Family", "InterNetwork");
    out.text_el(SYSNET, "m_HashCode", "0");
    out.start(SYSNET, "m_Numbers", &[]);
    for _ in 0..8 {
        out.text_el(SERARR, "unsignedShort", "0");
    }
    out.end();
    out.text_el(SYSNET, "m_ScopeId", "0");
    out.end();
}

/// `Scopes : ArrayOfDhcpScope` (§2.2.4.28), items `i:type="DhcpScopeV4"`.
fn scopes(out: &mut Out<'_>, d: &ScopesParameters) {
    let Some(items) = &d.scopes else {
        out.nil(IPAM, "Scopes");
        return;
    };
    out.start(IPAM, "Scopes", &[]);
    for s in items {
        match s {
            Some(s) => scope(out, s),
            None => out.nil(IPAM, "DhcpScope"),
        }
    }
    out.end();
}

/// A `DhcpScopeV4` item: `DhcpScope` members (§2.2.4.141) then `DhcpScopeV4` members
/// (§2.2.4.151), each alphabetically; only the members the model keeps.
fn scope(out: &mut Out<'_>, s: &DhcpScopeV4) {
    out.start_typed(IPAM, "DhcpScope", IPAM, "DhcpScopeV4", &[]);
    out.nil(IPAM, "ModifiedProperties");
    out.nil(IPAM, "SetProperties");
    out.opt_text_el(IPAM, "Description", s.description.as_deref());
    ip(out, IPAM, "EndAddress", s.end_address);
    out.text_el(
        IPAM,
        "ParentDhcpServerRecordId",
        &s.parent_dhcp_server_record_id.to_string(),
    );
    out.text_el(IPAM, "PrefixLength", &s.prefix_length().to_string());
    out.text_el(IPAM, "RecordId", &s.record_id.to_string());
    ip(out, IPAM, "ScopeId", s.scope_id);
    out.text_el(IPAM, "ScopeName", &s.scope_name);
    ip(out, IPAM, "StartAddress", s.start_address);
    let status = match s.status {
        DhcpScopeStatus::Active => "Activated",
        DhcpScopeStatus::Inactive => "Deactivated",
    };
    out.text_el(IPAM, "Status", status);
    ip(out, IPAM, "SubnetMask", s.subnet_mask);
    out.text_el(
        IPAM,
        "FailoverConfigSyncStatus",
        s.failover_config_sync_status.as_str(),
    );
    out.opt_text_el(
        IPAM,
        "FailoverRelationshipName",
        s.failover_relationship_name.as_deref(),
    );
    out.text_el(IPAM, "LeaseDuration", &s.lease_duration.to_string());
    out.end();
}

/// A `DhcpServerV4` (§2.2.4.159): `RecordId`, and `ServerRoleInfo/ParentServer` holding
/// description, address and name.
fn server(out: &mut Out<'_>, local: &str, s: &DhcpServerV4) {
    out.start(IPAM, local, &[]);
    out.nil(IPAM, "ModifiedProperties");
    out.nil(IPAM, "SetProperties");
    out.text_el(IPAM, "RecordId", &s.record_id.to_string());
    out.start(IPAM, "ServerRoleInfo", &[]);
    out.nil(IPAM, "ModifiedProperties");
    out.nil(IPAM, "SetProperties");
    out.start(IPAM, "ParentServer", &[]);
    out.nil(IPAM, "ModifiedProperties");
    out.nil(IPAM, "SetProperties");
    out.opt_text_el(IPAM, "Description", s.description.as_deref());
    out.start(IPAM, "IPAddresses", &[]);
    ip(out, SYSNET, "IPAddress", s.address);
    out.end();
    out.text_el(IPAM, "Name", &s.name);
    out.end();
    out.end();
    out.end();
}

/// The children of an `ipam1:IpamException` (§2.2.4.247) in ISerializable form: the
/// System.Exception members a WCF client's deserializer requires (as in the captures), then
/// `IpamExceptionData` (§2.2.4.252) and `InnerIpamException`, all in no namespace.
pub(crate) fn ipam_exception_content(out: &mut Out<'_>, e: &IpamException) {
    let string = out.type_qname(XSD, "string");
    let int = out.type_qname(XSD, "int");
    let no = "";
    out.text_el_with(
        no,
        "ClassName",
        &[("i:type", &string)],
        "Microsoft.Windows.Ipam.IpamException",
    );
    out.text_el_with(no, "Message", &[("i:type", &string)], &e.message);
    for m in [
        "Data",
        "InnerException",
        "HelpURL",
        "StackTraceString",
        "RemoteStackTraceString",
    ] {
        out.nil(no, m);
    }
    out.text_el_with(no, "RemoteStackIndex", &[("i:type", &int)], "0");
    out.nil(no, "ExceptionMethod");
    out.text_el_with(no, "HResult", &[("i:type", &int)], "-2146233088");
    out.nil(no, "Source");
    let id = out.fresh_id();
    out.start_typed(
        no,
        "IpamExceptionData",
        IPAM,
        "IpamExceptionData",
        &[("z:Id", &id)],
    );
    out.text_el(IPAM, "ExceptionId", e.exception_id.as_str());
    out.text_el(IPAM, "ExceptionMessage", &e.message);
    out.end();
    match &e.inner {
        Some(inner) => {
            out.start_typed(no, "InnerIpamException", IPAM1, "IpamException", &[]);
            ipam_exception_content(out, inner);
            out.end();
        }
        None => out.nil(no, "InnerIpamException"),
    }
}

/// An `ipam1:IpamException` member of an `ipam` type, nil when `None`.
pub(crate) fn opt_exception(out: &mut Out<'_>, local: &str, e: Option<&IpamException>) {
    match e {
        Some(e) => {
            out.start(IPAM, local, &[]);
            ipam_exception_content(out, e);
            out.end();
        }
        None => out.nil(IPAM, local),
    }
}

/// `SubTaskInstance` (§2.2.4.399); `SubTaskInstanceDetails` as `FailoverDataFormatter` (§2.2.4.231).
pub(crate) fn sub_task(out: &mut Out<'_>, local: &str, s: &SubTaskInstance) {
    out.start(IPAM, local, &[]);
    opt_exception(
        out,
        "FailedCompletionStatus",
        s.failed_completion_status.as_ref(),
    );
    out.text_el(
        IPAM,
        "IsNonDeterministicProgress",
        bool_str(s.is_non_deterministic_progress),
    );
    out.opt_text_el(
        IPAM,
        "ProgressStatusDescriptions",
        s.progress_status_descriptions.as_deref(),
    );
    match &s.sub_task_instance_details {
        Some(d) => {
            out.start_typed(
                IPAM,
                "SubTaskInstanceDetails",
                IPAM,
                "FailoverDataFormatter",
                &[],
            );
            out.opt_text_el(IPAM, "FailoverName", d.failover_name.as_deref());
            out.opt_text_el(IPAM, "Server1Name", d.server1_name.as_deref());
            out.opt_text_el(IPAM, "Server2Name", d.server2_name.as_deref());
            out.end();
        }
        None => out.nil(IPAM, "SubTaskInstanceDetails"),
    }
    out.text_el(
        IPAM,
        "SubTaskInstanceId",
        &s.sub_task_instance_id.to_string(),
    );
    out.opt_text_el(IPAM, "SubTaskName", s.sub_task_name.as_deref());
    out.text_el(IPAM, "SubTaskStatus", s.sub_task_status.as_str());
    out.text_el(IPAM, "SubTaskUniqueId", &s.sub_task_unique_id.to_string());
    out.end();
}

/// `completionStatus` of `SetOverallStatus` as `DhcpMsmOverallCompletionStatus` (§2.2.4.119):
/// `EntityStatusCollection` (§2.2.4.227) of `EntityStatus` (§2.2.4.226), `ErrorInfo`,
/// `HasIpamUpdateError`, `ReturnObject` (a `DhcpFailover` without its secret).
pub(crate) fn completion(out: &mut Out<'_>, local: &str, c: &DhcpMsmOverallCompletionStatus) {
    out.start_typed(IPAM, local, IPAM, "DhcpMsmOverallCompletionStatus", &[]);
    out.start_typed(
        IPAM,
        "EntityStatusCollectionObject",
        IPAM,
        "EntityStatusCollection",
        &[],
    );
    out.start(IPAM, "EntityStatusList", &[]);
    for s in &c.entity_status {
        out.start(IPAM, "EntityStatus", &[]);
        out.text_el(IPAM, "IsSuccessful", bool_str(s.is_successful));
        out.text_el(IPAM, "ObjectType", s.object_type.as_str());
        out.text_el(IPAM, "OperationType", s.operation_type.as_str());
        out.text_el(IPAM, "RecordId", &s.record_id.to_string());
        out.end();
    }
    out.end();
    out.end();
    opt_exception(out, "ErrorInfo", c.error_info.as_ref());
    out.text_el(
        IPAM,
        "HasIpamUpdateError",
        bool_str(c.has_ipam_update_error),
    );
    match &c.return_object {
        Some(f) => failover(out, "ReturnObject", f, true, false),
        None => out.nil(IPAM, "ReturnObject"),
    }
    out.end();
}
