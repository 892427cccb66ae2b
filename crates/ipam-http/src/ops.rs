//! The operation registry: operations that change failovers run in the background through
//! [`Engine::run`](ipam_engine::Engine::run); their progress events are kept here, in order,
//! and fanned out to any number of Server-Sent-Events subscribers.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use ipam_engine::{Engine, OperationResult, ProgressSink, RunOptions};
use ipam_model::*;
use tokio::sync::Notify;

use crate::dto::{Operation, SubTask};

/// One operation: its resource and every event so far.
pub struct OpEntry {
    state: Mutex<OpState>,
    notify: Notify,
}

struct OpState {
    resource: Operation,
    events: Vec<ProgressEvent>,
    done: bool,
}

impl OpEntry {
    /// The operation resource now.
    pub fn resource(&self) -> Operation {
        self.state.lock().expect("op lock").resource.clone()
    }

    /// Events from `from` on, whether the operation is done, and (when none are new and it
    /// is not done) a wake-up registered before the lock was released.
    pub async fn next_events(&self, from: usize) -> (Vec<ProgressEvent>, bool) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let s = self.state.lock().expect("op lock");
                if from < s.events.len() || s.done {
                    return (s.events.get(from..).unwrap_or_default().to_vec(), s.done);
                }
            }
            notified.await;
        }
    }

    fn record(&self, event: ProgressEvent) {
        let mut s = self.state.lock().expect("op lock");
        apply(&mut s.resource, &event);
        s.events.push(event);
        s.resource.events = s.events.len();
        drop(s);
        self.notify.notify_waiters();
    }

    fn finish(&self, result: &Result<OperationResult, IpamException>) {
        let mut s = self.state.lock().expect("op lock");
        match result {
            Ok(r) => {
                s.resource.status = OverallProgressStatus::CompletedWithSuccess;
                s.resource.result_record_id = r.record_id;
                s.resource.percent = 100;
            }
            Err(e) => {
                s.resource.status = OverallProgressStatus::CompletedWithFailure;
                s.resource.exception = Some(e.clone());
            }
        }
        s.done = true;
        drop(s);
        self.notify.notify_waiters();
    }
}

fn sub_task(t: &SubTaskInstance) -> SubTask {
    SubTask {
        id: t.sub_task_instance_id,
        kind: t.sub_task_unique_id,
        name: t.sub_task_name.clone(),
        status: t.sub_task_status,
        description: t.progress_status_descriptions.clone(),
        exception: t.failed_completion_status.clone(),
    }
}

/// Folds one event into the resource.
fn apply(r: &mut Operation, event: &ProgressEvent) {
    match event {
        ProgressEvent::StartProgressCallback { .. } => {
            r.status = OverallProgressStatus::InProgress;
        }
        ProgressEvent::AddSubTask { sub_task_instance } => {
            r.sub_tasks.push(sub_task(sub_task_instance));
        }
        ProgressEvent::SetSubTaskStatus {
            sub_task_instance, ..
        } => {
            let t = sub_task(sub_task_instance);
            match r.sub_tasks.iter_mut().find(|x| x.id == t.id) {
                Some(x) => *x = t,
                None => r.sub_tasks.push(t),
            }
        }
        ProgressEvent::SetCompletionPercentage {
            completion_percentage,
        } => r.percent = (*completion_percentage).min(100),
        ProgressEvent::SetOverallStatus {
            overall_status,
            completion_status,
        } => {
            r.status = *overall_status;
            if let Some(c) = completion_status {
                if let Some(e) = &c.error_info {
                    r.exception = Some(e.clone());
                }
                if r.result_record_id.is_none() {
                    r.result_record_id = c
                        .return_object
                        .as_ref()
                        .map(|f| f.record_id)
                        .filter(|id| *id > 0);
                }
            }
        }
    }
}

struct Sink(Arc<OpEntry>);

impl ProgressSink for Sink {
    fn report(&self, event: ProgressEvent) {
        self.0.record(event);
    }
}

/// Every operation still running plus the last `keep_finished` finished ones.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Mutex<Inner>>,
    keep_finished: usize,
    counter: Arc<AtomicU64>,
    seed: RandomState,
}

#[derive(Default)]
struct Inner {
    ops: HashMap<String, Arc<OpEntry>>,
    finished: VecDeque<String>,
}

impl Registry {
    /// A registry keeping the last `keep_finished` finished operations.
    pub fn new(keep_finished: usize) -> Self {
        Registry {
            inner: Arc::default(),
            keep_finished: keep_finished.max(1),
            counter: Arc::default(),
            seed: RandomState::new(),
        }
    }

    /// The operation `id`, if it is still kept.
    pub fn get(&self, id: &str) -> Option<Arc<OpEntry>> {
        self.inner
            .lock()
            .expect("registry lock")
            .ops
            .get(id)
            .cloned()
    }

    /// Number of operations running now.
    pub fn running(&self) -> usize {
        let inner = self.inner.lock().expect("registry lock");
        inner.ops.len() - inner.finished.len()
    }

    /// Waits until no operation started through the API is running, at most `timeout`;
    /// true when none is left.
    pub async fn drain(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.running() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        true
    }

    fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let salt = self.seed.hash_one(n) & 0xffff_ffff;
        format!("op-{n}-{salt:08x}")
    }

    /// Starts `params` on `engine` in a spawned task; returns the operation at once.
    pub fn start(
        &self,
        engine: &Engine,
        params: IpamOperationWithProgressParameters,
        options: RunOptions,
    ) -> Operation {
        let id = self.new_id();
        let resource = Operation {
            id: id.clone(),
            operation_id: params
                .operation_id
                .expect("the API always sets OperationId"),
            status: OverallProgressStatus::NotStarted,
            percent: 0,
            sub_tasks: Vec::new(),
            result_record_id: None,
            exception: None,
            created_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
            events: 0,
        };
        let entry = Arc::new(OpEntry {
            state: Mutex::new(OpState {
                resource: resource.clone(),
                events: Vec::new(),
                done: false,
            }),
            notify: Notify::new(),
        });
        self.inner
            .lock()
            .expect("registry lock")
            .ops
            .insert(id.clone(), entry.clone());
        let engine = engine.clone();
        let registry = self.clone();
        let span = tracing::info_span!("operation", id = %id, operation = %resource.operation_id);
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let sink = Sink(entry.clone());
                let run = std::panic::AssertUnwindSafe(engine.run(&params, options, &sink));
                let result = match futures::FutureExt::catch_unwind(run).await {
                    Ok(r) => r,
                    Err(_) => Err(IpamException::new(
                        IpamExceptionId::IpamApiGenericDatabaseError,
                        "the operation stopped on an internal error; its transaction was rolled back",
                    )),
                };
                entry.finish(&result);
                registry.finished(&id);
            },
            span,
        ));
        resource
    }

    fn finished(&self, id: &str) {
        let mut inner = self.inner.lock().expect("registry lock");
        inner.finished.push_back(id.to_owned());
        while inner.finished.len() > self.keep_finished {
            if let Some(old) = inner.finished.pop_front() {
                inner.ops.remove(&old);
            }
        }
    }
}
