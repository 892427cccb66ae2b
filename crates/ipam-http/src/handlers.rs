//! The route handlers.

use std::convert::Infallible;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use ipam_engine::RunOptions;
use ipam_model::*;
use serde::Deserialize;

use crate::Api;
use crate::dto::*;
use crate::error::{ApiError, ApiJson, ApiQuery, IdPath};

type Result<T> = std::result::Result<T, ApiError>;

// ----- health, metrics, OpenAPI ----------------------------------------------------------

pub async fn healthz(State(api): State<Api>) -> Response {
    let ping = async {
        let mut conn = api.state.engine.store().conn().await?;
        conn.db().ping().await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), ping).await {
        Ok(Ok(())) => {
            Json(serde_json::json!({"status": "ok", "store": "reachable"})).into_response()
        }
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unavailable", "store": e.to_string()})),
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unavailable", "store": "no answer within 5 s"})),
        )
            .into_response(),
    }
}

pub async fn metrics_text(State(api): State<Api>) -> Response {
    let body = api.metrics.render(&crate::metrics::Readings {
        open_sessions: api.state.open_sessions.load(Ordering::Relaxed),
        running_operations: api.registry.running(),
        group_commit: api.state.engine.store().group_commit_stats(),
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(crate::openapi())
}

pub async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        IpamExceptionId::IpamApiObjectNotFound,
        "no such route; see /api/v1/openapi.json",
    )
}

pub async fn no_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        IpamExceptionId::IpamApiOperationNotAllowed,
        "this route does not accept that method; see /api/v1/openapi.json",
    )
}

fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

// ----- servers ---------------------------------------------------------------------------

pub async fn list_servers(State(api): State<Api>) -> Result<Json<Vec<Server>>> {
    let mut conn = api.state.engine.store().conn().await?;
    let servers = conn.db().list_servers().await?;
    Ok(Json(servers.into_iter().map(Server::from).collect()))
}

pub async fn create_server(
    State(api): State<Api>,
    ApiJson(new): ApiJson<NewServer>,
) -> Result<Response> {
    let server = api
        .state
        .engine
        .store()
        .write(move |mut db| Box::pin(async move { db.insert_server(&new).await }))
        .await?;
    tracing::info!(record_id = server.record_id, name = %server.name, "DHCP server registered");
    Ok(created(
        format!("/api/v1/dhcp-servers/{}", server.record_id),
        Server::from(server),
    ))
}

pub async fn get_server(State(api): State<Api>, IdPath(id): IdPath) -> Result<Json<Server>> {
    let mut conn = api.state.engine.store().conn().await?;
    match conn.db().get_server(id).await? {
        Some(s) => Ok(Json(s.into())),
        None => Err(ApiError::not_found(
            IpamExceptionId::IpamApiServerNotFoundInDB,
            format!("DHCP server {id} does not exist"),
        )),
    }
}

pub async fn delete_server(State(api): State<Api>, IdPath(id): IdPath) -> Result<StatusCode> {
    api.state
        .engine
        .store()
        .write(move |mut db| Box::pin(async move { db.delete_server(id).await }))
        .await?;
    tracing::info!(record_id = id, "DHCP server deleted");
    Ok(StatusCode::NO_CONTENT)
}

// ----- scopes ----------------------------------------------------------------------------

/// `?server_record_id=`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFilter {
    server_record_id: Option<RecordId>,
}

pub async fn list_scopes(
    State(api): State<Api>,
    ApiQuery(q): ApiQuery<ServerFilter>,
) -> Result<Json<Vec<Scope>>> {
    let mut conn = api.state.engine.store().conn().await?;
    let scopes = conn.db().list_scopes(q.server_record_id).await?;
    Ok(Json(scopes.into_iter().map(Scope::from).collect()))
}

