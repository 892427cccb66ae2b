//! The JSON API of ipamd. Placeholder: being written.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

/// What the API handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The engine (and through it the store).
    pub engine: ipam_engine::Engine,
    /// Open net.tcp sessions, for `/metrics`.
    pub open_sessions: Arc<AtomicI64>,
}

/// The API's routes.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().with_state(state)
}
