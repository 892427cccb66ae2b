//! `ipamctl`: the command-line client of the ipamd JSON API.

mod client;
mod table;

use std::net::Ipv4Addr;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ipam_model::inventory::{Inventory, InventoryScope};
use ipam_model::{DhcpFailoverMode, DhcpScopeStatus, TimeSpan};
use serde_json::{Value, json};

use client::{ApiError, Client};
use table::{record, table};

const EXAMPLES: &str = "\
Examples:
  ipamctl server add dhcp1.corp.example 10.0.0.1
  ipamctl server add dhcp2.corp.example 10.0.0.2
  ipamctl scope add --server-id 1 --subnet 10.1.0.0 --mask 255.255.255.0 \\
      --start 10.1.0.10 --end 10.1.0.250 --name 'HQ clients'
  ipamctl import examples/inventory.json
  ipamctl scope list --server-id 1
  ipamctl failover create --name hq --server1 1 --server2 2 --scopes 1,3 --secret s3cret
  ipamctl failover edit 1 --percentage 70 --mclt PT2H
  ipamctl failover show 1
  ipamctl --output json failover list | jq '.[].relationship_name'
  ipamctl op watch op-4-1a2b3c4d

Failover changes run as operations on the server: ipamctl follows the progress live and
exits with status 1 if the operation fails (add --no-wait to return at once).";

/// Command-line client of the ipamd JSON API.
#[derive(Parser)]
#[command(version, about, after_help = EXAMPLES)]
struct Cli {
    /// Base URL of ipamd's HTTP listener.
    #[arg(
        long,
        global = true,
        env = "IPAMCTL_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// Output format: tables for people, JSON for scripts.
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Table)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// DHCP servers.
    #[command(subcommand)]
    Server(ServerCmd),
    /// DHCPv4 scopes.
    #[command(subcommand)]
    Scope(ScopeCmd),
    /// Register the servers and scopes of an inventory file (JSON, see examples/inventory.json).
    Import {
        /// The inventory file.
        file: std::path::PathBuf,
    },
    /// DHCP failover relationships.
    #[command(subcommand)]
    Failover(FailoverCmd),
    /// Operations (failover changes running on the server).
    #[command(subcommand)]
    Op(OpCmd),
}

#[derive(Subcommand)]
enum ServerCmd {
    /// Register a DHCP server.
    #[command(
        after_help = "Example:\n  ipamctl server add dhcp1.corp.example 10.0.0.1 --description 'rack A'"
    )]
    Add {
        /// DNS name.
        name: String,
        /// IPv4 address.
        address: Ipv4Addr,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
    },
    /// List DHCP servers.
    List,
    /// Show one DHCP server.
    Show { record_id: i64 },
    /// Delete a DHCP server (and its scopes).
    Rm { record_id: i64 },
}

#[derive(Subcommand)]
enum ScopeCmd {
    /// Register a scope.
    #[command(
        after_help = "Example:\n  ipamctl scope add --server-id 1 --subnet 10.1.0.0 --mask 255.255.255.0 --start 10.1.0.10 --end 10.1.0.250 --name 'HQ clients' --lease P8D"
    )]
    Add {
        /// The DHCP server's record id.
        #[arg(long)]
        server_id: i64,
        /// Subnet address (the scope id).
        #[arg(long)]
        subnet: Ipv4Addr,
        /// Netmask.
        #[arg(long)]
        mask: Ipv4Addr,
        /// First address handed out.
        #[arg(long)]
        start: Ipv4Addr,
        /// Last address handed out.
        #[arg(long)]
        end: Ipv4Addr,
        /// Scope name.
        #[arg(long)]
        name: String,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// Lease duration, ISO 8601 (default P8D).
        #[arg(long)]
        lease: Option<TimeSpan>,
        /// Register the scope as inactive.
        #[arg(long)]
        inactive: bool,
    },
    /// List scopes.
    List {
        /// Only the scopes of this DHCP server (record id).
        #[arg(long)]
        server_id: Option<i64>,
    },
    /// Show one scope.
    Show { record_id: i64 },
    /// Delete a scope.
    Rm { record_id: i64 },
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    LoadBalance,
    HotStandby,
}

