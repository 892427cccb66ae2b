//! The JSON API of ipamd (axum), under `/api/v1`: DHCP servers and scopes, failover
//! relationships, and the operations that change them, run by the same
//! [`Engine`](ipam_engine::Engine) as the net.tcp wire and streamed as Server-Sent Events.
//! Also `/healthz`, `/metrics` (Prometheus text) and `/api/v1/openapi.json`.

pub mod dto;
pub mod error;
mod handlers;
mod metrics;
mod openapi;
mod ops;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};

pub use metrics::{Metrics, Readings};
pub use openapi::openapi;
pub use ops::Registry;

/// What the API handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The engine (and through it the store).
    pub engine: ipam_engine::Engine,
    /// Open net.tcp sessions, for `/metrics`.
    pub open_sessions: Arc<AtomicI64>,
}

/// Limits of the API.
#[derive(Debug, Clone, Copy)]
pub struct ApiOptions {
    /// Largest request body accepted (413 beyond).
    pub body_limit: usize,
    /// Finished operations kept for `/api/v1/operations/{id}`.
    pub keep_finished: usize,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            body_limit: 1024 * 1024,
            keep_finished: 1000,
        }
    }
}

/// Every route: (method, path). The OpenAPI document lists each one (tested).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/dhcp-servers"),
    ("post", "/api/v1/dhcp-servers"),
    ("get", "/api/v1/dhcp-servers/{record_id}"),
    ("delete", "/api/v1/dhcp-servers/{record_id}"),
    ("get", "/api/v1/dhcp-scopes"),
    ("post", "/api/v1/dhcp-scopes"),
    ("get", "/api/v1/dhcp-scopes/{record_id}"),
    ("delete", "/api/v1/dhcp-scopes/{record_id}"),
    ("get", "/api/v1/dhcp-failovers"),
    ("post", "/api/v1/dhcp-failovers"),
    ("get", "/api/v1/dhcp-failovers/{record_id}"),
    ("patch", "/api/v1/dhcp-failovers/{record_id}"),
    ("delete", "/api/v1/dhcp-failovers/{record_id}"),
    ("get", "/api/v1/dhcp-failovers/{record_id}/scopes"),
    ("post", "/api/v1/dhcp-failovers/{record_id}/scopes"),
    ("delete", "/api/v1/dhcp-failovers/{record_id}/scopes"),
    ("post", "/api/v1/dhcp-failovers/{record_id}/replicate"),
    ("get", "/api/v1/operations/{id}"),
    ("get", "/api/v1/operations/{id}/events"),
];

/// What the handlers see.
#[derive(Clone)]
pub(crate) struct Api {
    pub state: AppState,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
}

/// The API's routes and its operation registry (for [`Registry::drain`] at shutdown).
pub fn router_parts(
    state: AppState,
    metrics: Arc<Metrics>,
    options: ApiOptions,
) -> (Router, Registry) {
    use handlers::*;
    let registry = Registry::new(options.keep_finished);
    let api = Api {
        state,
        registry: registry.clone(),
        metrics,
    };
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route(
            "/api/v1/dhcp-servers",
            get(list_servers).post(create_server),
        )
        .route(
            "/api/v1/dhcp-servers/{record_id}",
            get(get_server).delete(delete_server),
        )
        .route("/api/v1/dhcp-scopes", get(list_scopes).post(create_scope))
        .route(
            "/api/v1/dhcp-scopes/{record_id}",
            get(get_scope).delete(delete_scope),
        )
        .route(
            "/api/v1/dhcp-failovers",
            get(list_failovers).post(create_failover),
        )
        .route(
            "/api/v1/dhcp-failovers/{record_id}",
            get(get_failover)
                .patch(edit_failover)
                .delete(delete_failover),
        )
        .route(
            "/api/v1/dhcp-failovers/{record_id}/scopes",
            get(failover_scopes).post(add_scopes).delete(remove_scopes),
        )
        .route(
            "/api/v1/dhcp-failovers/{record_id}/replicate",
            post(replicate),
        )
        .route("/api/v1/operations/{id}", get(get_operation))
        .route("/api/v1/operations/{id}/events", get(operation_events))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| refuse_large(options.body_limit, req, next),
        ))
        .layer(axum::middleware::from_fn(trace))
        .with_state(api);
    (router, registry)
}

/// 413 at once when `Content-Length` announces more than `limit`: the body is never read
/// (and a client waiting on `Expect: 100-continue` never sends it).
async fn refuse_large(limit: usize, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return axum::response::IntoResponse::into_response(error::ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            ipam_model::IpamExceptionId::IpamApiInvalidParameter,
            format!("the request body is larger than this server accepts ({limit} bytes)"),
        ));
    }
    next.run(req).await
}

/// One log line per request, in a span carrying method and path.
async fn trace(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("http", %method, %path);
    let response = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let _enter = span.enter();
    tracing::info!(
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
