//! String enumerations of [MS-IPAMM2] §2.2.5 used by the DHCP failover slice.
//!
//! On the wire every one of them is an `xsd:string` restriction whose lexical form is the
//! variant name; absent values take the DataContract default, the first member.

/// Declares a string enumeration: `as_str`, `FromStr`, `Display`, `ALL`, serde as the
/// spec's value names, and `Default` = the first member (the DataContract default).
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $first:ident $(, $variant:ident)* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub enum $name {
            #[default]
            $first,
            $($variant,)*
        }

        impl $name {
            /// Every value, in schema order.
            pub const ALL: &'static [$name] = &[$name::$first, $($name::$variant,)*];

            /// The value's name as it travels on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $name::$first => stringify!($first),
                    $($name::$variant => stringify!($variant),)*
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownEnumValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    stringify!($first) => Ok($name::$first),
                    $(stringify!($variant) => Ok($name::$variant),)*
                    _ => Err($crate::UnknownEnumValue {
                        type_name: stringify!($name),
                        value: s.chars().take(128).collect(),
                    }),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// A string that names no value of the enumeration it was parsed as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {type_name} value")]
pub struct UnknownEnumValue {
    /// The enumeration's spec name.
    pub type_name: &'static str,
    /// The offending text (truncated to 128 characters).
    pub value: String,
}

string_enum! {
    /// `DhcpFailoverMode` (§2.2.5.17). `None` is "unspecified" and fails validation (§3.1.4.16).
    DhcpFailoverMode { None, LoadBalance, HotStandby }
}

string_enum! {
    /// `DhcpFailoverState` (§2.2.5.20): the failover states of draft-ietf-dhc-failover-12.
    DhcpFailoverState {
        Unknown, NoState, Init, Startup, Normal, CommunicationsInterrupted, PartnerDown,
        PotentialConflict, ConflictDone, ResolutionInterrupted, Recover, RecoverWait, RecoverDone,
    }
}

string_enum! {
    /// `DhcpFailoverOperationOwner` (§2.2.5.18): the server an operation started from.
    DhcpFailoverOperationOwner { ServerOne, ServerTwo }
}

string_enum! {
    /// `DhcpFailoverOperations` (§2.2.5.19): the pending database updates of `OperationTracker`.
    DhcpFailoverOperations {
        None, FailoverCreate, FailoverUpdate, FailoverAddScopes, FailoverRemoveScopes, FailoverDelete,
    }
}

string_enum! {
    /// `DhcpFailoverConfigSyncStatus` (§2.2.5.16), kept per IPv4 scope.
    DhcpFailoverConfigSyncStatus { Unknown, InSync, OutOfSync }
}

string_enum! {
    /// `ipam1:OverallProgressStatus` (§2.2.5.71): the state reported by `SetOverallStatus`.
    OverallProgressStatus { NotStarted, InProgress, CompletedWithSuccess, CompletedWithFailure }
}

string_enum! {
    /// `SubTaskStatus` (§2.2.5.101): the state reported by `SetSubTaskStatus`.
    SubTaskStatus {
        NotStarted, InProgress, CompletedWithError, CompletedWithWarning, CompletedWithSuccess,
        NotApplicable, NotRun,
    }
}

string_enum! {
    /// `DhcpScopeStatus`: whether a scope serves clients.
    DhcpScopeStatus { Active, Inactive }
}

string_enum! {
    /// `ipam1:IpamAdminOperationId` (§2.2.5.63): the 49 operations `IIpamOperationWithProgress`
    /// can run, selected by `IpamOperationWithProgressParameters.OperationId`.
    IpamAdminOperationId {
        EditDhcpServer, ApplyServerConfigurationTemplate, CreateDhcpScope, EditDhcpScope,
        DeleteDhcpScope, ApplyScopeConfigurationTemplate, AddScopesToSuperscope,
        RemoveScopesFromSuperscope, RenameSuperscope, DeleteSuperscopes,
        SetSuperscopeActivationStatus, CreateDhcpServerPolicy, CreateDhcpScopePolicy,
        UpdatePolicy, DeletePolicy, UpdatePolicyProperty, MovePolicyProcessingOrder,
        CreateDhcpReservation, DeleteDhcpReservation, DeleteDhcpReservationCollection,
        SetDhcpReservation, SetDhcpReservationCollection,
        CreateDhcpFailover, EditDhcpFailover, AddDhcpFailoverScopes, RemoveDhcpFailoverScopes,
        DeleteDhcpFailover, ResetConfigSyncStatus, ReplicateScope, ReplicateRelation,
        ReplicateServer,
        CreateDhcpFilters, UpdateDhcpFilter, UpdateDhcpFilters, DeleteDhcpFilters,
        CreateIpamIPAddress, UpdateIpamIPAddress, CreateDnsResourceRecords,
        DeleteDnsResourceRecords, UpdateDnsResourceRecords, UpdateDnsResourceRecord,
        CreateDnsZone, DeleteDnsZones, UpdateDnsZones, DnsZonesTransfer, ReloadDnsZones,
        CreateDnsConditionalForwarders, UpdateDnsConditionalForwarders,
        DeleteDnsConditionalForwarders,
    }
}

impl IpamAdminOperationId {
    /// True for the nine DHCP failover operations (§3.19.4.4.1.23–.31).
    pub const fn is_dhcp_failover(self) -> bool {
        matches!(
            self,
            Self::CreateDhcpFailover
                | Self::EditDhcpFailover
                | Self::AddDhcpFailoverScopes
                | Self::RemoveDhcpFailoverScopes
                | Self::DeleteDhcpFailover
                | Self::ResetConfigSyncStatus
                | Self::ReplicateScope
                | Self::ReplicateRelation
                | Self::ReplicateServer
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_operation_ids_are_the_49_of_the_schema() {
        assert_eq!(IpamAdminOperationId::ALL.len(), 49);
        assert_eq!(
            IpamAdminOperationId::ALL
                .iter()
                .filter(|o| o.is_dhcp_failover())
                .count(),
            9
        );
    }

    #[test]
    fn round_trips_every_value_through_its_name() {
        for v in IpamAdminOperationId::ALL {
            assert_eq!(v.as_str().parse::<IpamAdminOperationId>().unwrap(), *v);
        }
        for v in DhcpFailoverState::ALL {
            assert_eq!(v.as_str().parse::<DhcpFailoverState>().unwrap(), *v);
        }
    }

    #[test]
    fn unknown_names_are_errors_naming_the_type() {
        let e = "Bogus".parse::<DhcpFailoverMode>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "'Bogus' is not a valid DhcpFailoverMode value"
        );
        assert!(
            "createdhcpfailover"
                .parse::<IpamAdminOperationId>()
                .is_err()
        );
    }

    #[test]
    fn defaults_are_the_first_member() {
        assert_eq!(DhcpFailoverMode::default(), DhcpFailoverMode::None);
        assert_eq!(DhcpFailoverState::default(), DhcpFailoverState::Unknown);
        assert_eq!(
            DhcpFailoverConfigSyncStatus::default(),
            DhcpFailoverConfigSyncStatus::Unknown
        );
    }

    #[test]
    fn serde_uses_the_wire_names() {
        let j = serde_json::to_string(&DhcpFailoverMode::HotStandby).unwrap();
        assert_eq!(j, "\"HotStandby\"");
        let m: DhcpFailoverMode = serde_json::from_str("\"LoadBalance\"").unwrap();
        assert_eq!(m, DhcpFailoverMode::LoadBalance);
    }
}