impl Mode {
    fn wire(self) -> DhcpFailoverMode {
        match self {
            Mode::LoadBalance => DhcpFailoverMode::LoadBalance,
            Mode::HotStandby => DhcpFailoverMode::HotStandby,
        }
    }
}

/// How to follow an operation.
#[derive(Args, Clone, Copy)]
struct Wait {
    /// Print the accepted operation and return at once.
    #[arg(long)]
    no_wait: bool,
}

#[derive(Subcommand)]
enum FailoverCmd {
    /// Create a relationship between two servers with its first scopes.
    #[command(
        after_help = "Example:\n  ipamctl failover create --name hq --server1 1 --server2 2 --scopes 1,3 --mode load-balance --percentage 50 --mclt PT1H --secret s3cret"
    )]
    Create {
        /// Relationship name.
        #[arg(long)]
        name: String,
        /// Primary server's record id.
        #[arg(long)]
        server1: i64,
        /// Partner server's record id.
        #[arg(long)]
        server2: i64,
        /// Record ids of the scopes (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<i64>,
        /// Failover mode.
        #[arg(long, value_enum, default_value_t = Mode::LoadBalance)]
        mode: Mode,
        /// Primary's share of the addresses (load balance).
        #[arg(long, default_value_t = 50)]
        percentage: u32,
        /// Maximum client lead time, ISO 8601.
        #[arg(long, default_value = "PT1H")]
        mclt: TimeSpan,
        /// State switch interval, ISO 8601.
        #[arg(long, default_value = "PT1H")]
        state_switch_interval: TimeSpan,
        /// Move to PARTNER-DOWN automatically.
        #[arg(long)]
        auto_state_transition: bool,
        /// Shared secret (enables message authentication).
        #[arg(long)]
        secret: Option<String>,
        #[command(flatten)]
        wait: Wait,
    },
    /// List relationships.
    List {
        /// Only those naming this DHCP server (record id).
        #[arg(long)]
        server_id: Option<i64>,
    },
    /// Show a relationship and its scopes.
    Show { record_id: i64 },
    /// Change fields of a relationship (only those given).
    #[command(after_help = "Example:\n  ipamctl failover edit 1 --percentage 70 --mclt PT2H")]
    Edit {
        record_id: i64,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New mode.
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// New primary share.
        #[arg(long)]
        percentage: Option<u32>,
        /// New MCLT, ISO 8601.
        #[arg(long)]
        mclt: Option<TimeSpan>,
        /// New state switch interval, ISO 8601.
        #[arg(long)]
        state_switch_interval: Option<TimeSpan>,
        /// Automatic state transition on or off.
        #[arg(long)]
        auto_state_transition: Option<bool>,
        /// Message authentication on or off.
        #[arg(long)]
        secret_enabled: Option<bool>,
        /// New shared secret.
        #[arg(long)]
        secret: Option<String>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Add scopes to a relationship.
    AddScopes {
        record_id: i64,
        /// Scope record ids.
        #[arg(required = true)]
        scopes: Vec<i64>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Remove scopes from a relationship.
    RemoveScopes {
        record_id: i64,
        /// Scope record ids.
        #[arg(required = true)]
        scopes: Vec<i64>,
        /// Continue even if the partner scope cannot be changed.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        wait: Wait,
    },
    /// Delete a relationship.
    Rm {
        record_id: i64,
        /// Continue even if the partner server cannot be changed.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        wait: Wait,
    },
    /// Replicate the relationship's scopes to the partner server.
    Replicate {
        record_id: i64,
        #[command(flatten)]
        wait: Wait,
    },
}

#[derive(Subcommand)]
enum OpCmd {
    /// Show an operation: status, percent, sub-tasks, fault, result.
    Show { id: String },
    /// Follow an operation's progress to its end.
    Watch { id: String },
}

const SERVER_COLS: &[(&str, &str)] = &[
    ("ID", "record_id"),
    ("NAME", "name"),
    ("ADDRESS", "address"),
    ("DESCRIPTION", "description"),
];
const SCOPE_COLS: &[(&str, &str)] = &[
    ("ID", "record_id"),
    ("SERVER", "server_record_id"),
    ("SUBNET", "scope_id"),
    ("MASK", "subnet_mask"),
    ("START", "start_address"),
    ("END", "end_address"),
    ("NAME", "name"),
    ("STATUS", "status"),
    ("SYNC", "failover_config_sync_status"),
    ("FAILOVER", "failover_relationship_name"),
];
const FAILOVER_COLS: &[(&str, &str)] = &[
    ("ID", "record_id"),
    ("NAME", "relationship_name"),
    ("MODE", "mode"),
    ("SERVER1", "server1_name"),
    ("SERVER2", "server2_name"),
    ("PCT", "server1_percentage"),
    ("MCLT", "mclt"),
    ("SECRET", "shared_secret_set"),
];
const FAILOVER_FIELDS: &[(&str, &str)] = &[
    ("record_id", "record_id"),
    ("relationship_name", "relationship_name"),
    ("mode", "mode"),
    ("server1", "server1_record_id"),
    ("server1_name", "server1_name"),
    ("server1_ip", "server1_ip"),
    ("server1_state", "server1_state"),
    ("server2", "server2_record_id"),
    ("server2_name", "server2_name"),
    ("server2_ip", "server2_ip"),
    ("server2_state", "server2_state"),
    ("server1_percentage", "server1_percentage"),
    ("mclt", "mclt"),
    ("state_switch_interval", "state_switch_interval"),
    ("auto_state_transition", "auto_state_transition"),
    ("shared_secret_enabled", "shared_secret_enabled"),
    ("shared_secret_set", "shared_secret_set"),
];
const OP_FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("operation", "operation_id"),
    ("status", "status"),
    ("percent", "percent"),
    ("result_record_id", "result_record_id"),
];

