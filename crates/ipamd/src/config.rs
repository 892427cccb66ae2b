//! `ipamd serve` configuration: a TOML file (`--config`), then `IPAMD_*` environment
//! variables, then flags; later sources win. Built-in defaults fill the rest.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ipam_store::StoreOptions;
use serde::Deserialize;

/// Most group-commit writer lanes: half of the store's connection pool.
pub const MAX_WRITER_LANES: usize = 4;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per event.
    Json,
}

/// Settings as they may appear in the TOML file (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub http_listen: Option<SocketAddr>,
    pub nettcp_listen: Option<SocketAddr>,
    pub insecure: Option<bool>,
    pub log_level: Option<String>,
    pub log_format: Option<LogFormat>,
    pub max_message_size: Option<usize>,
    pub durable: Option<bool>,
    pub group_commit: Option<bool>,
    pub writer_lanes: Option<usize>,
}

/// Settings from flags or the environment (clap fills both).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file; its keys are the long option names with `_` for `-`.
    #[arg(long, env = "IPAMD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store: `sqlite://PATH` (embedded, default `sqlite://ipamd.db` in the working
    /// directory) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` for multi-node deployments.
    #[arg(long, env = "IPAMD_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Address of the JSON API, web page, /healthz and /metrics [default: 127.0.0.1:8080].
    #[arg(long, env = "IPAMD_HTTP_LISTEN", value_name = "ADDR:PORT")]
    pub http_listen: Option<SocketAddr>,
    /// Address of the MS-IPAMM2 net.tcp endpoint [default: 0.0.0.0:48885, the Windows IPAM port].
    #[arg(long, env = "IPAMD_NETTCP_LISTEN", value_name = "ADDR:PORT")]
    pub nettcp_listen: Option<SocketAddr>,
    /// Serve net.tcp without Windows transport security (MS-NNS). Required for now: the
    /// secured transport is not implemented yet.
    #[arg(long, env = "IPAMD_INSECURE", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub insecure: Option<bool>,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive list [default: info].
    #[arg(long, env = "IPAMD_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Log format [default: human].
    #[arg(long, env = "IPAMD_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Largest SOAP message accepted on net.tcp, in bytes [default: 65536, as WCF].
    #[arg(long, env = "IPAMD_MAX_MESSAGE_SIZE", value_name = "BYTES")]
    pub max_message_size: Option<usize>,
    /// SQLite: fsync every commit [default: true]. `false` keeps atomicity but may lose the
    /// last commits on power failure.
    #[arg(long, env = "IPAMD_DURABLE", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub durable: Option<bool>,
    /// Concurrent changes share one transaction and one durable commit, each in its own
    /// savepoint and failing alone [default: true]. `false`: one transaction per change
    /// (on PostgreSQL they then run side by side, and the server groups their WAL flushes).
    #[arg(long, env = "IPAMD_GROUP_COMMIT", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub group_commit: Option<bool>,
    /// PostgreSQL: group-commit batches run side by side, each on its own connection
    /// [default: 1]. More commit more changes a second when concurrent changes involve
    /// different DHCP servers; changes that contend for the same servers are handed to the
    /// first lane and run there, slower than with one lane. See docs/performance.md.
    #[arg(long, env = "IPAMD_WRITER_LANES", value_name = "N")]
    pub writer_lanes: Option<usize>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub http_listen: SocketAddr,
    pub nettcp_listen: SocketAddr,
    pub insecure: bool,
    pub log_level: String,
    pub log_format: LogFormat,
    pub max_message_size: usize,
    pub durable: bool,
    pub group_commit: bool,
    pub writer_lanes: usize,
}

pub fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid configuration file {}", path.display()))
}

impl Config {
    /// Layers flags/environment over the file over the defaults.
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let cfg = Config {
            database_url: args
                .database_url
                .clone()
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite://ipamd.db".into()),
            http_listen: args
                .http_listen
                .or(file.http_listen)
                .unwrap_or_else(|| "127.0.0.1:8080".parse().unwrap()),
            nettcp_listen: args
                .nettcp_listen
                .or(file.nettcp_listen)
                .unwrap_or_else(|| "0.0.0.0:48885".parse().unwrap()),
            insecure: args.insecure.or(file.insecure).unwrap_or(false),
            log_level: args
                .log_level
                .clone()
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Human),
            max_message_size: args
                .max_message_size
                .or(file.max_message_size)
                .unwrap_or(64 * 1024),
            durable: args.durable.or(file.durable).unwrap_or(true),
            group_commit: args.group_commit.or(file.group_commit).unwrap_or(true),
            writer_lanes: args.writer_lanes.or(file.writer_lanes).unwrap_or(1),
        };
        if !(1..=MAX_WRITER_LANES).contains(&cfg.writer_lanes) {
            bail!(
                "writer_lanes {} is outside 1..={MAX_WRITER_LANES} (each lane keeps one of the store's {} connections; reads need the others)",
                cfg.writer_lanes,
                StoreOptions::new("").max_connections
            );
        }
        if cfg.writer_lanes > 1 {
            let (backend, _) = ipam_store::normalize_url(&cfg.database_url)?;
            if backend != ipam_store::Backend::Postgres {
                bail!(
                    "writer_lanes {} needs PostgreSQL: SQLite has one writer at a time",
                    cfg.writer_lanes
                );
            }
            if !cfg.group_commit {
                bail!(
                    "writer_lanes {} needs group commit: with group_commit = false every change is its own transaction already",
                    cfg.writer_lanes
                );
            }
        }
        if cfg.max_message_size < 1024 || cfg.max_message_size > 64 * 1024 * 1024 {
            bail!(
                "max_message_size {} is outside 1024..=67108864 bytes",
                cfg.max_message_size
            );
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipamd.toml");
        std::fs::write(&path, "database_url = \"sqlite://from-file.db\"\nhttp_listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\n").unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            http_listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::resolve(&args).unwrap();
        assert_eq!(c.database_url, "sqlite://from-file.db");
        assert_eq!(c.http_listen.port(), 9100);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.nettcp_listen.port(), 48885);
        assert!(c.durable);
        assert!(c.group_commit);
        assert_eq!(c.writer_lanes, 1);
    }

    #[test]
    fn writer_lanes_need_postgresql_and_group_commit_and_stay_in_range() {
        let lanes = |url: &str, n: usize, group_commit: bool| {
            Config::resolve(&ServeArgs {
                database_url: Some(url.into()),
                writer_lanes: Some(n),
                group_commit: Some(group_commit),
                ..Default::default()
            })
            .map(|c| c.writer_lanes)
            .map_err(|e| format!("{e:#}"))
        };
        let pg = "postgres://ipamd@127.0.0.1/ipamd";
        assert_eq!(lanes(pg, 4, true), Ok(4));
        assert_eq!(lanes("sqlite://x.db", 1, true), Ok(1));
        let err = lanes("sqlite://x.db", 2, true).unwrap_err();
        assert!(err.contains("needs PostgreSQL"), "{err}");
        let err = lanes(pg, 2, false).unwrap_err();
        assert!(err.contains("needs group commit"), "{err}");
        for n in [0, 5] {
            let err = lanes(pg, n, true).unwrap_err();
            assert!(err.contains("outside 1..=4"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipamd.toml");
        std::fs::write(&path, "database = \"x\"\n").unwrap();
        let err = Config::resolve(&ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `database`"),
            "{err:#}"
        );
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../../examples/ipamd.toml");
        let _: FileConfig = toml::from_str(text).unwrap();
    }
}
