//! Namespace URIs and SOAP actions of [MS-IPAMM2] (§2.2.1, §6, §7) and the envelope specs.

use std::borrow::Cow;
use std::sync::LazyLock;

/// SOAP 1.2 envelope ([SOAP1.2-1/2007]).
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing 1.0.
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
/// XML Schema instance (`i:type`, `i:nil`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema (`x:string`, `x:int` in ISerializable members).
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema";
/// `ipam` (§7.1): operations, messages and most complex types.
pub const IPAM: &str = "http://Microsoft.Windows.Ipam";
/// `ipam1` (§7.2): `IpamException`, `IpamAdminOperationId`, `OverallProgressStatus`.
pub const IPAM1: &str = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam";
/// `ser` (§7.4): `duration`, `Id`, `Ref`.
pub const SER: &str = "http://schemas.microsoft.com/2003/10/Serialization/";
/// `serarr` (§7.3): `ArrayOflong`, `ArrayOfstring`, `ArrayOfunsignedShort`.
pub const SERARR: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
/// `sysnet` (§7.7): `IPAddress`.
pub const SYSNET: &str = "http://schemas.datacontract.org/2004/07/System.Net";

/// WS-Addressing anonymous address.
pub const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";

const PORT: &str = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/";
const CALLBACK_PORT: &str = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgressCallback/";

/// Input action of `InitializeOperationParameters` (§3.19.4.3).
pub const ACTION_INITIALIZE: &str =
    "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/InitializeOperationParameters";
/// Output action of `InitializeOperationParameters` (§3.19.4.3).
pub const ACTION_INITIALIZE_RESPONSE: &str = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/InitializeOperationParametersResponse";
/// Input action of `StartOperationWithCallback` (§3.19.4.4).
pub const ACTION_START: &str =
    "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/StartOperationWithCallback";
/// Output action of `StartOperationWithCallback` (§3.19.4.4).
pub const ACTION_START_RESPONSE: &str =
    "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/StartOperationWithCallbackResponse";
/// The Keepalive action (§2.2.2.2).
pub const ACTION_KEEPALIVE: &str =
    "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive";
/// Action of SOAP faults, as WCF sends them (captures, `wcf-create-exchange.txt`).
pub const ACTION_SOAP_FAULT: &str = "http://www.w3.org/2005/08/addressing/soap/fault";
/// Action of WS-Addressing faults (WS-Addressing 1.0 SOAP Binding §6).
pub const ACTION_ADDRESSING_FAULT: &str = "http://www.w3.org/2005/08/addressing/fault";

/// The action a server sends a callback with: the service port type's form (§3.19.4.5–.9;
/// digest §4.5, captures).
pub fn callback_action(name: &str) -> Cow<'static, str> {
    // Built once: a callback is sent nine times per operation.
    static ACTIONS: LazyLock<Vec<(&str, String)>> = LazyLock::new(|| {
        CALLBACKS
            .iter()
            .map(|name| (*name, format!("{PORT}{name}")))
            .collect()
    });
    match ACTIONS.iter().find(|(n, _)| *n == name) {
        Some((_, action)) => Cow::Borrowed(action.as_str()),
        None => Cow::Owned(format!("{PORT}{name}")),
    }
}

/// The callback name of an action in either port type's form (§3.19.4.5–.9, §3.21.4.2–.6).
pub fn callback_name(action: &str) -> Option<&str> {
    let name = action
        .strip_prefix(PORT)
        .or_else(|| action.strip_prefix(CALLBACK_PORT))?;
    CALLBACKS.contains(&name).then_some(name)
}

/// The five callback operations of `IIpamOperationWithProgressCallback` (§3.21.4).
pub const CALLBACKS: &[&str] = &[
    "StartProgressCallback",
    "AddSubTask",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "SetOverallStatus",
];

/// The types of the §7.1 schema derived (directly or not) from
/// `IpamOperationWithProgressParameters` (§2.2.4.286), plus the base type itself.
pub const OPERATION_PARAMETER_TYPES: &[&str] = &[
    "IpamOperationWithProgressParameters",
    "AddScopesToSuperscopeParameters",
    "ApplyDhcpScopeConfigurationparameters",
    "ApplyDhcpServerConfigurationParameters",
    "CreateDhcpFiltersParameters",
    "CreateDhcpReservationParameters",
    "CreateDhcpScopeParameters",
    "CreateDhcpScopePolicyParameters",
    "CreateDhcpServerPolicyParameters",
    "CreateDnsResourceRecordsParameters",
    "CreateDnsZoneParameters",
    "CreateIpamIPAddressParameters",
    "DeleteDhcpFiltersParameters",
    "DeleteDhcpReservationCollectionParameters",
    "DeleteDhcpReservationParameters",
    "DeleteDhcpScopeParameters",
    "DeleteDnsResourceRecordsParameters",
    "DeleteDnsZonesParameters",
    "DeletePolicyParameters",
    "DeleteSuperscopesParameters",
    "DhcpFailoverDeleteParameters",
    "DhcpFailoverParameters",
    "DhcpFailoverRemoveScopesParameters",
    "DhcpFailoverWithScopesParameters",
    "DnsConditionalForwardersParameters",
    "DnsZonesTransferParameters",
    "MovePolicyProcessingOrderParameters",
    "MultiUpdateDnsResourceRecordParameters",
    "ReloadDnsZonesParameters",
    "RemoveScopesFromSuperscopeParameters",
    "RenameSuperscopeParameters",
    "ReplicateRelationParameters",
    "ReplicateScopeParameters",
    "ReplicateServerParameters",
    "ResetConfigSyncStatusParameters",
    "SetDhcpReservationCollectionParameters",
    "SetDhcpReservationParameters",
    "SetSuperscopeActivationStatusParameters",
    "UpdateDhcpFilterParameters",
    "UpdateDhcpFiltersParameters",
    "UpdateDhcpScopeParameters",
    "UpdateDhcpServerParameters",
    "UpdateDnsResourceRecordParameters",
    "UpdateDnsZonesParameters",
    "UpdateIpamIPAddressParameters",
    "UpdatePolicyParameters",
    "UpdatePolicyPropertiesParameters",
];
