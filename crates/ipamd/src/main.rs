//! `ipamd`: the IPAM server. `ipamd serve` runs it; `ipamd import FILE` loads an inventory.

mod config;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use ipam_engine::Engine;
use ipam_store::{Store, StoreOptions};
use tokio::sync::watch;

use config::{Config, LogFormat, ServeArgs};

/// jemalloc instead of the system allocator: the protocol path allocates many small,
/// short-lived buffers per message, and glibc's malloc (with its consolidation of freed
/// chunks) was a tenth of the server's CPU at 64 sessions (docs/performance.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// ipamd: an IPAM server for DHCP failover relationships that speaks Microsoft's IPAM
/// Management Protocol v2 ([MS-IPAMM2]) over net.tcp, with a JSON API for operators.
#[derive(Parser)]
#[command(version, about, long_about = None, after_help = "Examples:\n  ipamd serve --insecure\n  ipamd serve --database-url postgres://ipamd@db1/ipamd --http-listen 0.0.0.0:8080 --insecure\n  ipamd import examples/inventory.json")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: net.tcp (MS-IPAMM2) and HTTP (JSON API, /healthz, /metrics).
    Serve(ServeArgs),
    /// Import DHCP servers and scopes from an inventory file (JSON; see examples/inventory.json),
    /// in one transaction.
    Import {
        /// The inventory file.
        file: std::path::PathBuf,
        /// Store URL (as for `serve`).
        #[arg(long, env = "IPAMD_DATABASE_URL", default_value = "sqlite://ipamd.db")]
        database_url: String,
    },
}

fn init_logging(level: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .with_context(|| format!("invalid log level '{level}'"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Import { file, database_url } => import(&file, &database_url).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipamd: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.ok();
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let cfg = Config::resolve(&args)?;
    init_logging(&cfg.log_level, cfg.log_format)?;
    if !cfg.insecure {
        bail!(
            "Windows transport security (MS-NNS) is not implemented yet; start with --insecure to serve net.tcp without it"
        );
    }
    let store = Store::open_with(StoreOptions {
        durable: cfg.durable,
        group_commit: cfg.group_commit,
        writer_lanes: cfg.writer_lanes,
        ..StoreOptions::new(&cfg.database_url)
    })
    .await?;
    let metrics = ipam_http::Metrics::new();
    let engine = Engine::new(store.clone()).with_observer(metrics.clone());
    let open_sessions = Arc::new(AtomicI64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };

    let nettcp = tokio::net::TcpListener::bind(cfg.nettcp_listen)
        .await
        .with_context(|| format!("cannot listen for net.tcp on {}", cfg.nettcp_listen))?;
    let http = tokio::net::TcpListener::bind(cfg.http_listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", cfg.http_listen))?;
    tracing::info!(nettcp = %nettcp.local_addr()?, http = %http.local_addr()?, store = %store.backend(), "ipamd serving");

    let nettcp_opts = ipam_nettcp::NetTcpOptions {
        max_message_size: cfg.max_message_size,
        ..Default::default()
    };
    let nettcp_task = tokio::spawn(ipam_nettcp::serve(
        nettcp,
        engine.clone(),
        nettcp_opts,
        open_sessions.clone(),
        wait(stop_rx.clone()),
    ));
    let (app, operations) = ipam_http::router_parts(
        ipam_http::AppState {
            engine: engine.clone(),
            open_sessions: open_sessions.clone(),
        },
        metrics,
        ipam_http::ApiOptions::default(),
    );
    let http_task = tokio::spawn(
        axum::serve(http, app)
            .with_graceful_shutdown(wait(stop_rx.clone()))
            .into_future(),
    );

    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight operations");
    let _ = stop_tx.send(true);
    let (a, b) = tokio::join!(nettcp_task, http_task);
    a.context("net.tcp task")?.context("net.tcp listener")?;
    b.context("HTTP task")?.context("HTTP listener")?;
    // Failover changes started over HTTP run on after their 202 answer: let them finish.
    operations.drain(std::time::Duration::from_secs(30)).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn import(file: &std::path::Path, url: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let inv = ipam_store::inventory::parse(&text).with_context(|| format!("{}", file.display()))?;
    let store = Store::open(url).await?;
    let bar = indicatif::ProgressBar::new(inv.items());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} importing [{bar:40}] {pos}/{len} items")
            .expect("template")
            .progress_chars("=> "),
    );
    let b = bar.clone();
    let report = store
        .import(inv, Some(Arc::new(move |done, _| b.set_position(done))))
        .await;
    bar.finish_and_clear();
    let report = report
        .with_context(|| format!("import of {} failed; nothing was imported", file.display()))?;
    println!(
        "imported {}: {} server(s) added, {} already present; {} scope(s) added, {} already present",
        file.display(),
        report.servers_created,
        report.servers_existing,
        report.scopes_created,
        report.scopes_existing
    );
    store.close().await;
    Ok(())
}