pub async fn create_scope(
    State(api): State<Api>,
    ApiJson(body): ApiJson<NewScope>,
) -> Result<Response> {
    let server = body.server_record_id;
    let new = body.into_model();
    let scope = api
        .state
        .engine
        .store()
        .write(move |mut db| Box::pin(async move { db.insert_scope(&new).await }))
        .await
        .map_err(|e| match e {
            // The body names the server: a semantic error, not a missing URL resource.
            ipam_store::StoreError::NotFound { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                IpamExceptionId::IpamApiServerNotFoundInDB,
                format!("server_record_id {server} names no registered DHCP server"),
            )
            .field("server_record_id"),
            e => e.into(),
        })?;
    tracing::info!(record_id = scope.record_id, subnet = %scope.scope_id, "DHCP scope registered");
    Ok(created(
        format!("/api/v1/dhcp-scopes/{}", scope.record_id),
        Scope::from(scope),
    ))
}

pub async fn get_scope(State(api): State<Api>, IdPath(id): IdPath) -> Result<Json<Scope>> {
    let mut conn = api.state.engine.store().conn().await?;
    match conn.db().get_scope(id).await? {
        Some(s) => Ok(Json(s.into())),
        None => Err(ApiError::not_found(
            IpamExceptionId::IpamApiDhcpScopeNotFoundInDB,
            format!("DHCP scope {id} does not exist"),
        )),
    }
}

pub async fn delete_scope(State(api): State<Api>, IdPath(id): IdPath) -> Result<StatusCode> {
    api.state
        .engine
        .store()
        .write(move |mut db| Box::pin(async move { db.delete_scope(id).await }))
        .await?;
    tracing::info!(record_id = id, "DHCP scope deleted");
    Ok(StatusCode::NO_CONTENT)
}

// ----- failovers: reads ------------------------------------------------------------------

pub async fn list_failovers(
    State(api): State<Api>,
    ApiQuery(q): ApiQuery<ServerFilter>,
) -> Result<Json<Vec<Failover>>> {
    let list = match q.server_record_id {
        Some(s) => api.state.engine.failovers_by_server_ids(&[s]).await?,
        None => api.state.engine.failovers().await?,
    };
    Ok(Json(list.into_iter().map(Failover::from).collect()))
}

pub async fn get_failover(State(api): State<Api>, IdPath(id): IdPath) -> Result<Json<Failover>> {
    Ok(Json(api.state.engine.failover(id).await?.into()))
}

pub async fn failover_scopes(
    State(api): State<Api>,
    IdPath(id): IdPath,
) -> Result<Json<Vec<Scope>>> {
    let scopes = api.state.engine.failover_scopes(id).await?;
    Ok(Json(scopes.into_iter().map(Scope::from).collect()))
}

// ----- failovers: operations -------------------------------------------------------------

fn accepted(op: Operation) -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/operations/{}", op.id))],
        Json(op),
    )
        .into_response()
}

/// Checks the change with the engine (a rehearsal: every check, store included, rolled
/// back): a change bound to fail is answered at once with its fault and status; otherwise
/// it is accepted as an operation that runs the same engine for real.
async fn start(
    api: &Api,
    operation_id: IpamAdminOperationId,
    derived: DerivedParameters,
    options: RunOptions,
) -> Result<Response> {
    let params = IpamOperationWithProgressParameters {
        operation_id: Some(operation_id),
        derived,
    };
    api.state
        .engine
        .check(&params, options)
        .await
        .map_err(|e| {
            // Ids named in the body (scopes, servers) that do not exist make the body
            // unprocessable; an unknown id in the URL was answered 404 before.
            let body_reference = matches!(
                e.exception_id,
                IpamExceptionId::IpamApiDhcpScopeNotFoundInDB
                    | IpamExceptionId::IpamApiServerNotFoundInDB
            );
            let mut err = ApiError::from(e);
            if body_reference {
                err.status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            err
        })?;
    let op = api.registry.start(&api.state.engine, params, options);
    tracing::info!(operation = %op.id, operation_id = %operation_id, "operation accepted");
    Ok(accepted(op))
}

pub async fn create_failover(
    State(api): State<Api>,
    ApiJson(body): ApiJson<NewFailover>,
) -> Result<Response> {
    let mut f = body.to_model();
    // Like the console: names and addresses default to the registered servers'.
    if f.server1_name.is_none()
        || f.server2_name.is_none()
        || f.server1_ip.is_none()
        || f.server2_ip.is_none()
    {
        let mut conn = api.state.engine.store().conn().await?;
        let mut db = conn.db();
        if let Some(s) = db.get_server(f.server1_record_id).await? {
            f.server1_name.get_or_insert(s.name);
            f.server1_ip.get_or_insert(s.address);
        }
        if let Some(s) = db.get_server(f.server2_record_id).await? {
            f.server2_name.get_or_insert(s.name);
            f.server2_ip.get_or_insert(s.address);
        }
    }
    start(
        &api,
        IpamAdminOperationId::CreateDhcpFailover,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(f),
            scope_ids: body.scope_ids,
        }),
        RunOptions::default(),
    )
    .await
}

