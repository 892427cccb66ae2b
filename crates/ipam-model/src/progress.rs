//! The callbacks of `IIpamOperationWithProgressCallback` (§3.21.4.2–.6) as data, and the
//! types they carry: `SubTaskInstance` (§2.2.4.399), `DhcpMsmOverallCompletionStatus`
//! (§2.2.4.119), `EntityStatus` (§2.2.4.226), `FailoverDataFormatter` (§2.2.4.231).
//!
//! The engine emits [`ProgressEvent`]s; a transport turns them into callback messages,
//! the JSON API into server-sent events.

use serde::Serialize;

use crate::dhcp::{DhcpFailover, RecordId};
use crate::enums::{OverallProgressStatus, SubTaskStatus};
use crate::exception::IpamException;

crate::string_enum! {
    /// `IpamObjectType`: the kinds of object an [`EntityStatus`] can name (the values the
    /// failover slice uses).
    IpamObjectType { None, DHCPServerv4, DHCPScopev4, DHCPFailover }
}

crate::string_enum! {
    /// `EntityOperationType`: what happened to an entity.
    EntityOperationType { Unknown, Add, Update, Delete }
}

/// `EntityStatus` (§2.2.4.226): the outcome for one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityStatus {
    /// `IsSuccessful`.
    pub is_successful: bool,
    /// `ObjectType`.
    pub object_type: IpamObjectType,
    /// `OperationType`.
    pub operation_type: EntityOperationType,
    /// `RecordId`.
    pub record_id: RecordId,
}

/// `FailoverDataFormatter` (§2.2.4.231): what a failover sub-task works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailoverDataFormatter {
    /// `FailoverName`.
    pub failover_name: Option<String>,
    /// `Server1Name`.
    pub server1_name: Option<String>,
    /// `Server2Name`.
    pub server2_name: Option<String>,
}

/// `SubTaskInstance` (§2.2.4.399).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubTaskInstance {
    /// `FailedCompletionStatus`.
    pub failed_completion_status: Option<IpamException>,
    /// `IsNonDeterministicProgress`.
    pub is_non_deterministic_progress: bool,
    /// `ProgressStatusDescriptions`.
    pub progress_status_descriptions: Option<String>,
    /// `SubTaskInstanceDetails`.
    pub sub_task_instance_details: Option<FailoverDataFormatter>,
    /// `SubTaskInstanceId`: unique within the operation.
    pub sub_task_instance_id: i32,
    /// `SubTaskName`.
    pub sub_task_name: Option<String>,
    /// `SubTaskStatus`.
    pub sub_task_status: SubTaskStatus,
    /// `SubTaskUniqueId`: the kind of sub-task.
    pub sub_task_unique_id: i32,
}

/// The `completionStatus` of `SetOverallStatus`: a `DhcpMsmOverallCompletionStatus`
/// (§2.2.4.119). The spec leaves the member's content open; ipamd's choice is recorded in
/// docs/spec-decisions.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DhcpMsmOverallCompletionStatus {
    /// `EntityStatusCollectionObject`: an `EntityStatusCollection` of the records touched.
    pub entity_status: Vec<EntityStatus>,
    /// `ErrorInfo`: the fault, on failure.
    pub error_info: Option<IpamException>,
    /// `HasIpamUpdateError`: true when the IPAM database was not updated.
    pub has_ipam_update_error: bool,
    /// `ReturnObject`: the relationship as stored after the operation, where there is one.
    #[serde(skip)]
    pub return_object: Option<DhcpFailover>,
}

/// One callback of the operation-with-progress protocol (§3.21.4.2–.6).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "callback", rename_all = "PascalCase")]
pub enum ProgressEvent {
    /// `StartProgressCallback` (§3.21.4.6).
    StartProgressCallback {
        /// `isNonDeterministic`.
        is_non_deterministic: bool,
    },
    /// `AddSubTask` (§3.21.4.2).
    AddSubTask {
        /// `subTaskInstance`.
        sub_task_instance: SubTaskInstance,
    },
    /// `SetSubTaskStatus` (§3.21.4.5).
    SetSubTaskStatus {
        /// `subTaskInstance`.
        sub_task_instance: SubTaskInstance,
        /// `status`.
        status: SubTaskStatus,
        /// `percentComplete`, 0–100.
        percent_complete: u8,
        /// `completionStatus`: the fault when the sub-task failed.
        completion_status: Option<IpamException>,
    },
    /// `SetCompletionPercentage` (§3.21.4.3).
    SetCompletionPercentage {
        /// `completionPercentage`, 0–100.
        completion_percentage: u8,
    },
    /// `SetOverallStatus` (§3.21.4.4): the last callback of every operation.
    SetOverallStatus {
        /// `overallStatus`.
        overall_status: OverallProgressStatus,
        /// `completionStatus`.
        completion_status: Option<DhcpMsmOverallCompletionStatus>,
    },
}

impl ProgressEvent {
    /// The callback's operation name, as in the WSDL (`SetOverallStatus`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::StartProgressCallback { .. } => "StartProgressCallback",
            Self::AddSubTask { .. } => "AddSubTask",
            Self::SetSubTaskStatus { .. } => "SetSubTaskStatus",
            Self::SetCompletionPercentage { .. } => "SetCompletionPercentage",
            Self::SetOverallStatus { .. } => "SetOverallStatus",
        }
    }
}
