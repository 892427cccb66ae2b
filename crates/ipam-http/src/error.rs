//! Errors as JSON (`{exception_id, message, field?}`) with a precise status, and the
//! extractors that turn malformed requests into 400/413 instead of panics or 500s.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use ipam_model::validate::FieldViolation;
use ipam_model::{IpamException, IpamExceptionId};
use ipam_store::{Entity, StoreError, UniqueConstraint};
use serde::de::DeserializeOwned;

use crate::dto::ErrorBody;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error with `status`, `id` and `message`.
    pub fn new(status: StatusCode, id: IpamExceptionId, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                exception_id: id,
                message: message.into(),
                field: None,
                inner: None,
            },
        }
    }

    /// Names the offending JSON field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        let f = field.into();
        if !f.is_empty() && f != "." {
            self.body.field = Some(f);
        }
        self
    }

    /// 400 `IpamApiInvalidParameter`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            IpamExceptionId::IpamApiInvalidParameter,
            message,
        )
    }

    /// 404 for a record the URL names.
    pub fn not_found(id: IpamExceptionId, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, id, message)
    }

    /// 422 for field rules, naming the first field.
    pub fn invalid(violations: &[FieldViolation]) -> Self {
        let e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            IpamExceptionId::IpamApiInvalidParameter,
            ipam_model::validate::describe(violations),
        );
        match violations.first() {
            Some(v) => e.field(json_field(v.field)),
            None => e,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, exception = %self.body.exception_id, message = %self.body.message, "request failed");
        } else {
            tracing::debug!(status = %self.status, exception = %self.body.exception_id, message = %self.body.message, "request rejected");
        }
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// The HTTP status for a fault the engine raised.
pub fn status_of(id: IpamExceptionId) -> StatusCode {
    use IpamExceptionId as X;
    match id {
        X::IpamApiObjectNotFoundInDatabase
        | X::IpamApiObjectNotFound
        | X::IpamApiServerNotFoundInDB
        | X::IpamApiDhcpScopeNotFoundInDB => StatusCode::NOT_FOUND,
        X::IpamApiFailedWithUniqueKeyViolation | X::IpamApiServerAlreadyInDB => {
            StatusCode::CONFLICT
        }
        X::IpamApiInvalidParameter
        | X::IpamApiDhcpScopesNotPartOfSameServer
        | X::IpamApiOperationNotAllowed => StatusCode::UNPROCESSABLE_ENTITY,
        X::IpamApiMethodNotImplemented => StatusCode::NOT_IMPLEMENTED,
        X::IpamApiGenericDatabaseError | X::IpamApiDhcpFailoverFailedToFetchFromIpamDatabase => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<IpamException> for ApiError {
    fn from(e: IpamException) -> Self {
        ApiError {
            status: status_of(e.exception_id),
            body: ErrorBody {
                exception_id: e.exception_id,
                message: e.message,
                field: None,
                inner: e.inner,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use IpamExceptionId as X;
        let msg = e.to_string();
        match &e {
            StoreError::NotFound { entity, .. } => {
                let id = match entity {
                    Entity::DhcpServer => X::IpamApiServerNotFoundInDB,
                    Entity::DhcpScope => X::IpamApiDhcpScopeNotFoundInDB,
                    _ => X::IpamApiObjectNotFoundInDatabase,
                };
                Self::not_found(id, msg)
            }
            StoreError::UniqueViolation { constraint, .. } => {
                let (id, field) = match constraint {
                    UniqueConstraint::ServerName => (X::IpamApiServerAlreadyInDB, "name"),
                    UniqueConstraint::ScopeSubnet => {
                        (X::IpamApiFailedWithUniqueKeyViolation, "scope_id")
                    }
                    UniqueConstraint::FailoverRelation => {
                        (X::IpamApiFailedWithUniqueKeyViolation, "relationship_name")
                    }
                    UniqueConstraint::ScopeInOneRelationship => {
                        (X::IpamApiFailedWithUniqueKeyViolation, "scope_ids")
                    }
                    UniqueConstraint::Other => (X::IpamApiFailedWithUniqueKeyViolation, ""),
                };
                Self::new(StatusCode::CONFLICT, id, msg).field(field)
            }
            StoreError::StillReferenced { .. } => {
                Self::new(StatusCode::CONFLICT, X::IpamApiFailedToDelete, msg)
            }
            StoreError::ForeignKeyViolation { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                X::IpamApiObjectNotFound,
                msg,
            ),
            StoreError::Invalid(v) => Self::invalid(v),
            _ => Self::new(
                if e.is_transient() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                },
                X::IpamApiGenericDatabaseError,
                msg,
            ),
        }
    }
}

/// The JSON name of a field the model names by its XSD name (`Server1IP` → `server1_ip`).
pub fn json_field(xsd: &str) -> String {
    match xsd {
        "ParentDhcpServerRecordId" => return "server_record_id".into(),
        "ScopeName" => return "name".into(),
        "ScopeIds" => return "scope_ids".into(),
        _ => {}
    }
    let chars: Vec<char> = xsd.chars().collect();
    let mut out = String::with_capacity(xsd.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A JSON body: size-limited (413), syntax errors and wrong shapes are 400 naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                let status = e.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        status,
                        IpamExceptionId::IpamApiInvalidParameter,
                        "the request body is larger than this server accepts",
                    )
                } else {
                    ApiError::bad_request(format!("cannot read the request body: {e}"))
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the path of the offending field on error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = if path.is_empty() || path == "." {
            format!("invalid JSON body: {inner}")
        } else {
            format!("invalid JSON body at '{path}': {inner}")
        };
        ApiError::bad_request(msg).field(path)
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    Ok(value)
}

/// A query string; unknown or malformed parameters are 400.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(q)
            .map(ApiQuery)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
    }
}

/// The record id in the URL: a positive 64-bit integer, else 400.
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid path: {e}")))?;
        match raw.parse::<i64>() {
            Ok(id) => Ok(IdPath(id)),
            Err(_) => Err(ApiError::bad_request(format!(
                "record_id '{}' is not a 64-bit integer",
                raw.chars().take(64).collect::<String>()
            ))
            .field("record_id")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json_field;

    #[test]
    fn xsd_names_become_snake_case() {
        assert_eq!(json_field("Server1IP"), "server1_ip");
        assert_eq!(json_field("Server1PSName"), "server1_ps_name");
        assert_eq!(json_field("MCLT"), "mclt");
        assert_eq!(json_field("RelationshipName"), "relationship_name");
        assert_eq!(json_field("StateSwitchInterval"), "state_switch_interval");
        assert_eq!(json_field("ParentDhcpServerRecordId"), "server_record_id");
        assert_eq!(json_field("name"), "name");
    }
}