struct Ctl {
    client: Client,
    output: Output,
}

impl Ctl {
    fn print(&self, v: &Value, human: impl FnOnce(&Value) -> String) {
        match self.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(v).expect("JSON")),
            Output::Table => println!("{}", human(v)),
        }
    }

    fn list(&self, v: &Value, cols: &[(&str, &str)]) {
        self.print(v, |v| {
            table(v.as_array().map(Vec::as_slice).unwrap_or_default(), cols)
        });
    }

    /// Sends a failover change and follows it; Ok(false) when the operation failed.
    async fn operation(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        wait: Wait,
    ) -> anyhow::Result<bool> {
        let op = self.client.call(method, path, body.as_ref()).await?;
        let id = op["id"]
            .as_str()
            .context("the answer names no operation")?
            .to_owned();
        if wait.no_wait {
            self.print(&op, |v| {
                format!(
                    "accepted operation {} ({})",
                    cell(&v["id"]),
                    cell(&v["operation_id"])
                )
            });
            return Ok(true);
        }
        self.follow(&id).await
    }

    /// A live progress bar fed by the event stream, then the result or the fault.
    async fn follow(&self, id: &str) -> anyhow::Result<bool> {
        let bar = ProgressBar::new(100);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos:>3}% {wide_msg}")
                .expect("template")
                .progress_chars("=> "),
        );
        bar.set_prefix(id.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let watched = self
            .client
            .watch(id, |ev| match ev.name.as_str() {
                "StartProgressCallback" => bar.set_message("started"),
                "AddSubTask" => {
                    let t = &ev.data["sub_task_instance"];
                    bar.set_message(cell(&t["sub_task_name"]));
                }
                "SetSubTaskStatus" => {
                    let t = &ev.data["sub_task_instance"];
                    bar.set_message(format!(
                        "{}: {}",
                        cell(&t["sub_task_name"]),
                        cell(&ev.data["status"])
                    ));
                }
                "SetCompletionPercentage" => {
                    bar.set_position(ev.data["completion_percentage"].as_u64().unwrap_or(0));
                }
                "SetOverallStatus" => {
                    if ev.data["overall_status"] == "CompletedWithSuccess" {
                        bar.set_position(100);
                    }
                    bar.set_message(cell(&ev.data["overall_status"]));
                }
                _ => {}
            })
            .await;
        bar.finish_and_clear();
        watched?;
        let op = self.client.get(&format!("/api/v1/operations/{id}")).await?;
        let ok = op["status"] == "CompletedWithSuccess";
        self.print(&op, describe_op);
        Ok(ok)
    }
}

