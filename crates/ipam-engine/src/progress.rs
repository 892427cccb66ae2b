//! The progress sink (§3.21.4) and a tracker that numbers sub-tasks and keeps their state.

use std::sync::Mutex;

use ipam_model::{
    FailoverDataFormatter, IpamException, ProgressEvent, SubTaskInstance, SubTaskStatus,
};

/// Where an operation reports its progress: exactly the protocol's callbacks, in order.
/// A transport turns each event into a callback message; the JSON API into an event.
pub trait ProgressSink: Send + Sync {
    /// Delivers one callback. Must not block for long.
    fn report(&self, event: ProgressEvent);
}

/// Collects events in memory (tests, and callers that report afterwards).
#[derive(Default)]
pub struct CollectingSink(Mutex<Vec<ProgressEvent>>);

impl CollectingSink {
    /// The events so far.
    pub fn events(&self) -> Vec<ProgressEvent> {
        self.0.lock().expect("sink lock").clone()
    }
    /// The callback names so far, e.g. `["StartProgressCallback", "AddSubTask", …]`.
    pub fn names(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .expect("sink lock")
            .iter()
            .map(ProgressEvent::name)
            .collect()
    }
}

impl ProgressSink for CollectingSink {
    fn report(&self, event: ProgressEvent) {
        self.0.lock().expect("sink lock").push(event);
    }
}

/// `SubTaskUniqueId` values ipamd uses: the kind of work a sub-task does.
#[derive(Debug, Clone, Copy)]
#[repr(i32)]
pub enum SubTaskKind {
    /// Checking the parameters and the store.
    Validate = 1,
    /// Writing the relationship row.
    Relationship = 2,
    /// Linking or unlinking one scope, or a batch of scopes.
    Scope = 3,
    /// Resetting a scope's config sync status.
    ConfigSync = 4,
    /// Replicating a scope to the partner server.
    Replicate = 5,
}

/// Numbers sub-tasks and reports their changes through a sink.
pub(crate) struct Tracker<'a> {
    sink: &'a dyn ProgressSink,
    tasks: Vec<SubTaskInstance>,
    percent: u8,
}

impl<'a> Tracker<'a> {
    pub(crate) fn new(sink: &'a dyn ProgressSink) -> Self {
        Tracker {
            sink,
            tasks: Vec::new(),
            percent: 0,
        }
    }

    /// `AddSubTask`; returns the task's index.
    pub(crate) fn add(
        &mut self,
        kind: SubTaskKind,
        name: String,
        details: Option<FailoverDataFormatter>,
    ) -> usize {
        let task = SubTaskInstance {
            failed_completion_status: None,
            is_non_deterministic_progress: false,
            progress_status_descriptions: None,
            sub_task_instance_details: details,
            sub_task_instance_id: self.tasks.len() as i32 + 1,
            sub_task_name: Some(name),
            sub_task_status: SubTaskStatus::NotStarted,
            sub_task_unique_id: kind as i32,
        };
        self.sink.report(ProgressEvent::AddSubTask {
            sub_task_instance: task.clone(),
        });
        self.tasks.push(task);
        self.tasks.len() - 1
    }

    /// `SetSubTaskStatus`.
    pub(crate) fn set(
        &mut self,
        index: usize,
        status: SubTaskStatus,
        description: Option<String>,
        error: Option<&IpamException>,
    ) {
        let task = &mut self.tasks[index];
        task.sub_task_status = status;
        task.progress_status_descriptions = description;
        task.failed_completion_status = error.cloned();
        let percent = match status {
            SubTaskStatus::NotStarted => 0,
            SubTaskStatus::InProgress => 50,
            _ => 100,
        };
        self.sink.report(ProgressEvent::SetSubTaskStatus {
            sub_task_instance: task.clone(),
            status,
            percent_complete: percent,
            completion_status: error.cloned(),
        });
    }

    /// Marks every task not finished yet with `status` (after a failure: `NotRun`).
    pub(crate) fn finish_open(&mut self, status: SubTaskStatus) {
        for i in 0..self.tasks.len() {
            if matches!(
                self.tasks[i].sub_task_status,
                SubTaskStatus::NotStarted | SubTaskStatus::InProgress
            ) {
                self.set(i, status, None, None);
            }
        }
    }

    /// `SetCompletionPercentage`, only when it moves forward.
    pub(crate) fn percent(&mut self, percent: u8) {
        let p = percent.min(100);
        if p > self.percent {
            self.percent = p;
            self.sink.report(ProgressEvent::SetCompletionPercentage {
                completion_percentage: p,
            });
        }
    }
}
