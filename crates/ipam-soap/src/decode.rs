//! DataContract decoding of the failover types (§2.2.4) into ipam-model values.
//!
//! Members are found by namespace URI and local name in any order; unknown members are
//! ignored; absent value-typed members take their DataContract default.

use std::net::Ipv4Addr;

use crate::tree::Node;
use base64::Engine;
use ipam_model::*;

use crate::ns::{self, IPAM, SERARR, SYSNET};
use crate::reader::*;

/// `paramters` (§3.19.4.3.2.1): an `IpamOperationWithProgressParameters` or a derived type.
pub(crate) fn paramters(
    ctx: &mut Ctx<'_>,
    n: Node<'_>,
    path: &str,
) -> DResult<IpamOperationWithProgressParameters> {
    ctx.enter(path)?;
    let type_name = expect_type(
        n,
        IPAM,
        "IpamOperationWithProgressParameters",
        ns::OPERATION_PARAMETER_TYPES,
        path,
    )?;
    let operation_id = ctx.parse::<IpamAdminOperationId>(n, IPAM, "OperationId", path)?;
    let derived = match type_name {
        "DhcpFailoverWithScopesParameters" => {
            DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
                failover: failover(ctx, n, "Failover", path)?,
                scope_ids: longs(ctx, n, "ScopeIds", path)?,
            })
        }
        "DhcpFailoverParameters" => DerivedParameters::DhcpFailover(DhcpFailoverParameters {
            failover: failover(ctx, n, "Failover", path)?,
        }),
        "DhcpFailoverRemoveScopesParameters" => {
            DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
                force: ctx.boolean(n, IPAM, "Force", path)?.unwrap_or_default(),
                scope_ids: longs(ctx, n, "ScopeIds", path)?,
            })
        }
        "DhcpFailoverDeleteParameters" => {
            DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
                failover: failover(ctx, n, "Failover", path)?,
                force: ctx.boolean(n, IPAM, "Force", path)?.unwrap_or_default(),
            })
        }
        "ResetConfigSyncStatusParameters" => {
            DerivedParameters::ResetConfigSyncStatus(ScopesParameters {
                scopes: scopes(ctx, n, path)?,
            })
        }
        "ReplicateScopeParameters" => DerivedParameters::ReplicateScope(ScopesParameters {
            scopes: scopes(ctx, n, path)?,
        }),
        "ReplicateRelationParameters" => {
            DerivedParameters::ReplicateRelation(ReplicateRelationParameters {
                failover_relation: failover(ctx, n, "FailoverRelation", path)?,
            })
        }
        "ReplicateServerParameters" => {
            DerivedParameters::ReplicateServer(ReplicateServerParameters {
                server: server(ctx, n, "Server", path)?,
            })
        }
        other => DerivedParameters::Other(other.to_owned()),
    };
    ctx.leave();
    Ok(IpamOperationWithProgressParameters {
        operation_id,
        derived,
    })
}

/// A `DhcpFailover` member (§2.2.4.104); nil or absent is `None`.
pub(crate) fn failover(
    ctx: &mut Ctx<'_>,
    parent: Node<'_>,
    local: &str,
    path: &str,
) -> DResult<Option<DhcpFailover>> {
    let path = format!("{path}/{local}");
    let Member::Present(n) = ctx.member(parent, IPAM, local, &path)? else {
        return Ok(None);
    };
    expect_type(n, IPAM, "DhcpFailover", &["DhcpFailover"], &path)?;
    failover_content(ctx, n, &path).map(Some)
}