fn cell(v: &Value) -> String {
    table::cell(v)
}

fn describe_op(op: &Value) -> String {
    let mut out = record(op, OP_FIELDS);
    for t in op["sub_tasks"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\n  [{}] {} — {}{}",
            cell(&t["id"]),
            cell(&t["name"]),
            cell(&t["status"]),
            t["description"]
                .as_str()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ));
    }
    if let Some(e) = op["exception"].as_object() {
        out.push_str(&format!(
            "\nfailed: {}: {}",
            cell(&e["exception_id"].clone()),
            cell(&e["message"].clone())
        ));
    } else if op["status"] == "CompletedWithSuccess" {
        out.push_str(&format!("\nsucceeded: {}", cell(&op["operation_id"])));
    }
    out
}

/// The body of `POST /api/v1/dhcp-servers`.
fn server_body(name: &str, address: Ipv4Addr, description: &Option<String>) -> Value {
    json!({"name": name, "address": address, "description": description})
}

/// The body of `POST /api/v1/dhcp-scopes` registering `scope` on `server`.
fn scope_body(scope: &InventoryScope, server: i64) -> Value {
    json!({
        "server_record_id": server, "scope_id": scope.scope_id, "subnet_mask": scope.subnet_mask,
        "start_address": scope.start_address, "end_address": scope.end_address,
        "name": scope.scope_name, "description": scope.description, "status": scope.status,
        "lease_duration": scope.lease_duration,
    })
}

fn is_conflict(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ApiError>()
        .is_some_and(|e| e.status == 409)
}

