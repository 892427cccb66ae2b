//! The server side of an `IIpamOperationWithProgress` session (§3.19.1.1, §3.19.4.1–.4).

use ipam_model::{
    IpamAdminOperationId, IpamException, IpamExceptionId, IpamOperationWithProgressParameters,
};

use crate::{Engine, OperationResult, ProgressSink, RunOptions};

/// The per-session states of §3.19.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Session Initialized: waiting for `InitializeOperationParameters`.
    Initialized,
    /// OperationWithProgress Initialized: parameters stored, waiting for
    /// `StartOperationWithCallback`.
    OperationInitialized,
    /// OperationWithProgress Started: the delegate runs.
    Started,
    /// OperationWithProgress Completed: `SetOverallStatus` was sent; the session closes.
    Completed,
    /// The session ended (a failed `InitializeOperationParameters`, or closed).
    Closed,
}

/// A fault for the caller, and whether the session must end after sending it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFault {
    /// The fault detail.
    pub exception: IpamException,
    /// True when the transport must close the session after the fault (§3.19.4.3).
    pub close_session: bool,
}

/// One session: the state machine and the stored `IpamOperationWithProgressParameter`.
pub struct Session {
    engine: Engine,
    state: SessionState,
    params: Option<IpamOperationWithProgressParameters>,
}

impl Session {
    pub(crate) fn new(engine: Engine) -> Self {
        Session {
            engine,
            state: SessionState::Initialized,
            params: None,
        }
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The operation the session was initialised for.
    pub fn operation_id(&self) -> Option<IpamAdminOperationId> {
        self.params.as_ref().and_then(|p| p.operation_id)
    }

    fn out_of_order(&self, call: &str) -> SessionFault {
        SessionFault {
            exception: IpamException::new(
                IpamExceptionId::IpamApiOperationNotAllowed,
                format!(
                    "{call} is not allowed in session state {:?} (MS-IPAMM2 §3.19.1.1)",
                    self.state
                ),
            ),
            close_session: false,
        }
    }

    /// `InitializeOperationParameters` (§3.19.4.3): validates and stores the parameters.
    /// On failure the session ends: the fault says so.
    pub fn initialize_operation_parameters(
        &mut self,
        params: Option<IpamOperationWithProgressParameters>,
    ) -> Result<(), SessionFault> {
        if self.state != SessionState::Initialized {
            return Err(self.out_of_order("InitializeOperationParameters"));
        }
        match Engine::validate_parameters(params.as_ref()) {
            Ok(_) => {
                self.params = params;
                self.state = SessionState::OperationInitialized;
                Ok(())
            }
            Err(exception) => {
                self.state = SessionState::Closed;
                Err(SessionFault {
                    exception,
                    close_session: true,
                })
            }
        }
    }

    /// `StartOperationWithCallback` (§3.19.4.4): runs the operation, reporting through
    /// `sink` from `StartProgressCallback` to `SetOverallStatus`.
    pub async fn start_operation_with_callback(
        &mut self,
        sink: &dyn ProgressSink,
    ) -> Result<OperationResult, SessionFault> {
        if self.state != SessionState::OperationInitialized {
            return Err(self.out_of_order("StartOperationWithCallback"));
        }
        let params = self
            .params
            .clone()
            .expect("parameters are stored in OperationInitialized");
        self.state = SessionState::Started;
        let result = self.engine.run(&params, RunOptions::default(), sink).await;
        self.state = SessionState::Completed;
        result.map_err(|exception| SessionFault {
            exception,
            close_session: false,
        })
    }

    /// The transport saw the session close or fault (§3.19.4.2).
    pub fn close(&mut self) {
        self.state = SessionState::Closed;
    }
}