/// The members of a `DhcpFailover` element.
pub(crate) fn failover_content(
    ctx: &mut Ctx<'_>,
    n: Node<'_>,
    path: &str,
) -> DResult<DhcpFailover> {
    ctx.enter(path)?;
    let p = path;
    let f = DhcpFailover {
        modified_properties: strings(ctx, n, "ModifiedProperties", p)?,
        set_properties: strings(ctx, n, "SetProperties", p)?,
        auto_state_transition: ctx
            .boolean(n, IPAM, "AutoStateTransition", p)?
            .unwrap_or_default(),
        mclt: ctx.parse(n, IPAM, "MCLT", p)?.unwrap_or_default(),
        mode: ctx.parse(n, IPAM, "Mode", p)?.unwrap_or_default(),
        operation_tracker: operations(ctx, n, p)?,
        record_id: ctx.parse(n, IPAM, "RecordId", p)?.unwrap_or_default(),
        relationship_name: ctx.text(n, IPAM, "RelationshipName", p)?,
        server1_ip: ip(ctx, n, IPAM, "Server1IP", p)?,
        server1_name: ctx.text(n, IPAM, "Server1Name", p)?,
        server1_ps_name: ctx.text(n, IPAM, "Server1PSName", p)?,
        server1_percentage: ctx
            .parse(n, IPAM, "Server1Percentage", p)?
            .unwrap_or_default(),
        server1_record_id: ctx
            .parse(n, IPAM, "Server1RecordId", p)?
            .unwrap_or_default(),
        server1_state: ctx.parse(n, IPAM, "Server1State", p)?.unwrap_or_default(),
        server2_ip: ip(ctx, n, IPAM, "Server2IP", p)?,
        server2_name: ctx.text(n, IPAM, "Server2Name", p)?,
        server2_ps_name: ctx.text(n, IPAM, "Server2PSName", p)?,
        server2_record_id: ctx
            .parse(n, IPAM, "Server2RecordId", p)?
            .unwrap_or_default(),
        server2_state: ctx.parse(n, IPAM, "Server2State", p)?.unwrap_or_default(),
        server_owner: ctx.parse(n, IPAM, "ServerOwner", p)?.unwrap_or_default(),
        shared_secret: base64(ctx, n, "SharedSecret", p)?,
        shared_secret_enabled: ctx
            .boolean(n, IPAM, "SharedSecretEnabled", p)?
            .unwrap_or_default(),
        state_switch_interval: ctx
            .parse(n, IPAM, "StateSwitchInterval", p)?
            .unwrap_or_default(),
    };
    ctx.leave();
    Ok(f)
}

/// `xsd:base64Binary`, whitespace allowed anywhere.
fn base64(ctx: &Ctx<'_>, parent: Node<'_>, local: &str, path: &str) -> DResult<Option<Vec<u8>>> {
    let p = format!("{path}/{local}");
    let Some(t) = ctx.text(parent, IPAM, local, &p)? else {
        return Ok(None);
    };
    let compact: String = t.chars().filter(|c| !is_xml_space(*c)).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map(Some)
        .map_err(|e| invalid(&p, &t, e))
}

/// A `serarr:ArrayOflong` member (§2.2.4.379).
pub(crate) fn longs(
    ctx: &Ctx<'_>,
    parent: Node<'_>,
    local: &str,
    path: &str,
) -> DResult<Option<Vec<i64>>> {
    let p = format!("{path}/{local}");
    let Member::Present(n) = ctx.member(parent, IPAM, local, &p)? else {
        return Ok(None);
    };
    ctx.items(n, SERARR, "long", &p)?
        .map(|(ip, item)| {
            let t = text_of(ctx.deref(item, &ip)?);
            t.trim_matches(is_xml_space)
                .parse::<i64>()
                .map_err(|e| invalid(&ip, &t, e))
        })
        .collect::<DResult<Vec<_>>>()
        .map(Some)
}

/// A `serarr:ArrayOfstring` member (§2.2.4.380); nil items are refused.
pub(crate) fn strings(
    ctx: &Ctx<'_>,
    parent: Node<'_>,
    local: &str,
    path: &str,
) -> DResult<Option<Vec<String>>> {
    let p = format!("{path}/{local}");
    let Member::Present(n) = ctx.member(parent, IPAM, local, &p)? else {
        return Ok(None);
    };
    let items = ctx.items(n, SERARR, "string", &p)?;
    let mut out = Vec::with_capacity(items.len());
    for (ip, item) in items {
        let item = ctx.deref(item, &ip)?;
        if is_nil(item, &ip)? {
            return Err(invalid(&ip, "nil", "a property name cannot be nil"));
        }
        out.push(text_of(item));
    }
    Ok(Some(out))
}

/// `OperationTracker`: `ArrayOfDhcpFailoverOperations` (§2.2.4.20).
fn operations(
    ctx: &Ctx<'_>,
    parent: Node<'_>,
    path: &str,
) -> DResult<Option<Vec<DhcpFailoverOperations>>> {
    let p = format!("{path}/OperationTracker");
    let Member::Present(n) = ctx.member(parent, IPAM, "OperationTracker", &p)? else {
        return Ok(None);
    };
    let items = ctx.items(n, IPAM, "DhcpFailoverOperations", &p)?;
    let mut out = Vec::with_capacity(items.len());
    for (ip, item) in items {
        let t = text_of(ctx.deref(item, &ip)?);
        out.push(
            t.trim_matches(is_xml_space)
                .parse()
                .map_err(|e| invalid(&ip, &t, e))?,
        );
    }
    Ok(Some(out))
}

