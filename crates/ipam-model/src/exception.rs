//! `ipam1:IpamException` (§2.2.4.247) with its `IpamExceptionData` (§2.2.4.252): the detail
//! of every fault the protocol sends (§2.2.2.1).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::exception_id::IpamExceptionId;

/// An IPAM fault: an id, a message for people, and an optional cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpamException {
    /// `IpamExceptionData.ExceptionId`.
    pub exception_id: IpamExceptionId,
    /// `IpamExceptionData.ExceptionMessage`: what went wrong, naming the offending values.
    pub message: String,
    /// `InnerIpamException`: the cause, where there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inner: Option<Box<IpamException>>,
}

impl IpamException {
    /// A fault without a cause.
    pub fn new(exception_id: IpamExceptionId, message: impl Into<String>) -> Self {
        IpamException {
            exception_id,
            message: message.into(),
            inner: None,
        }
    }

    /// The same fault, caused by `inner`.
    pub fn with_inner(mut self, inner: IpamException) -> Self {
        self.inner = Some(Box::new(inner));
        self
    }

    /// `IpamApiInvalidParameter`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(IpamExceptionId::IpamApiInvalidParameter, message)
    }
}

impl fmt::Display for IpamException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception_id, self.message)?;
        if let Some(inner) = &self.inner {
            write!(f, " (caused by {inner})")?;
        }
        Ok(())
    }
}

impl std::error::Error for IpamException {}
