//! The net.tcp transport of ipamd ([MS-IPAMM2] §2.1). Placeholder: being written.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

/// Options of the net.tcp listener.
#[derive(Debug, Clone)]
pub struct NetTcpOptions {
    /// Largest envelope accepted, in bytes (WCF's maxReceivedMessageSize; default 64 KiB).
    pub max_message_size: usize,
}

impl Default for NetTcpOptions {
    fn default() -> Self {
        NetTcpOptions {
            max_message_size: 64 * 1024,
        }
    }
}

/// Serves net.tcp sessions on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    engine: ipam_engine::Engine,
    options: NetTcpOptions,
    open_sessions: Arc<AtomicI64>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _ = (listener, engine, options, open_sessions);
    shutdown.await;
    Ok(())
}