/// A `sysnet:IPAddress` member (§2.2.4.441): IPv4 only; `m_Address` holds the first octet
/// in its least-significant byte (§4.2: 16777226 is 10.0.0.1).
pub(crate) fn ip(
    ctx: &Ctx<'_>,
    parent: Node<'_>,
    ns_uri: &str,
    local: &str,
    path: &str,
) -> DResult<Option<Ipv4Addr>> {
    let p = format!("{path}/{local}");
    let Member::Present(n) = ctx.member(parent, ns_uri, local, &p)? else {
        return Ok(None);
    };
    ip_content(ctx, n, &p).map(Some)
}

fn ip_content(ctx: &Ctx<'_>, n: Node<'_>, p: &str) -> DResult<Ipv4Addr> {
    let family = ctx.text(n, SYSNET, "m_Family", p)?;
    match family.as_deref().map(|f| f.trim_matches(is_xml_space)) {
        Some("InterNetwork") => {}
        Some(other) => {
            return Err(invalid(
                &format!("{p}/m_Family"),
                other,
                "only InterNetwork (IPv4) addresses are supported",
            ));
        }
        None => {
            return Err(invalid(
                &format!("{p}/m_Family"),
                "",
                "m_Family is required",
            ));
        }
    }
    let address: i64 = ctx
        .parse(n, SYSNET, "m_Address", p)?
        .ok_or_else(|| invalid(&format!("{p}/m_Address"), "", "m_Address is required"))?;
    let v = u32::try_from(address).map_err(|_| {
        invalid(
            &format!("{p}/m_Address"),
            &address.to_string(),
            "not an IPv4 address (0..=4294967295)",
        )
    })?;
    Ok(Ipv4Addr::from(v.to_le_bytes()))
}

/// `Scopes : ArrayOfDhcpScope` (§2.2.4.28): items `DhcpScope` with `i:type` `DhcpScopeV4`.
fn scopes(
    ctx: &mut Ctx<'_>,
    parent: Node<'_>,
    path: &str,
) -> DResult<Option<Vec<Option<DhcpScopeV4>>>> {
    let p = format!("{path}/Scopes");
    let Member::Present(n) = ctx.member(parent, IPAM, "Scopes", &p)? else {
        return Ok(None);
    };
    let items = ctx.items(n, IPAM, "DhcpScope", &p)?;
    let mut out = Vec::with_capacity(items.len());
    for (ip, item) in items {
        let item = ctx.deref(item, &ip)?;
        if is_nil(item, &ip)? {
            out.push(None);
            continue;
        }
        expect_type(
            item,
            IPAM,
            "DhcpScopeV4",
            &["DhcpScope", "DhcpScopeV4"],
            &ip,
        )?;
        out.push(Some(scope_content(ctx, item, &ip)?));
    }
    Ok(Some(out))
}

/// The members of a `DhcpScope`/`DhcpScopeV4` (§2.2.4.141, §2.2.4.151) that the model keeps.
fn scope_content(ctx: &mut Ctx<'_>, n: Node<'_>, p: &str) -> DResult<DhcpScopeV4> {
    ctx.enter(p)?;
    let any = Ipv4Addr::UNSPECIFIED;
    let status = match ctx.text(n, IPAM, "Status", p)? {
        None => DhcpScopeStatus::default(),
        Some(t) => match t.trim_matches(is_xml_space) {
            "None" | "Activated" => DhcpScopeStatus::Active,
            "Deactivated" => DhcpScopeStatus::Inactive,
            _ => {
                return Err(invalid(
                    &format!("{p}/Status"),
                    &t,
                    "not a DhcpScopeStatus (None, Activated, Deactivated)",
                ));
            }
        },
    };
    let s = DhcpScopeV4 {
        record_id: ctx.parse(n, IPAM, "RecordId", p)?.unwrap_or_default(),
        parent_dhcp_server_record_id: ctx
            .parse(n, IPAM, "ParentDhcpServerRecordId", p)?
            .unwrap_or_default(),
        scope_id: ip(ctx, n, IPAM, "ScopeId", p)?.unwrap_or(any),
        subnet_mask: ip(ctx, n, IPAM, "SubnetMask", p)?.unwrap_or(any),
        start_address: ip(ctx, n, IPAM, "StartAddress", p)?.unwrap_or(any),
        end_address: ip(ctx, n, IPAM, "EndAddress", p)?.unwrap_or(any),
        scope_name: ctx.text(n, IPAM, "ScopeName", p)?.unwrap_or_default(),
        description: ctx.text(n, IPAM, "Description", p)?,
        status,
        lease_duration: ctx.parse(n, IPAM, "LeaseDuration", p)?.unwrap_or_default(),
        failover_config_sync_status: ctx
            .parse(n, IPAM, "FailoverConfigSyncStatus", p)?
            .unwrap_or_default(),
        failover_relationship_name: ctx.text(n, IPAM, "FailoverRelationshipName", p)?,
    };
    ctx.leave();
    Ok(s)
}

