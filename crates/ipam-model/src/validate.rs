//! Field validation: `ValidateDhcpFailover` (§3.1.4.16) and the column limits of the ADM
//! tables (§3.1.1.1). Every violation names the field and the offending value.

use std::fmt;
use std::net::Ipv4Addr;

use crate::dhcp::{DhcpFailover, NewDhcpScope, NewDhcpServer};
use crate::enums::DhcpFailoverMode;

/// `RelationshipName` and other names hold at most 256 characters (§3.1.1.1.44.1).
pub const MAX_NAME_CHARS: usize = 256;

/// One field that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldViolation {
    /// The field, by its spec (XSD) name, e.g. `RelationshipName`.
    pub field: &'static str,
    /// The offending value as text (shortened to 64 characters).
    pub value: String,
    /// The rule it breaks.
    pub reason: String,
}

impl FieldViolation {
    /// A violation of `field` by `value`.
    pub fn new(field: &'static str, value: impl fmt::Display, reason: impl Into<String>) -> Self {
        let mut value = value.to_string();
        if value.chars().count() > 64 {
            value = value.chars().take(61).collect::<String>() + "...";
        }
        FieldViolation {
            field,
            value,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}' {}", self.field, self.value, self.reason)
    }
}

/// Joins violations into one message: `A 'x' is …; B 'y' is …`.
pub fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn check_name(
    out: &mut Vec<FieldViolation>,
    field: &'static str,
    name: Option<&str>,
    required: bool,
) {
    match name {
        None if required => out.push(FieldViolation::new(field, "(null)", "is required")),
        None => {}
        Some(n) if required && n.trim().is_empty() => {
            out.push(FieldViolation::new(field, n, "must not be empty or blank"))
        }
        Some(n) if n.chars().count() > MAX_NAME_CHARS => out.push(FieldViolation::new(
            field,
            n,
            format!(
                "is {} characters long; at most {MAX_NAME_CHARS} are allowed",
                n.chars().count()
            ),
        )),
        Some(n) if n.chars().any(|c| c.is_control()) => out.push(FieldViolation::new(
            field,
            n.escape_debug(),
            "must not contain control characters",
        )),
        Some(_) => {}
    }
}

/// `ValidateDhcpFailover` (§3.1.4.16) plus the column limits: the name is present, not blank
/// and at most 256 characters; `Mode` is not `None`; `Server1Percentage` ≤ 100; the text
/// columns fit; the partners are two different servers.
pub fn validate_dhcp_failover(f: &DhcpFailover) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    check_name(
        &mut out,
        "RelationshipName",
        f.relationship_name.as_deref(),
        true,
    );
    if f.mode == DhcpFailoverMode::None {
        out.push(FieldViolation::new(
            "Mode",
            f.mode,
            "must be LoadBalance or HotStandby",
        ));
    }
    if f.server1_percentage > 100 {
        out.push(FieldViolation::new(
            "Server1Percentage",
            f.server1_percentage,
            "must be between 0 and 100",
        ));
    }
    for (field, v) in [
        ("Server1Name", &f.server1_name),
        ("Server2Name", &f.server2_name),
        ("Server1PSName", &f.server1_ps_name),
        ("Server2PSName", &f.server2_ps_name),
    ] {
        check_name(&mut out, field, v.as_deref(), false);
    }
    if f.mclt.ticks() < 0 {
        out.push(FieldViolation::new("MCLT", f.mclt, "must not be negative"));
    }
    if f.state_switch_interval.ticks() < 0 {
        out.push(FieldViolation::new(
            "StateSwitchInterval",
            f.state_switch_interval,
            "must not be negative",
        ));
    }
    if f.shared_secret.as_ref().is_some_and(|s| s.len() > 1024) {
        out.push(FieldViolation::new(
            "SharedSecret",
            "(bytes)",
            "is longer than 1024 bytes",
        ));
    }
    out
}

/// The server references of a relationship to be created: both given, different.
pub fn validate_failover_partners(f: &DhcpFailover) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if f.server1_record_id <= 0 {
        out.push(FieldViolation::new(
            "Server1RecordId",
            f.server1_record_id,
            "must name a registered DHCP server",
        ));
    }
    if f.server2_record_id <= 0 {
        out.push(FieldViolation::new(
            "Server2RecordId",
            f.server2_record_id,
            "must name a registered DHCP server",
        ));
    }
    if f.server1_record_id > 0 && f.server1_record_id == f.server2_record_id {
        out.push(FieldViolation::new(
            "Server2RecordId",
            f.server2_record_id,
            "must differ from Server1RecordId: a server cannot be its own failover partner",
        ));
    }
    out
}

/// A DHCP server to register: a name (1–256 characters) and a unicast address.
pub fn validate_new_server(s: &NewDhcpServer) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    check_name(&mut out, "name", Some(&s.name), true);
    if s.address.is_unspecified() || s.address.is_broadcast() || s.address.is_multicast() {
        out.push(FieldViolation::new(
            "address",
            s.address,
            "must be a unicast IPv4 address",
        ));
    }
    check_name(&mut out, "description", s.description.as_deref(), false);
    out
}

/// Whether `mask` is a contiguous netmask (ones then zeros).
pub fn is_contiguous_mask(mask: Ipv4Addr) -> bool {
    let m = u32::from(mask);
    m.leading_ones() + m.trailing_zeros() == 32
}