async fn import(ctl: &Ctl, file: &std::path::Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let inv: Inventory = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid inventory", file.display()))?;
    let total = inv.items();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} importing [{bar:40}] {pos}/{len} {wide_msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    let mut report = json!({"servers_created": 0, "servers_existing": 0, "scopes_created": 0, "scopes_existing": 0});
    let mut known: Option<Vec<Value>> = None;
    let bump = |r: &mut Value, k: &str| r[k] = json!(r[k].as_u64().unwrap_or(0) + 1);
    for (i, s) in inv.servers.iter().enumerate() {
        bar.set_message(s.name.clone());
        let body = server_body(&s.name, s.address, &s.description);
        let server_id = match ctl
            .client
            .call("POST", "/api/v1/dhcp-servers", Some(&body))
            .await
        {
            Ok(v) => {
                bump(&mut report, "servers_created");
                v["record_id"].as_i64().context("no record_id")?
            }
            Err(e) if is_conflict(&e) => {
                if known.is_none() {
                    known = ctl
                        .client
                        .get("/api/v1/dhcp-servers")
                        .await?
                        .as_array()
                        .cloned();
                }
                let existing = known
                    .iter()
                    .flatten()
                    .find(|v| {
                        v["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(s.name.trim()))
                    })
                    .with_context(|| format!("servers[{i}]: {e}"))?;
                if existing["address"] != json!(s.address) {
                    anyhow::bail!(
                        "servers[{i}].address '{}' differs from the address {} registered for '{}'",
                        s.address,
                        cell(&existing["address"]),
                        s.name
                    );
                }
                bump(&mut report, "servers_existing");
                existing["record_id"].as_i64().context("no record_id")?
            }
            Err(e) => return Err(e.context(format!("servers[{i}] ({})", s.name))),
        };
        bar.inc(1);
        for (j, sc) in s.scopes.iter().enumerate() {
            let body = scope_body(sc, server_id);
            match ctl
                .client
                .call("POST", "/api/v1/dhcp-scopes", Some(&body))
                .await
            {
                Ok(_) => bump(&mut report, "scopes_created"),
                Err(e) if is_conflict(&e) => bump(&mut report, "scopes_existing"),
                Err(e) => {
                    return Err(e.context(format!("servers[{i}].scopes[{j}] ({})", sc.scope_id)));
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    ctl.print(&report, |r| {
        format!(
            "imported {}: {} server(s) added, {} already present; {} scope(s) added, {} already present",
            file.display(),
            r["servers_created"],
            r["servers_existing"],
            r["scopes_created"],
            r["scopes_existing"]
        )
    });
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<bool> {
    let ctl = Ctl {
        client: Client::new(&cli.server)?,
        output: cli.output,
    };
    let c = &ctl.client;
    match cli.command {
        Command::Server(cmd) => match cmd {
            ServerCmd::Add {
                name,
                address,
                description,
            } => {
                let body = server_body(&name, address, &description);
                let v = c.call("POST", "/api/v1/dhcp-servers", Some(&body)).await?;
                ctl.print(&v, |v| record(v, SERVER_COLS));
            }
            ServerCmd::List => ctl.list(&c.get("/api/v1/dhcp-servers").await?, SERVER_COLS),
            ServerCmd::Show { record_id } => {
                let v = c.get(&format!("/api/v1/dhcp-servers/{record_id}")).await?;
                ctl.print(&v, |v| record(v, SERVER_COLS));
            }
            ServerCmd::Rm { record_id } => {
                c.call("DELETE", &format!("/api/v1/dhcp-servers/{record_id}"), None)
                    .await?;
                ctl.print(&json!({"deleted": record_id}), |_| {
                    format!("deleted DHCP server {record_id}")
                });
            }
        },
        Command::Scope(cmd) => match cmd {
            ScopeCmd::Add {
                server_id,
                subnet,
                mask,
                start,
                end,
                name,
                description,
                lease,
                inactive,
            } => {
                let scope = InventoryScope {
                    scope_id: subnet,
                    subnet_mask: mask,
                    start_address: start,
                    end_address: end,
                    scope_name: name,
                    description,
                    status: if inactive {
                        DhcpScopeStatus::Inactive
                    } else {
                        DhcpScopeStatus::Active
                    },
                    lease_duration: lease,
                };
                let body = scope_body(&scope, server_id);
                let v = c.call("POST", "/api/v1/dhcp-scopes", Some(&body)).await?;
                ctl.print(&v, |v| record(v, SCOPE_COLS));
            }
            ScopeCmd::List { server_id } => {
                let path = match server_id {
                    Some(s) => format!("/api/v1/dhcp-scopes?server_record_id={s}"),
                    None => "/api/v1/dhcp-scopes".into(),
                };
                ctl.list(&c.get(&path).await?, SCOPE_COLS);
            }
            ScopeCmd::Show { record_id } => {
                let v = c.get(&format!("/api/v1/dhcp-scopes/{record_id}")).await?;
                ctl.print(&v, |v| record(v, SCOPE_COLS));
            }
            ScopeCmd::Rm { record_id } => {
                c.call("DELETE", &format!("/api/v1/dhcp-scopes/{record_id}"), None)
                    .await?;
                ctl.print(&json!({"deleted": record_id}), |_| {
                    format!("deleted DHCP scope {record_id}")
                });
            }
        },
        Command::Import { file } => import(&ctl, &file).await?,
        Command::Failover(cmd) => match cmd {
            FailoverCmd::Create {
                name,
                server1,
                server2,
                scopes,
                mode,
                percentage,
                mclt,
                state_switch_interval,
                auto_state_transition,
                secret,
                wait,
            } => {
                let body = json!({
                    "relationship_name": name, "mode": mode.wire(), "server1_record_id": server1,
                    "server2_record_id": server2, "scope_ids": scopes, "server1_percentage": percentage,
                    "mclt": mclt, "state_switch_interval": state_switch_interval,
                    "auto_state_transition": auto_state_transition,
                    "shared_secret_enabled": secret.is_some(), "shared_secret": secret,
                });
                return ctl
                    .operation("POST", "/api/v1/dhcp-failovers", Some(body), wait)
                    .await;
            }
            FailoverCmd::List { server_id } => {
                let path = match server_id {
                    Some(s) => format!("/api/v1/dhcp-failovers?server_record_id={s}"),
                    None => "/api/v1/dhcp-failovers".into(),
                };
                ctl.list(&c.get(&path).await?, FAILOVER_COLS);
            }
            FailoverCmd::Show { record_id } => {
                let mut v = c
                    .get(&format!("/api/v1/dhcp-failovers/{record_id}"))
                    .await?;
                v["scopes"] = c
                    .get(&format!("/api/v1/dhcp-failovers/{record_id}/scopes"))
                    .await?;
                ctl.print(&v, |v| {
                    format!(
                        "{}\n\nscopes:\n{}",
                        record(v, FAILOVER_FIELDS),
                        table(
                            v["scopes"]
                                .as_array()
                                .map(Vec::as_slice)
                                .unwrap_or_default(),
                            SCOPE_COLS
                        )
                    )
                });
            }
            FailoverCmd::Edit {
                record_id,
                name,
                mode,
                percentage,
                mclt,
                state_switch_interval,
                auto_state_transition,
                secret_enabled,
                secret,
                wait,
            } => {
                let mut body = serde_json::Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        body.insert(k.into(), v);
                    }
                };
                put("relationship_name", name.map(Value::from));
                put("mode", mode.map(|m| json!(m.wire())));
                put("server1_percentage", percentage.map(Value::from));
                put("mclt", mclt.map(|t| json!(t)));
                put(
                    "state_switch_interval",
                    state_switch_interval.map(|t| json!(t)),
                );
                put(
                    "auto_state_transition",
                    auto_state_transition.map(Value::from),
                );
                put("shared_secret_enabled", secret_enabled.map(Value::from));
                put("shared_secret", secret.map(Value::from));
                if body.is_empty() {
                    anyhow::bail!(
                        "nothing to change: give at least one of --name, --mode, --percentage, --mclt, --state-switch-interval, --auto-state-transition, --secret-enabled, --secret"
                    );
                }
                return ctl
                    .operation(
                        "PATCH",
                        &format!("/api/v1/dhcp-failovers/{record_id}"),
                        Some(Value::Object(body)),
                        wait,
                    )
                    .await;
            }
            FailoverCmd::AddScopes {
                record_id,
                scopes,
                wait,
            } => {
                return ctl
                    .operation(
                        "POST",
                        &format!("/api/v1/dhcp-failovers/{record_id}/scopes"),
                        Some(json!({"scope_ids": scopes})),
                        wait,
                    )
                    .await;
            }
            FailoverCmd::RemoveScopes {
                record_id,
                scopes,
                force,
                wait,
            } => {
                return ctl
                    .operation(
                        "DELETE",
                        &format!("/api/v1/dhcp-failovers/{record_id}/scopes"),
                        Some(json!({"scope_ids": scopes, "force": force})),
                        wait,
                    )
                    .await;
            }
            FailoverCmd::Rm {
                record_id,
                force,
                wait,
            } => {
                let path = if force {
                    format!("/api/v1/dhcp-failovers/{record_id}?force=true")
                } else {
                    format!("/api/v1/dhcp-failovers/{record_id}")
                };
                return ctl.operation("DELETE", &path, None, wait).await;
            }
            FailoverCmd::Replicate { record_id, wait } => {
                return ctl
                    .operation(
                        "POST",
                        &format!("/api/v1/dhcp-failovers/{record_id}/replicate"),
                        None,
                        wait,
                    )
                    .await;
            }
        },
        Command::Op(cmd) => match cmd {
            OpCmd::Show { id } => {
                let v = c.get(&format!("/api/v1/operations/{id}")).await?;
                ctl.print(&v, describe_op);
                return Ok(v["status"] != "CompletedWithFailure");
            }
            OpCmd::Watch { id } => return ctl.follow(&id).await,
        },
    }
    Ok(true)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_out = cli.output == Output::Json;
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            match e.downcast_ref::<ApiError>() {
                Some(api) if json_out => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&api.body).unwrap_or_default()
                    );
                    eprintln!("ipamctl: error: {e:#}");
                }
                _ => eprintln!("ipamctl: error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