/// A `DhcpServerV4` member (§2.2.4.159): `RecordId`, and name, first IPv4 address and
/// description from `ServerRoleInfo/ParentServer` (`ServerInfo`, §2.2.4.383).
fn server(
    ctx: &mut Ctx<'_>,
    parent: Node<'_>,
    local: &str,
    path: &str,
) -> DResult<Option<DhcpServerV4>> {
    let p = format!("{path}/{local}");
    let Member::Present(n) = ctx.member(parent, IPAM, local, &p)? else {
        return Ok(None);
    };
    expect_type(n, IPAM, "DhcpServerV4", &["DhcpServer", "DhcpServerV4"], &p)?;
    ctx.enter(&p)?;
    let mut s = DhcpServerV4 {
        record_id: ctx.parse(n, IPAM, "RecordId", &p)?.unwrap_or_default(),
        name: String::new(),
        address: Ipv4Addr::UNSPECIFIED,
        description: None,
    };
    let rp = format!("{p}/ServerRoleInfo");
    if let Member::Present(role) = ctx.member(n, IPAM, "ServerRoleInfo", &rp)? {
        let sp = format!("{rp}/ParentServer");
        if let Member::Present(info) = ctx.member(role, IPAM, "ParentServer", &sp)? {
            s.name = ctx.text(info, IPAM, "Name", &sp)?.unwrap_or_default();
            s.description = ctx.text(info, IPAM, "Description", &sp)?;
            let ap = format!("{sp}/IPAddresses");
            if let Member::Present(list) = ctx.member(info, IPAM, "IPAddresses", &ap)? {
                for (ip_path, item) in ctx.items(list, SYSNET, "IPAddress", &ap)? {
                    let item = ctx.deref(item, &ip_path)?;
                    if !is_nil(item, &ip_path)? {
                        s.address = ip_content(ctx, item, &ip_path)?;
                        break;
                    }
                }
            }
        }
    }
    ctx.leave();
    Ok(Some(s))
}

/// The ISerializable form of `ipam1:IpamException` (§2.2.4.247): `IpamExceptionData`
/// (§2.2.4.252) and `InnerIpamException`, both in no namespace.
pub(crate) fn ipam_exception(ctx: &mut Ctx<'_>, n: Node<'_>, path: &str) -> DResult<IpamException> {
    ctx.enter(path)?;
    let dp = format!("{path}/IpamExceptionData");
    let mut e = match ctx.member(n, "", "IpamExceptionData", &dp)? {
        Member::Present(d) => IpamException::new(
            ctx.parse(d, IPAM, "ExceptionId", &dp)?.unwrap_or_default(),
            ctx.text(d, IPAM, "ExceptionMessage", &dp)?
                .unwrap_or_default(),
        ),
        _ => IpamException::new(
            IpamExceptionId::None,
            ctx.text(n, "", "Message", path)?.unwrap_or_default(),
        ),
    };
    let ip = format!("{path}/InnerIpamException");
    if let Member::Present(inner) = ctx.member(n, "", "InnerIpamException", &ip)? {
        e.inner = Some(Box::new(ipam_exception(ctx, inner, &ip)?));
    }
    ctx.leave();
    Ok(e)
}

/// An `ipam1:IpamException` member; nil or absent is `None`.
pub(crate) fn opt_exception(
    ctx: &mut Ctx<'_>,
    parent: Node<'_>,
    local: &str,
    path: &str,
) -> DResult<Option<IpamException>> {
    let p = format!("{path}/{local}");
    match ctx.member(parent, IPAM, local, &p)? {
        Member::Present(n) => ipam_exception(ctx, n, &p).map(Some),
        _ => Ok(None),
    }
}