/// A scope to register: a contiguous mask, `ScopeId` the subnet address, and
/// `StartAddress` ≤ `EndAddress`, both inside the subnet.
pub fn validate_new_scope(s: &NewDhcpScope) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    check_name(&mut out, "ScopeName", Some(&s.scope_name), true);
    check_name(&mut out, "Description", s.description.as_deref(), false);
    if s.parent_dhcp_server_record_id <= 0 {
        out.push(FieldViolation::new(
            "ParentDhcpServerRecordId",
            s.parent_dhcp_server_record_id,
            "must name a registered DHCP server",
        ));
    }
    if !is_contiguous_mask(s.subnet_mask) || u32::from(s.subnet_mask) == 0 {
        out.push(FieldViolation::new(
            "SubnetMask",
            s.subnet_mask,
            "is not a contiguous, non-zero netmask",
        ));
        return out;
    }
    let mask = u32::from(s.subnet_mask);
    let net = u32::from(s.scope_id);
    if net & !mask != 0 {
        out.push(FieldViolation::new(
            "ScopeId",
            s.scope_id,
            format!(
                "is not the subnet address of {}/{}",
                Ipv4Addr::from(net & mask),
                mask.leading_ones()
            ),
        ));
    }
    for (field, a) in [
        ("StartAddress", s.start_address),
        ("EndAddress", s.end_address),
    ] {
        if u32::from(a) & mask != net & mask {
            out.push(FieldViolation::new(
                field,
                a,
                format!(
                    "is outside the subnet {}/{}",
                    s.scope_id,
                    mask.leading_ones()
                ),
            ));
        }
    }
    if u32::from(s.start_address) > u32::from(s.end_address) {
        out.push(FieldViolation::new(
            "StartAddress",
            s.start_address,
            format!("is after EndAddress {}", s.end_address),
        ));
    }
    if s.lease_duration.ticks() <= 0 {
        out.push(FieldViolation::new(
            "LeaseDuration",
            s.lease_duration,
            "must be positive",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timespan::TimeSpan;

    fn failover() -> DhcpFailover {
        DhcpFailover {
            relationship_name: Some("dhcp1-dhcp2".into()),
            mode: DhcpFailoverMode::LoadBalance,
            server1_percentage: 50,
            server1_record_id: 1,
            server2_record_id: 2,
            mclt: TimeSpan::from_secs(3600),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_failover_passes() {
        assert!(validate_dhcp_failover(&failover()).is_empty());
        assert!(validate_failover_partners(&failover()).is_empty());
    }

    #[test]
    fn reports_every_violation_naming_field_and_value() {
        let mut f = failover();
        f.relationship_name = Some("  ".into());
        f.mode = DhcpFailoverMode::None;
        f.server1_percentage = 101;
        let v = validate_dhcp_failover(&f);
        let fields: Vec<_> = v.iter().map(|v| v.field).collect();
        assert_eq!(fields, ["RelationshipName", "Mode", "Server1Percentage"]);
        assert!(describe(&v).contains("Server1Percentage '101'"));
    }

    #[test]
    fn names_are_limited_to_256_characters() {
        let mut f = failover();
        f.relationship_name = Some("é".repeat(256));
        assert!(validate_dhcp_failover(&f).is_empty());
        f.relationship_name = Some("é".repeat(257));
        let v = validate_dhcp_failover(&f);
        assert_eq!(v[0].field, "RelationshipName");
        assert!(v[0].reason.contains("257"));
        f.relationship_name = None;
        assert_eq!(validate_dhcp_failover(&f)[0].reason, "is required");
    }

    #[test]
    fn partners_must_be_two_servers() {
        let mut f = failover();
        f.server2_record_id = 1;
        assert_eq!(validate_failover_partners(&f)[0].field, "Server2RecordId");
        f.server1_record_id = 0;
        assert_eq!(validate_failover_partners(&f)[0].field, "Server1RecordId");
    }

    #[test]
    fn scopes_must_be_consistent_subnets() {
        let good = NewDhcpScope {
            parent_dhcp_server_record_id: 1,
            scope_id: "10.0.0.0".parse().unwrap(),
            subnet_mask: "255.255.255.0".parse().unwrap(),
            start_address: "10.0.0.10".parse().unwrap(),
            end_address: "10.0.0.200".parse().unwrap(),
            scope_name: "office".into(),
            description: None,
            status: Default::default(),
            lease_duration: TimeSpan::from_secs(3600),
            failover_config_sync_status: Default::default(),
        };
        assert!(validate_new_scope(&good).is_empty());
        let mut bad = good.clone();
        bad.subnet_mask = "255.0.255.0".parse().unwrap();
        assert_eq!(validate_new_scope(&bad)[0].field, "SubnetMask");
        let mut bad = good.clone();
        bad.scope_id = "10.0.0.1".parse().unwrap();
        bad.end_address = "10.0.1.5".parse().unwrap();
        let fields: Vec<_> = validate_new_scope(&bad).iter().map(|v| v.field).collect();
        assert_eq!(fields, ["ScopeId", "EndAddress"]);
        let mut bad = good;
        bad.start_address = "10.0.0.201".parse().unwrap();
        assert_eq!(validate_new_scope(&bad)[0].field, "StartAddress");
    }
}