pub async fn edit_failover(
    State(api): State<Api>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<FailoverPatch>,
) -> Result<Response> {
    api.state.engine.failover(id).await?;
    start(
        &api,
        IpamAdminOperationId::EditDhcpFailover,
        DerivedParameters::DhcpFailover(DhcpFailoverParameters {
            failover: Some(body.to_model(id)),
        }),
        RunOptions::default(),
    )
    .await
}

pub async fn add_scopes(
    State(api): State<Api>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<AddScopes>,
) -> Result<Response> {
    let failover = api.state.engine.failover(id).await?;
    start(
        &api,
        IpamAdminOperationId::AddDhcpFailoverScopes,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(failover),
            scope_ids: Some(body.scope_ids),
        }),
        RunOptions::default(),
    )
    .await
}

pub async fn remove_scopes(
    State(api): State<Api>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<RemoveScopes>,
) -> Result<Response> {
    api.state.engine.failover(id).await?;
    start(
        &api,
        IpamAdminOperationId::RemoveDhcpFailoverScopes,
        DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
            force: body.force,
            scope_ids: Some(body.scope_ids),
        }),
        RunOptions {
            relationship: Some(id),
        },
    )
    .await
}

/// `?force=true`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForceQuery {
    #[serde(default)]
    force: bool,
}

pub async fn delete_failover(
    State(api): State<Api>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ForceQuery>,
) -> Result<Response> {
    let failover = api.state.engine.failover(id).await?;
    start(
        &api,
        IpamAdminOperationId::DeleteDhcpFailover,
        DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
            failover: Some(failover),
            force: q.force,
        }),
        RunOptions::default(),
    )
    .await
}

pub async fn replicate(State(api): State<Api>, IdPath(id): IdPath) -> Result<Response> {
    let failover = api.state.engine.failover(id).await?;
    start(
        &api,
        IpamAdminOperationId::ReplicateRelation,
        DerivedParameters::ReplicateRelation(ReplicateRelationParameters {
            failover_relation: Some(failover),
        }),
        RunOptions::default(),
    )
    .await
}

// ----- operations ------------------------------------------------------------------------

fn operation(api: &Api, id: &str) -> Result<std::sync::Arc<crate::ops::OpEntry>> {
    api.registry.get(id).ok_or_else(|| {
        ApiError::not_found(
            IpamExceptionId::IpamApiObjectNotFound,
            format!(
                "operation '{}' does not exist (or finished long ago and was forgotten)",
                id.chars().take(64).collect::<String>()
            ),
        )
    })
}

pub async fn get_operation(
    State(api): State<Api>,
    Path(id): Path<String>,
) -> Result<Json<Operation>> {
    Ok(Json(operation(&api, &id)?.resource()))
}

/// One SSE event per progress callback: replayed from the start (or after `Last-Event-ID`),
/// then live; the stream ends after `SetOverallStatus`.
pub async fn operation_events(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    let entry = operation(&api, &id)?;
    let from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(0, |last| last + 1);
    let stream = futures::stream::unfold(
        (
            entry,
            from,
            std::collections::VecDeque::<(usize, ProgressEvent)>::new(),
            false,
        ),
        |(entry, mut next, mut pending, mut done)| async move {
            loop {
                if let Some((i, ev)) = pending.pop_front() {
                    let ev: ProgressEvent = ev;
                    let sse = Event::default()
                        .event(ev.name())
                        .id(i.to_string())
                        .json_data(&ev)
                        .unwrap_or_else(|_| Event::default().event(ev.name()));
                    return Some((Ok(sse), (entry, next, pending, done)));
                }
                if done {
                    return None;
                }
                let (events, finished) = entry.next_events(next).await;
                for ev in events {
                    pending.push_back((next, ev));
                    next += 1;
                }
                done = finished;
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