/// `SubTaskInstance` (§2.2.4.399).
pub(crate) fn sub_task(ctx: &mut Ctx<'_>, n: Node<'_>, p: &str) -> DResult<SubTaskInstance> {
    expect_type(n, IPAM, "SubTaskInstance", &["SubTaskInstance"], p)?;
    ctx.enter(p)?;
    let dp = format!("{p}/SubTaskInstanceDetails");
    let details = match ctx.member(n, IPAM, "SubTaskInstanceDetails", &dp)? {
        Member::Present(d) => {
            expect_type(
                d,
                IPAM,
                "FailoverDataFormatter",
                &["FailoverDataFormatter"],
                &dp,
            )?;
            Some(FailoverDataFormatter {
                failover_name: ctx.text(d, IPAM, "FailoverName", &dp)?,
                server1_name: ctx.text(d, IPAM, "Server1Name", &dp)?,
                server2_name: ctx.text(d, IPAM, "Server2Name", &dp)?,
            })
        }
        _ => None,
    };
    let s = SubTaskInstance {
        failed_completion_status: opt_exception(ctx, n, "FailedCompletionStatus", p)?,
        is_non_deterministic_progress: ctx
            .boolean(n, IPAM, "IsNonDeterministicProgress", p)?
            .unwrap_or_default(),
        progress_status_descriptions: ctx.text(n, IPAM, "ProgressStatusDescriptions", p)?,
        sub_task_instance_details: details,
        sub_task_instance_id: ctx
            .parse(n, IPAM, "SubTaskInstanceId", p)?
            .unwrap_or_default(),
        sub_task_name: ctx.text(n, IPAM, "SubTaskName", p)?,
        sub_task_status: ctx.parse(n, IPAM, "SubTaskStatus", p)?.unwrap_or_default(),
        sub_task_unique_id: ctx
            .parse(n, IPAM, "SubTaskUniqueId", p)?
            .unwrap_or_default(),
    };
    ctx.leave();
    Ok(s)
}

/// `SetOverallStatus.completionStatus` as a `DhcpMsmOverallCompletionStatus` (§2.2.4.119).
pub(crate) fn completion(
    ctx: &mut Ctx<'_>,
    n: Node<'_>,
    p: &str,
) -> DResult<DhcpMsmOverallCompletionStatus> {
    match xsi_type(n, p)? {
        Some((u, l)) if u == IPAM && l == "DhcpMsmOverallCompletionStatus" => {}
        Some((u, l)) => return Err(type_error(p, "DhcpMsmOverallCompletionStatus", &u, &l)),
        None => {
            return Err(type_error(
                p,
                "DhcpMsmOverallCompletionStatus",
                IPAM,
                "IpamObject",
            ));
        }
    }
    ctx.enter(p)?;
    let mut entity_status = Vec::new();
    let cp = format!("{p}/EntityStatusCollectionObject");
    if let Member::Present(c) = ctx.member(n, IPAM, "EntityStatusCollectionObject", &cp)? {
        expect_type(
            c,
            IPAM,
            "EntityStatusCollection",
            &["EntityStatusCollection"],
            &cp,
        )?;
        let lp = format!("{cp}/EntityStatusList");
        if let Member::Present(list) = ctx.member(c, IPAM, "EntityStatusList", &lp)? {
            for (ip, item) in ctx.items(list, IPAM, "EntityStatus", &lp)? {
                let item = ctx.deref(item, &ip)?;
                if is_nil(item, &ip)? {
                    continue;
                }
                entity_status.push(EntityStatus {
                    is_successful: ctx
                        .boolean(item, IPAM, "IsSuccessful", &ip)?
                        .unwrap_or_default(),
                    object_type: ctx
                        .parse(item, IPAM, "ObjectType", &ip)?
                        .unwrap_or_default(),
                    operation_type: ctx
                        .parse(item, IPAM, "OperationType", &ip)?
                        .unwrap_or_default(),
                    record_id: ctx.parse(item, IPAM, "RecordId", &ip)?.unwrap_or_default(),
                });
            }
        }
    }
    let rp = format!("{p}/ReturnObject");
    let return_object = match ctx.member(n, IPAM, "ReturnObject", &rp)? {
        Member::Present(r) => {
            expect_type(r, IPAM, "DhcpFailover", &["DhcpFailover"], &rp)?;
            Some(failover_content(ctx, r, &rp)?)
        }
        _ => None,
    };
    let c = DhcpMsmOverallCompletionStatus {
        entity_status,
        error_info: opt_exception(ctx, n, "ErrorInfo", p)?,
        has_ipam_update_error: ctx
            .boolean(n, IPAM, "HasIpamUpdateError", p)?
            .unwrap_or_default(),
        return_object,
    };
    ctx.leave();
    Ok(c)
}
