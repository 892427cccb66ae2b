//! The shipped §6 WSDL and §7 schemas are well-formed and declare every type and action the
//! codec reads or writes.

use std::collections::HashSet;

use ipam_soap::ns;

const XS: &str = "http://www.w3.org/2001/XMLSchema";
const FILES: &[&str] = &[
    "Microsoft.Windows.Ipam.xsd",
    "Microsoft.Windows.Ipam1.xsd",
    "schemas.microsoft.com.2003.10.Serialization.Arrays.xsd",
    "schemas.microsoft.com.2003.10.Serialization.xsd",
    "System.Collections.Generic.xsd",
    "System.Net.Sockets.xsd",
    "System.Net.xsd",
    "System.xsd",
];

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/wsdl/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Every (target namespace, type name) declared by the schemas.
fn declared() -> HashSet<(String, String)> {
    let mut out = HashSet::new();
    for f in FILES {
        let text = read(f);
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        let root = doc.root_element();
        assert!(root.has_tag_name((XS, "schema")), "{f}");
        let tns = root.attribute("targetNamespace").unwrap().to_owned();
        for t in root
            .children()
            .filter(|n| n.has_tag_name((XS, "complexType")) || n.has_tag_name((XS, "simpleType")))
        {
            out.insert((tns.clone(), t.attribute("name").unwrap().to_owned()));
        }
    }
    out
}

#[test]
fn every_file_is_well_formed() {
    for f in FILES.iter().chain(&["MS-IPAMM2.wsdl"]) {
        roxmltree::Document::parse(&read(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn every_type_the_codec_handles_is_declared() {
    let d = declared();
    let ipam = [
        "IpamObject",
        "BaseIpamObject",
        "IpamOperationWithProgressParameters",
        "DhcpFailover",
        "ArrayOfDhcpFailoverOperations",
        "DhcpFailoverOperations",
        "DhcpFailoverMode",
        "DhcpFailoverState",
        "DhcpFailoverOperationOwner",
        "DhcpFailoverConfigSyncStatus",
        "ArrayOfDhcpScope",
        "DhcpScope",
        "DhcpScopeV4",
        "DhcpScopeStatus",
        "DhcpServer",
        "DhcpServerV4",
        "ServerRoleDhcp",
        "ServerInfo",
        "IpamExceptionData",
        "SubTaskInstance",
        "SubTaskStatus",
        "FailoverDataFormatter",
        "DhcpMsmOverallCompletionStatus",
        "EntityStatusCollection",
        "ArrayOfEntityStatus",
        "EntityStatus",
        "IpamObjectType",
        "EntityOperationType",
    ];
    let mut missing = Vec::new();
    let mut check = |ns: &str, name: &str| {
        if !d.contains(&(ns.to_owned(), name.to_owned())) {
            missing.push(format!("{{{ns}}}{name}"));
        }
    };
    for t in ipam.iter().chain(ns::OPERATION_PARAMETER_TYPES) {
        check(ns::IPAM, t);
    }
    for t in [
        "IpamException",
        "IpamExceptionId",
        "IpamAdminOperationId",
        "OverallProgressStatus",
    ] {
        check(ns::IPAM1, t);
    }
    for t in ["ArrayOflong", "ArrayOfstring", "ArrayOfunsignedShort"] {
        check(ns::SERARR, t);
    }
    check(ns::SER, "duration");
    check(ns::SYSNET, "IPAddress");
    check(ns::SYSNET, "ArrayOfIPAddress");
    check(
        "http://schemas.datacontract.org/2004/07/System.Net.Sockets",
        "AddressFamily",
    );
    check(
        "http://schemas.datacontract.org/2004/07/System",
        "Exception",
    );
    assert!(missing.is_empty(), "not declared: {missing:?}");
}

#[test]
fn every_enumeration_value_the_model_writes_is_declared() {
    use ipam_model::*;
    let text = read("Microsoft.Windows.Ipam.xsd");
    let doc = roxmltree::Document::parse(&text).unwrap();
    let values = |ty: &str| -> HashSet<String> {
        let t = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name((XS, "simpleType")) && n.attribute("name") == Some(ty))
            .unwrap_or_else(|| panic!("{ty}"));
        t.descendants()
            .filter(|n| n.has_tag_name((XS, "enumeration")))
            .map(|n| n.attribute("value").unwrap().to_owned())
            .collect()
    };
    let check = |ty: &str, names: Vec<&str>| {
        let v = values(ty);
        for n in names {
            assert!(v.contains(n), "{ty} lacks {n}");
        }
    };
    check(
        "DhcpFailoverMode",
        DhcpFailoverMode::ALL.iter().map(|v| v.as_str()).collect(),
    );
    check(
        "DhcpFailoverState",
        DhcpFailoverState::ALL.iter().map(|v| v.as_str()).collect(),
    );
    check(
        "DhcpFailoverOperationOwner",
        DhcpFailoverOperationOwner::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
    );
    check(
        "DhcpFailoverOperations",
        DhcpFailoverOperations::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
    );
    check(
        "DhcpFailoverConfigSyncStatus",
        DhcpFailoverConfigSyncStatus::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
    );
    check(
        "SubTaskStatus",
        SubTaskStatus::ALL.iter().map(|v| v.as_str()).collect(),
    );
    check(
        "IpamObjectType",
        IpamObjectType::ALL.iter().map(|v| v.as_str()).collect(),
    );
    check(
        "EntityOperationType",
        EntityOperationType::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
    );
    check("DhcpScopeStatus", vec!["Activated", "Deactivated"]);
}

#[test]
fn the_wsdl_declares_the_actions_we_use() {
    let text = read("MS-IPAMM2.wsdl");
    let doc = roxmltree::Document::parse(&text).unwrap();
    let actions: HashSet<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute(("http://www.w3.org/2006/05/addressing/wsdl", "Action")))
        .collect();
    let mut ours = vec![
        ns::ACTION_INITIALIZE,
        ns::ACTION_INITIALIZE_RESPONSE,
        ns::ACTION_START,
        ns::ACTION_START_RESPONSE,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    ours.extend(
        ns::CALLBACKS
            .iter()
            .map(|c| ns::callback_action(c).into_owned()),
    );
    for a in ours {
        assert!(actions.contains(a.as_str()), "{a} not in the WSDL");
    }
    // The request element keeps the spec's spelling.
    let ipam = read("Microsoft.Windows.Ipam.xsd");
    assert!(ipam.contains(
        r#"name="paramters" nillable="true" type="ipam:IpamOperationWithProgressParameters""#
    ));
}
