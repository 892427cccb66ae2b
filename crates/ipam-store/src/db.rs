//! Queries over the ADM tables, on one connection (inside a transaction for writes).
//!
//! All SQL is written once for both engines (`$n` placeholders, `RETURNING`, plain
//! constraints); the few differences go through [`Backend`].

use std::net::Ipv4Addr;

use ipam_model::validate::{validate_new_scope, validate_new_server};
use ipam_model::*;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::Backend;
use crate::error::{Entity, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// Largest number of ids put in one `IN (…)` list on PostgreSQL, one `$N` each. On SQLite
/// a list is one parameter ([`id_list`]) and a statement takes it whole: see [`Db::chunk`].
const CHUNK: usize = 500;

/// Where a scope sits: see [`Db::scope_placements`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePlacement {
    /// The scope's RecordId.
    pub record_id: RecordId,
    /// Its DHCP server.
    pub server: RecordId,
    /// Its subnet (`ScopeId`).
    pub subnet: Ipv4Addr,
    /// The relationship it is linked to.
    pub relation: Option<RecordId>,
    /// That relationship's RelationshipName.
    pub relation_name: Option<String>,
}

/// A partner server as the checks of a failover create see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLoad {
    /// The server's RecordId.
    pub record_id: RecordId,
    /// Its name.
    pub name: String,
    /// How many relationships name it (as either partner).
    pub relationships: i64,
}

/// The scopes of a link request that cannot simply be linked to a relationship between two
/// servers: see [`Db::scope_conflicts`]. Every other scope of the request exists, sits on
/// one of the two servers and is in no relationship.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeConflicts {
    /// The RecordIds that name no scope, sorted.
    pub missing: Vec<RecordId>,
    /// The scopes that sit on another server or are linked to a relationship (any, the
    /// one being linked to included).
    pub placements: Vec<ScopePlacement>,
}

impl ScopeConflicts {
    fn push(&mut self, row: &AnyRow) -> Result<()> {
        match row.try_get::<Option<RecordId>, _>(2)? {
            None => self.missing.push(row.try_get(1)?),
            Some(_) => self.placements.push(placement_of(row)?),
        }
        Ok(())
    }
}

/// Everything the checks of a failover create read: see [`Db::failover_create_facts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateFacts {
    /// The partner servers that exist.
    pub servers: Vec<ServerLoad>,
    /// The relationship that holds the same (RelationshipName, Server1RecordId,
    /// Server2RecordId) key already, if any.
    pub duplicate: Option<RecordId>,
    /// The scopes that are missing, on another server or linked already.
    pub conflicts: ScopeConflicts,
}

/// A connection to the store: every query of the data model. Handed to write closures
/// (inside a transaction) and returned by [`crate::Store::conn`] for reads.
pub struct Db<'a> {
    /// Only through [`Db::conn`], which runs what is [`Before`] the write first.
    raw: &'a mut AnyConnection,
    pub(crate) backend: Backend,
    before: Option<&'a mut Before>,
}

/// What the group-commit writer leaves for a write to run before its first statement:
/// the savepoint that sets it apart from its batch-mates ([`crate::group`]). It runs in
/// one call with the write's first statement where it can (on SQLite, before the read
/// of a create's facts, [`Db::failover_create_facts`] and [`Db::create_failover`]), else
/// on its own just before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Before {
    /// Not run yet (the write has run no statement).
    Due(&'static str),
    /// Run.
    Ran,
    /// Sent in a call that failed: whether it ran is not known.
    Unknown,
}

fn ip(v: Ipv4Addr) -> i64 {
    u32::from(v) as i64
}

fn ip_of(row: &AnyRow, col: &str) -> Result<Ipv4Addr> {
    let v: i64 = row.try_get(col)?;
    u32::try_from(v)
        .map(Ipv4Addr::from)
        .map_err(|_| StoreError::Config(format!("column {col} holds {v}, not an IPv4 address")))
}

fn opt_ip_of(row: &AnyRow, col: &str) -> Result<Option<Ipv4Addr>> {
    let v: Option<i64> = row.try_get(col)?;
    v.map(|v| u32::try_from(v).map(Ipv4Addr::from))
        .transpose()
        .map_err(|_| StoreError::Config(format!("column {col} does not hold an IPv4 address")))
}

fn parse_col<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|e: T::Err| StoreError::Config(format!("column {col}: {e}")))
}

/// `ids` sorted, each once.
fn distinct(ids: &[RecordId]) -> Vec<RecordId> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

fn placeholders(start: usize, n: usize) -> String {
    placeholders_each(start, n, "$", "")
}

/// `{open}{i}{close}` for `i` in `start..start + n`, separated by commas.
fn placeholders_each(start: usize, n: usize, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(n * (open.len() + close.len() + 6));
    for i in start..start + n {
        if i > start {
            out.push_str(", ");
        }
        out.push_str(open);
        out.push_str(&i.to_string());
        out.push_str(close);
    }
    out
}

/// A list of `n` RecordIds passed from parameter `$start`, for `IN (…)` or a `SELECT`. On
/// SQLite it is one parameter, a JSON array read by `json_each`: sqlx asks SQLite the name
/// of every parameter it binds and SQLite finds a named parameter (`$N`) by a linear scan,
/// so a statement with hundreds of `$N` binds in quadratic time (18 % of the server in a
/// 10,000-scope create). Elsewhere `$start, …`, bound by [`bind_ids`].
fn id_list(backend: Backend, start: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT value FROM json_each(${start})"),
        _ => placeholders(start, n),
    }
}

/// The same list as [`id_list`], as a table `j` of one column `id`, for a `FROM`.
fn id_table(backend: Backend, start: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("(SELECT value AS id FROM json_each(${start})) j"),
        _ => format!(
            "(VALUES {}) AS j(id)",
            placeholders_each(start, n, "($", ")")
        ),
    }
}

/// A query that can take RecordIds and text ([`bind_ids`]).
trait BindIds: Sized {
    fn bind_id(self, id: RecordId) -> Self;
    fn bind_text(self, text: String) -> Self;
}

impl<'q> BindIds for AnyQuery<'q> {
    fn bind_id(self, id: RecordId) -> Self {
        self.bind(id)
    }
    fn bind_text(self, text: String) -> Self {
        self.bind(text)
    }
}

impl<'q> BindIds for sqlx::query::QueryScalar<'q, sqlx::Any, RecordId, sqlx::any::AnyArguments> {
    fn bind_id(self, id: RecordId) -> Self {
        self.bind(id)
    }
    fn bind_text(self, text: String) -> Self {
        self.bind(text)
    }
}

/// Binds the parameters of an [`id_list`] of `ids`.
fn bind_ids<Q: BindIds>(backend: Backend, q: Q, ids: &[RecordId]) -> Q {
    if backend == Backend::Sqlite {
        let mut json = String::with_capacity(ids.len() * 8 + 2);
        json.push('[');
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&id.to_string());
        }
        json.push(']');
        q.bind_text(json)
    } else {
        ids.iter().fold(q, |q, id| q.bind_id(*id))
    }
}

const SERVER_COLS: &str = "record_id, name, address, description";

fn server_of(row: &AnyRow) -> Result<DhcpServerV4> {
    Ok(DhcpServerV4 {
        record_id: row.try_get("record_id")?,
        name: row.try_get("name")?,
        address: ip_of(row, "address")?,
        description: row.try_get("description")?,
    })
}

const SCOPE_SELECT: &str = "SELECT s.record_id, s.dhcp_server_record_id, s.scope_id, s.subnet_mask, \
    s.start_address, s.end_address, s.scope_name, s.description, s.status, s.lease_duration_ticks, \
    s.failover_config_sync_status, r.relationship_name \
    FROM adm_dhcp_scopes s \
    LEFT JOIN adm_dhcp_scope_failovers l ON l.scope_id = s.record_id \
    LEFT JOIN adm_dhcp_failover_relations r ON r.record_id = l.failover_relation_id";

/// The placement of each scope of `WHERE s.record_id IN (…)`, in the columns of
/// [`conflict_select`] (`kind, a, b, c, d, t`), so that [`placement_of`] reads both.
const PLACEMENT_SELECT: &str = "SELECT 2 AS kind, s.record_id AS a, s.dhcp_server_record_id AS b, \
    s.scope_id AS c, l.failover_relation_id AS d, r.relationship_name AS t \
    FROM adm_dhcp_scopes s \
    LEFT JOIN adm_dhcp_scope_failovers l ON l.scope_id = s.record_id \
    LEFT JOIN adm_dhcp_failover_relations r ON r.record_id = l.failover_relation_id \
    WHERE s.record_id";

/// The scopes of the id table `j` ([`id_table`]) that cannot simply be linked to a
/// relationship between servers `$1` and `$2`, as typed rows of kind 2 (`a` the scope's
/// RecordId, `b` its server, `c` its subnet, `d` and `t` the relationship it is linked to
/// and its name): each missing one with `b` NULL, each on another server or linked. A
/// request whose scopes are all free returns no row, so the cost of checking 10,000 scopes
/// is the index look-ups, not 10,000 rows carried to the engine.
fn conflict_select(ids: &str) -> String {
    format!(
        "SELECT 2 AS kind, j.id AS a, s.dhcp_server_record_id AS b, s.scope_id AS c, \
         l.failover_relation_id AS d, r.relationship_name AS t \
         FROM {ids} \
         LEFT JOIN adm_dhcp_scopes s ON s.record_id = j.id \
         LEFT JOIN adm_dhcp_scope_failovers l ON l.scope_id = s.record_id \
         LEFT JOIN adm_dhcp_failover_relations r ON r.record_id = l.failover_relation_id \
         WHERE s.record_id IS NULL OR s.dhcp_server_record_id NOT IN ($1, $2) \
         OR l.failover_relation_id IS NOT NULL"
    )
}

/// The fact row of the partner server whose RecordId is the parameter `$id` (kind 0, see
/// [`CREATE_FACTS_HEAD`]).
macro_rules! partner_row {
    ($id:literal) => {
        concat!(
            "SELECT 0 AS kind, s.record_id AS a, \
            (SELECT count(*) FROM adm_dhcp_failover_relations r \
             WHERE r.server1_record_id = s.record_id OR r.server2_record_id = s.record_id) AS b, \
            CAST(NULL AS BIGINT) AS c, CAST(NULL AS BIGINT) AS d, s.name AS t \
            FROM adm_dhcp_servers s WHERE s.record_id = ",
            $id
        )
    };
}

/// The condition that a relation row (columns prefixed `$p`) holds the key of a create's
/// facts: `$3` RelationshipName, `$1` and `$2` the servers, 0 for none.
macro_rules! holds_create_key {
    ($p:literal) => {
        concat!(
            $p,
            "relationship_name = $3 AND coalesce(",
            $p,
            "server1_record_id, 0) = $1 \
            AND coalesce(",
            $p,
            "server2_record_id, 0) = $2"
        )
    };
}

/// The facts of a failover create other than the scopes, as typed rows `kind, a, b, c, d,
/// t` (one statement for both engines; `$1`, `$2` the servers, `$3` the name):
/// kind 0, a partner server: `a` its RecordId, `b` how many relationships name it, `t` its
/// name; kind 1, the relationship with the same key: `a` its RecordId; kind 2, a scope
/// that cannot simply be linked: see [`conflict_select`].
///
/// The two servers are looked up one by one (the second only when it differs from the
/// first) rather than with `IN ($1, $2)`, for which SQLite builds a temporary b-tree on
/// every call.
const CREATE_FACTS_HEAD: &str = concat!(
    partner_row!("$1"),
    " UNION ALL ",
    partner_row!("$2"),
    " AND $2 <> $1 UNION ALL \
    SELECT 1, record_id, NULL, NULL, NULL, NULL FROM adm_dhcp_failover_relations WHERE ",
    holds_create_key!("")
);

fn placement_of(row: &AnyRow) -> Result<ScopePlacement> {
    Ok(ScopePlacement {
        record_id: row.try_get(1)?,
        server: row.try_get(2)?,
        subnet: ip_of(row, "c")?,
        relation: row.try_get(4)?,
        relation_name: row.try_get(5)?,
    })
}

fn scope_of(row: &AnyRow) -> Result<DhcpScopeV4> {
    Ok(DhcpScopeV4 {
        record_id: row.try_get("record_id")?,
        parent_dhcp_server_record_id: row.try_get("dhcp_server_record_id")?,
        scope_id: ip_of(row, "scope_id")?,
        subnet_mask: ip_of(row, "subnet_mask")?,
        start_address: ip_of(row, "start_address")?,
        end_address: ip_of(row, "end_address")?,
        scope_name: row.try_get("scope_name")?,
        description: row.try_get("description")?,
        status: parse_col(row, "status")?,
        lease_duration: TimeSpan(row.try_get("lease_duration_ticks")?),
        failover_config_sync_status: parse_col(row, "failover_config_sync_status")?,
        failover_relationship_name: row.try_get("relationship_name")?,
    })
}

const FAILOVER_COLS: &str = "record_id, relationship_name, server1_record_id, server2_record_id, mode, \
    mclt_ticks, auto_state_transition, state_switch_interval_ticks, server1_percentage, \
    shared_secret_enabled, shared_secret, server1_state, server2_state, server1_name, server2_name, \
    server1_ps_name, server2_ps_name, server1_ip, server2_ip";

/// A relation row as a `DhcpFailover` (GetDhcpFailoverById, §3.1.1.1.44.2.1): RecordId, the
/// non-absent server ids and every FailoverDetails column.
fn failover_of(row: &AnyRow) -> Result<DhcpFailover> {
    let percentage: i64 = row.try_get("server1_percentage")?;
    Ok(DhcpFailover {
        record_id: row.try_get("record_id")?,
        relationship_name: row.try_get("relationship_name")?,
        server1_record_id: row
            .try_get::<Option<i64>, _>("server1_record_id")?
            .unwrap_or(0),
        server2_record_id: row
            .try_get::<Option<i64>, _>("server2_record_id")?
            .unwrap_or(0),
        mode: parse_col(row, "mode")?,
        mclt: TimeSpan(row.try_get("mclt_ticks")?),
        auto_state_transition: row.try_get::<i64, _>("auto_state_transition")? != 0,
        state_switch_interval: TimeSpan(row.try_get("state_switch_interval_ticks")?),
        server1_percentage: percentage.clamp(0, 100) as u32,
        shared_secret_enabled: row.try_get::<i64, _>("shared_secret_enabled")? != 0,
        shared_secret: row.try_get("shared_secret")?,
        server1_state: parse_col(row, "server1_state")?,
        server2_state: parse_col(row, "server2_state")?,
        server1_name: row.try_get("server1_name")?,
        server2_name: row.try_get("server2_name")?,
        server1_ps_name: row.try_get("server1_ps_name")?,
        server2_ps_name: row.try_get("server2_ps_name")?,
        server1_ip: opt_ip_of(row, "server1_ip")?,
        server2_ip: opt_ip_of(row, "server2_ip")?,
        ..DhcpFailover::default()
    })
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// `INSERT INTO` the relation table with every column but RecordId, in table order, up to
/// the rows to insert ([`insert_failover_row`], [`CREATE_ROWS_SQLITE`]).
macro_rules! insert_into_failovers {
    () => {
        "INSERT INTO adm_dhcp_failover_relations (relationship_name, \
        server1_record_id, server2_record_id, mode, mclt_ticks, auto_state_transition, \
        state_switch_interval_ticks, server1_percentage, shared_secret_enabled, shared_secret, \
        server1_state, server2_state, server1_name, server2_name, server1_ps_name, server2_ps_name, \
        server1_ip, server2_ip) "
    };
}

/// The relation row's INSERT, without what follows it ([`INSERT_FAILOVER`],
/// [`INSERT_FAILOVER_SQLITE`]).
macro_rules! insert_failover_row {
    () => {
        concat!(
            insert_into_failovers!(),
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        )
    };
}

/// Inserts a relation row (`$1` RelationshipName, then [`bind_failover_details`]).
const INSERT_FAILOVER: &str = concat!(insert_failover_row!(), " RETURNING record_id");

/// [`INSERT_FAILOVER`] on SQLite, in a call of several statements: the RecordId comes
/// from `last_insert_rowid()`, because `RETURNING` makes SQLite build a temporary b-tree
/// for its rows on every insert.
const INSERT_FAILOVER_SQLITE: &str =
    concat!(insert_failover_row!(), "; SELECT last_insert_rowid()");

/// After [`INSERT_FAILOVER`], in the same call (SQLite): links the scopes of the JSON array
/// `$19` ([`id_list`]) to the row just inserted, found by its unique key (`$1`, `$2`, `$3`).
const LINK_NEW_FAILOVER: &str = "INSERT INTO adm_dhcp_scope_failovers (failover_relation_id, scope_id) \
    SELECT (SELECT record_id FROM adm_dhcp_failover_relations WHERE relationship_name = $1 \
    AND coalesce(server1_record_id, 0) = coalesce($2, 0) \
    AND coalesce(server2_record_id, 0) = coalesce($3, 0)), value FROM json_each($19)";

/// The statements after [`CREATE_FACTS_HEAD`] and its scope rows in a SQLite create of one
/// call ([`Db::create_failover`]), with its parameters (`$1`, `$2` the servers, `$3` the
/// name, `$4` the JSON array of scopes, `$5`… [`bind_failover_fields`]): the relation row,
/// unless its key is taken or a server is missing; the links of the scopes that exist and
/// are in no relationship; then the row holding the key, as a fact of kind 3 (`a` its
/// RecordId, `b` how many links it has). The conditions keep every statement clear of a
/// constraint error, so the call returns its facts whatever they show; what the checks
/// reject is rolled back to the savepoint `ipamd_create` set at the start of the call.
const CREATE_ROWS_SQLITE: &str = concat!(
    insert_into_failovers!(),
    "SELECT $3, nullif($1, 0), nullif($2, 0), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
    $16, $17, $18, $19 \
    WHERE NOT EXISTS (SELECT 1 FROM adm_dhcp_failover_relations WHERE ",
    holds_create_key!(""),
    ") AND ($1 = 0 OR EXISTS (SELECT 1 FROM adm_dhcp_servers WHERE record_id = $1)) \
    AND ($2 = 0 OR EXISTS (SELECT 1 FROM adm_dhcp_servers WHERE record_id = $2)); \
    INSERT INTO adm_dhcp_scope_failovers (failover_relation_id, scope_id) \
    SELECT r.record_id, j.value FROM adm_dhcp_failover_relations r, \
    (SELECT DISTINCT value FROM json_each($4)) j WHERE ",
    holds_create_key!("r."),
    " AND EXISTS (SELECT 1 FROM adm_dhcp_scopes s WHERE s.record_id = j.value) \
    AND NOT EXISTS (SELECT 1 FROM adm_dhcp_scope_failovers l WHERE l.scope_id = j.value); \
    SELECT 3 AS kind, r.record_id AS a, \
    (SELECT count(*) FROM adm_dhcp_scope_failovers l WHERE l.failover_relation_id = r.record_id) AS b, \
    CAST(NULL AS BIGINT) AS c, CAST(NULL AS BIGINT) AS d, CAST(NULL AS TEXT) AS t \
    FROM adm_dhcp_failover_relations r WHERE ",
    holds_create_key!("r.")
);

/// Binds a whole relation row: RelationshipName, then [`bind_failover_details`].
fn bind_failover_row<'q>(q: AnyQuery<'q>, f: &DhcpFailover) -> AnyQuery<'q> {
    let name = f.relationship_name.as_deref().unwrap_or("");
    bind_failover_details(q.bind(name), f)
}

/// Binds the server ids and every FailoverDetails column, in table order (the columns
/// after `relationship_name` in the INSERT and UPDATE statements).
fn bind_failover_details<'q>(q: AnyQuery<'q>, f: &DhcpFailover) -> AnyQuery<'q> {
    let q = q
        .bind(nonzero(f.server1_record_id))
        .bind(nonzero(f.server2_record_id));
    bind_failover_fields(q, f)
}

/// Binds every FailoverDetails column, in table order (the columns after the server ids).
fn bind_failover_fields<'q>(q: AnyQuery<'q>, f: &DhcpFailover) -> AnyQuery<'q> {
    q.bind(f.mode.as_str())
        .bind(f.mclt.ticks())
        .bind(f.auto_state_transition as i64)
        .bind(f.state_switch_interval.ticks())
        .bind(f.server1_percentage as i64)
        .bind(f.shared_secret_enabled as i64)
        .bind(f.shared_secret.clone())
        .bind(f.server1_state.as_str())
        .bind(f.server2_state.as_str())
        .bind(f.server1_name.as_deref())
        .bind(f.server2_name.as_deref())
        .bind(f.server1_ps_name.as_deref())
        .bind(f.server2_ps_name.as_deref())
        .bind(f.server1_ip.map(ip))
        .bind(f.server2_ip.map(ip))
}

/// `Ok` when a statement touched a row, else `NotFound` for `record_id`.
fn found(rows: u64, entity: Entity, record_id: RecordId) -> Result<()> {
    if rows == 0 {
        return Err(StoreError::NotFound { entity, record_id });
    }
    Ok(())
}

fn nonzero(id: RecordId) -> Option<RecordId> {
    (id != 0).then_some(id)
}

fn failover_detail(f: &DhcpFailover) -> String {
    format!(
        "RelationshipName '{}', Server1RecordId {}, Server2RecordId {}",
        f.relationship_name.as_deref().unwrap_or(""),
        f.server1_record_id,
        f.server2_record_id
    )
}

/// Most scopes of a SQLite create in one call ([`Db::create_failover`]). The call saves a
/// hand-off to sqlx's SQLite thread (some 50 µs under load) but looks each scope up twice
/// more to write its link only as far as the facts allow; past a few dozen scopes that costs
/// more than the call saves (a 10,000-scope create took a third longer).
pub const ONE_CALL_MAX_SCOPES: usize = 32;

/// [`CREATE_FACTS_HEAD`] and the conflict rows of `n` scopes ([`conflict_select`], the
/// list from `$4`).
fn create_facts_sql(backend: Backend, n: usize) -> String {
    if n == 0 {
        CREATE_FACTS_HEAD.to_owned()
    } else {
        format!(
            "{CREATE_FACTS_HEAD} UNION ALL {}",
            conflict_select(&id_table(backend, 4, n))
        )
    }
}

/// The facts of a create's rows ([`CREATE_FACTS_HEAD`]), and the RecordId and link count
/// of a fact of kind 3 ([`CREATE_ROWS_SQLITE`]), if there is one.
fn facts_of(rows: &[AnyRow]) -> Result<(CreateFacts, Option<(RecordId, i64)>)> {
    let mut facts = CreateFacts::default();
    let mut written = None;
    for row in rows {
        match row.try_get::<i64, _>(0)? {
            0 => facts.servers.push(ServerLoad {
                record_id: row.try_get(1)?,
                name: row.try_get(5)?,
                relationships: row.try_get(2)?,
            }),
            1 => facts.duplicate = Some(row.try_get(1)?),
            3 => written = Some((row.try_get(1)?, row.try_get(2)?)),
            _ => facts.conflicts.push(row)?,
        }
    }
    Ok((facts, written))
}

impl<'a> Db<'a> {
    /// The queries on `conn`.
    pub(crate) fn new(conn: &'a mut AnyConnection, backend: Backend) -> Db<'a> {
        Db {
            raw: conn,
            backend,
            before: None,
        }
    }

    /// The queries on `conn`, for a write that must run `before` first ([`Before`]).
    pub(crate) fn with_before(
        conn: &'a mut AnyConnection,
        backend: Backend,
        before: &'a mut Before,
    ) -> Db<'a> {
        Db {
            raw: conn,
            backend,
            before: Some(before),
        }
    }
}

impl Db<'_> {
    /// The connection, once what is [`Before`] the write has run.
    async fn conn(&mut self) -> Result<&mut AnyConnection> {
        if let Some(before) = self.before.as_deref_mut()
            && let Before::Due(sql) = *before
        {
            // Left unknown if it fails: of `RELEASE …; SAVEPOINT …` the first may have run,
            // and a failed statement leaves a PostgreSQL transaction unable to commit, so
            // the writer gives up the batch.
            *before = Before::Unknown;
            sqlx::raw_sql(sql).execute(&mut *self.raw).await?;
            *before = Before::Ran;
        }
        Ok(&mut *self.raw)
    }

    /// The rows of `sql` with the arguments `bind` gives it, as the write's first statement:
    /// on SQLite what is [`Before`] the write goes in front of it, in the same call
    /// (PostgreSQL takes one statement per call with parameters; and only a statement whose
    /// rows are all that is read of it may carry it, as the statements in front would add
    /// to a count of changed rows). If that call fails, SQLite may have stopped at any of
    /// its statements, so whether the savepoint was set stays unknown and the writer gives
    /// up the whole batch rather than roll back to a savepoint that may be another write's.
    /// Like the relation insert with its links, this leans on sqlx's SQLite driver running
    /// every statement of a query's text, which sqlx marks as deprecated
    /// (launchbadge/sqlx#3108); should it go, such a call fails loudly and the statements
    /// go back to calls of their own, slower and as correct.
    async fn fetch_all_first<'q>(
        &mut self,
        sql: &str,
        bind: impl FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
    ) -> Result<Vec<AnyRow>> {
        if self.backend == Backend::Sqlite
            && let Some(before) = self.before.as_deref_mut()
            && let Before::Due(pre) = *before
        {
            let q = bind(sqlx::query(AssertSqlSafe(format!("{pre}; {sql}"))));
            *before = Before::Unknown;
            let rows = q.fetch_all(&mut *self.raw).await?;
            *before = Before::Ran;
            return Ok(rows);
        }
        let q = bind(sqlx::query(AssertSqlSafe(sql.to_owned())));
        Ok(q.fetch_all(self.conn().await?).await?)
    }

    /// How many RecordIds one statement takes: all of them on SQLite, where the list is one
    /// parameter; [`CHUNK`] elsewhere.
    fn chunk(&self) -> usize {
        match self.backend {
            Backend::Sqlite => usize::MAX,
            _ => CHUNK,
        }
    }

    /// The rows of `{head} IN (ids…) {tail}` for the distinct `ids`, in chunks of at most
    /// [`Db::chunk`] ids.
    async fn rows_for_ids(
        &mut self,
        head: &str,
        ids: &[RecordId],
        tail: &str,
    ) -> Result<Vec<AnyRow>> {
        let sorted = distinct(ids);
        let mut out = Vec::with_capacity(sorted.len());
        for chunk in sorted.chunks(self.chunk()) {
            let sql = format!(
                "{head} IN ({}) {tail}",
                id_list(self.backend, 1, chunk.len())
            );
            let q = bind_ids(self.backend, sqlx::query(AssertSqlSafe(sql)), chunk);
            out.extend(q.fetch_all(self.conn().await?).await?);
        }
        Ok(out)
    }

    // ----- ADM_DHCPServersTable -------------------------------------------------------

    /// Registers a DHCP server.
    pub async fn insert_server(&mut self, s: &NewDhcpServer) -> Result<DhcpServerV4> {
        let v = validate_new_server(s);
        if !v.is_empty() {
            return Err(StoreError::Invalid(v));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO adm_dhcp_servers (name, address, description) VALUES ($1, $2, $3) RETURNING record_id",
        )
        .bind(s.name.trim())
        .bind(ip(s.address))
        .bind(s.description.as_deref())
        .fetch_one(self.conn().await?)
        .await
        .map_err(|e| StoreError::classify(e, || format!("name '{}'", s.name.trim())))?;
        Ok(DhcpServerV4 {
            record_id: id,
            name: s.name.trim().to_owned(),
            address: s.address,
            description: s.description.clone(),
        })
    }

    /// One server by RecordId.
    pub async fn get_server(&mut self, id: RecordId) -> Result<Option<DhcpServerV4>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SERVER_COLS} FROM adm_dhcp_servers WHERE record_id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn().await?)
        .await?;
        row.as_ref().map(server_of).transpose()
    }

    /// One server by name (case-insensitive).
    pub async fn find_server_by_name(&mut self, name: &str) -> Result<Option<DhcpServerV4>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SERVER_COLS} FROM adm_dhcp_servers WHERE lower(name) = lower($1)"
        )))
        .bind(name.trim())
        .fetch_optional(self.conn().await?)
        .await?;
        row.as_ref().map(server_of).transpose()
    }

    /// Every server, by RecordId.
    pub async fn list_servers(&mut self) -> Result<Vec<DhcpServerV4>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SERVER_COLS} FROM adm_dhcp_servers ORDER BY record_id"
        )))
        .fetch_all(self.conn().await?)
        .await?;
        rows.iter().map(server_of).collect()
    }

    /// Deletes a server and (cascade) its scopes and their links. Refused while a failover
    /// relationship names the server (foreign key "no action", §3.1.1.1.44.1).
    pub async fn delete_server(&mut self, id: RecordId) -> Result<()> {
        if self.get_server(id).await?.is_none() {
            return Err(StoreError::NotFound {
                entity: Entity::DhcpServer,
                record_id: id,
            });
        }
        let refs: Vec<i64> = sqlx::query_scalar(
            "SELECT record_id FROM adm_dhcp_failover_relations \
             WHERE server1_record_id = $1 OR server2_record_id = $1 ORDER BY record_id",
        )
        .bind(id)
        .fetch_all(self.conn().await?)
        .await?;
        if !refs.is_empty() {
            return Err(StoreError::StillReferenced {
                entity: Entity::DhcpServer,
                record_id: id,
                referenced_by: Entity::DhcpFailover,
                referencing_ids: refs,
            });
        }
        sqlx::query("DELETE FROM adm_dhcp_servers WHERE record_id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await
            .map_err(
                |e| match StoreError::classify(e, || format!("DHCP server {id}")) {
                    StoreError::ForeignKeyViolation { .. } => StoreError::StillReferenced {
                        entity: Entity::DhcpServer,
                        record_id: id,
                        referenced_by: Entity::DhcpFailover,
                        referencing_ids: vec![],
                    },
                    other => other,
                },
            )?;
        Ok(())
    }

    /// Locks server rows until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite writes
    /// are serialised already), so checks on a server's relationships stay true until commit.
    pub async fn lock_servers(&mut self, ids: &[RecordId]) -> Result<()> {
        if self.backend != Backend::Postgres || ids.is_empty() {
            return Ok(());
        }
        let sorted = distinct(ids);
        let sql = format!(
            "SELECT record_id FROM adm_dhcp_servers WHERE record_id IN ({}) ORDER BY record_id FOR UPDATE",
            placeholders(1, sorted.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in &sorted {
            q = q.bind(*id);
        }
        q.fetch_all(self.conn().await?).await?;
        Ok(())
    }

    // ----- ADM_DHCPScopesTable --------------------------------------------------------

    /// Registers a scope on an existing server.
    pub async fn insert_scope(&mut self, s: &NewDhcpScope) -> Result<DhcpScopeV4> {
        let v = validate_new_scope(s);
        if !v.is_empty() {
            return Err(StoreError::Invalid(v));
        }
        if self
            .get_server(s.parent_dhcp_server_record_id)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound {
                entity: Entity::DhcpServer,
                record_id: s.parent_dhcp_server_record_id,
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO adm_dhcp_scopes (dhcp_server_record_id, scope_id, subnet_mask, start_address, \
             end_address, scope_name, description, status, lease_duration_ticks, failover_config_sync_status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING record_id",
        )
        .bind(s.parent_dhcp_server_record_id)
        .bind(ip(s.scope_id))
        .bind(ip(s.subnet_mask))
        .bind(ip(s.start_address))
        .bind(ip(s.end_address))
        .bind(s.scope_name.trim())
        .bind(s.description.as_deref())
        .bind(s.status.as_str())
        .bind(s.lease_duration.ticks())
        .bind(s.failover_config_sync_status.as_str())
        .fetch_one(self.conn().await?)
        .await
        .map_err(|e| {
            StoreError::classify(e, || format!("server {} subnet {}", s.parent_dhcp_server_record_id, s.scope_id))
        })?;
        let mut scope = s.clone().into_scope(id);
        scope.scope_name = scope.scope_name.trim().to_owned();
        Ok(scope)
    }

    /// Updates every stored column of a scope (its server and subnet included).
    pub async fn update_scope(&mut self, s: &DhcpScopeV4) -> Result<()> {
        let new = s.to_new();
        let v = validate_new_scope(&new);
        if !v.is_empty() {
            return Err(StoreError::Invalid(v));
        }
        let done = sqlx::query(
            "UPDATE adm_dhcp_scopes SET dhcp_server_record_id = $2, scope_id = $3, subnet_mask = $4, \
             start_address = $5, end_address = $6, scope_name = $7, description = $8, status = $9, \
             lease_duration_ticks = $10, failover_config_sync_status = $11 WHERE record_id = $1",
        )
        .bind(s.record_id)
        .bind(s.parent_dhcp_server_record_id)
        .bind(ip(s.scope_id))
        .bind(ip(s.subnet_mask))
        .bind(ip(s.start_address))
        .bind(ip(s.end_address))
        .bind(s.scope_name.trim())
        .bind(s.description.as_deref())
        .bind(s.status.as_str())
        .bind(s.lease_duration.ticks())
        .bind(s.failover_config_sync_status.as_str())
        .execute(self.conn().await?)
        .await
        .map_err(|e| StoreError::classify(e, || format!("scope {}", s.record_id)))?;
        found(done.rows_affected(), Entity::DhcpScope, s.record_id)
    }

    /// One scope by RecordId (`GetScopeFromTable`, InterNetwork).
    pub async fn get_scope(&mut self, id: RecordId) -> Result<Option<DhcpScopeV4>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SCOPE_SELECT} WHERE s.record_id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn().await?)
        .await?;
        row.as_ref().map(scope_of).transpose()
    }

    /// Every scope, or those of one server (`GetScopesForServer`).
    pub async fn list_scopes(&mut self, server: Option<RecordId>) -> Result<Vec<DhcpScopeV4>> {
        let rows = match server {
            Some(id) => {
                sqlx::query(AssertSqlSafe(format!(
                    "{SCOPE_SELECT} WHERE s.dhcp_server_record_id = $1 ORDER BY s.record_id"
                )))
                .bind(id)
                .fetch_all(self.conn().await?)
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!(
                    "{SCOPE_SELECT} ORDER BY s.record_id"
                )))
                .fetch_all(self.conn().await?)
                .await?
            }
        };
        rows.iter().map(scope_of).collect()
    }

    /// The scope of `server` for subnet `scope_id`, if any.
    pub async fn find_scope_by_subnet(
        &mut self,
        server: RecordId,
        scope_id: Ipv4Addr,
    ) -> Result<Option<DhcpScopeV4>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SCOPE_SELECT} WHERE s.dhcp_server_record_id = $1 AND s.scope_id = $2"
        )))
        .bind(server)
        .bind(ip(scope_id))
        .fetch_optional(self.conn().await?)
        .await?;
        row.as_ref().map(scope_of).transpose()
    }

    /// Deletes a scope; its failover links go with it (cascade, §3.1.1.1.45.1).
    pub async fn delete_scope(&mut self, id: RecordId) -> Result<()> {
        let done = sqlx::query("DELETE FROM adm_dhcp_scopes WHERE record_id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        found(done.rows_affected(), Entity::DhcpScope, id)
    }

    /// Sets `FailoverConfigSyncStatus` of one scope; false when the scope does not exist.
    pub async fn set_failover_config_sync_status(
        &mut self,
        id: RecordId,
        status: DhcpFailoverConfigSyncStatus,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE adm_dhcp_scopes SET failover_config_sync_status = $2 WHERE record_id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets `FailoverConfigSyncStatus` of each of `ids` that exists, one statement per
    /// [`Db::chunk`] distinct ids; returns the RecordIds of the scopes that exist, sorted.
    pub async fn set_failover_config_sync_statuses(
        &mut self,
        ids: &[RecordId],
        status: DhcpFailoverConfigSyncStatus,
    ) -> Result<Vec<RecordId>> {
        let sorted = distinct(ids);
        let mut out = Vec::with_capacity(sorted.len());
        for chunk in sorted.chunks(self.chunk()) {
            let sql = format!(
                "UPDATE adm_dhcp_scopes SET failover_config_sync_status = $1 \
                 WHERE record_id IN ({}) RETURNING record_id",
                id_list(self.backend, 2, chunk.len())
            );
            let q = sqlx::query_scalar::<_, RecordId>(AssertSqlSafe(sql)).bind(status.as_str());
            let q = bind_ids(self.backend, q, chunk);
            out.extend(q.fetch_all(self.conn().await?).await?);
        }
        out.sort_unstable();
        Ok(out)
    }

    // ----- ADM_DhcpFailoverRelationTable ----------------------------------------------

    /// Inserts a relationship row from every stored `DhcpFailover` field and returns the
    /// store-assigned RecordId (the incoming `record_id` is ignored).
    pub async fn insert_failover(&mut self, f: &DhcpFailover) -> Result<RecordId> {
        let row = bind_failover_row(sqlx::query(INSERT_FAILOVER), f)
            .fetch_one(self.conn().await?)
            .await
            .map_err(|e| StoreError::classify(e, || failover_detail(f)))?;
        Ok(row.try_get(0)?)
    }

    /// [`Db::insert_failover`] then [`Db::link_scopes_bulk`] of `scopes` to the new row:
    /// its RecordId, in one round trip (for up to [`Db::chunk`] scopes; one more per
    /// further chunk). On SQLite the call holds two statements, the links finding the row
    /// by its unique key; on PostgreSQL one, the links inserted by a data-modifying `WITH`
    /// from the row's `RETURNING`. A unique violation of either is reported with the row's
    /// key; its constraint says which it was.
    pub async fn insert_failover_with_links(
        &mut self,
        f: &DhcpFailover,
        scopes: &[RecordId],
    ) -> Result<RecordId> {
        if scopes.is_empty() {
            return self.insert_failover(f).await;
        }
        let (first, rest) = scopes.split_at(scopes.len().min(self.chunk()));
        let sql = match self.backend {
            Backend::Sqlite => format!("{INSERT_FAILOVER_SQLITE}; {LINK_NEW_FAILOVER}"),
            Backend::Postgres => format!(
                "WITH r AS ({INSERT_FAILOVER}), l AS (INSERT INTO adm_dhcp_scope_failovers \
                 (failover_relation_id, scope_id) SELECT r.record_id, j.id FROM r, {}) \
                 SELECT record_id FROM r",
                id_table(self.backend, 19, first.len())
            ),
        };
        let q = bind_failover_row(sqlx::query(AssertSqlSafe(sql)), f);
        let q = bind_ids(self.backend, q, first);
        // Every statement runs only when all rows are fetched.
        let rows = q
            .fetch_all(self.conn().await?)
            .await
            .map_err(|e| StoreError::classify(e, || failover_detail(f)))?;
        let id = rows
            .first()
            .ok_or_else(|| StoreError::Config("the relation insert returned no RecordId".into()))?
            .try_get(0)?;
        self.link_scopes_bulk(id, rest).await?;
        Ok(id)
    }

    /// Writes every stored field of `f` to the row `f.record_id`.
    pub async fn update_failover(&mut self, f: &DhcpFailover) -> Result<()> {
        let q = sqlx::query(
            "UPDATE adm_dhcp_failover_relations SET relationship_name = $2, server1_record_id = $3, \
             server2_record_id = $4, mode = $5, mclt_ticks = $6, auto_state_transition = $7, \
             state_switch_interval_ticks = $8, server1_percentage = $9, shared_secret_enabled = $10, \
             shared_secret = $11, server1_state = $12, server2_state = $13, server1_name = $14, \
             server2_name = $15, server1_ps_name = $16, server2_ps_name = $17, server1_ip = $18, \
             server2_ip = $19 WHERE record_id = $1",
        )
        .bind(f.record_id)
        .bind(f.relationship_name.as_deref().unwrap_or(""));
        let done = bind_failover_details(q, f)
            .execute(self.conn().await?)
            .await
            .map_err(|e| StoreError::classify(e, || failover_detail(f)))?;
        found(done.rows_affected(), Entity::DhcpFailover, f.record_id)
    }

    /// GetDhcpFailoverById (§3.1.1.1.44.2.1).
    pub async fn get_failover(&mut self, id: RecordId) -> Result<Option<DhcpFailover>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FAILOVER_COLS} FROM adm_dhcp_failover_relations WHERE record_id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn().await?)
        .await?;
        row.as_ref().map(failover_of).transpose()
    }

    /// Every relationship (the "All" enumeration, §3.5.4.8.1.8), by RecordId.
    pub async fn list_failovers(&mut self) -> Result<Vec<DhcpFailover>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FAILOVER_COLS} FROM adm_dhcp_failover_relations ORDER BY record_id"
        )))
        .fetch_all(self.conn().await?)
        .await?;
        rows.iter().map(failover_of).collect()
    }

    /// GetAllDhcpFailoverByServerId (§3.1.1.1.44.2.2): relationships naming `server` as
    /// either partner. ipamd returns the full rows (the spec copies only the ids).
    pub async fn failovers_by_server(&mut self, server: RecordId) -> Result<Vec<DhcpFailover>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FAILOVER_COLS} FROM adm_dhcp_failover_relations \
             WHERE server1_record_id = $1 OR server2_record_id = $1 ORDER BY record_id"
        )))
        .bind(server)
        .fetch_all(self.conn().await?)
        .await?;
        rows.iter().map(failover_of).collect()
    }

    /// Deletes a relationship; its scope links go with it (cascade, §3.1.1.1.45.1).
    pub async fn delete_failover(&mut self, id: RecordId) -> Result<()> {
        let done = sqlx::query("DELETE FROM adm_dhcp_failover_relations WHERE record_id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        found(done.rows_affected(), Entity::DhcpFailover, id)
    }

    // ----- ADM_DhcpScopeFailoverTable -------------------------------------------------

    /// Links `scope` to `relation` unless that link exists (§3.19.4.4.1.23 step 4).
    /// Returns whether a row was added.
    pub async fn link_scope(&mut self, scope: RecordId, relation: RecordId) -> Result<bool> {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT record_id FROM adm_dhcp_scope_failovers WHERE scope_id = $1 AND failover_relation_id = $2",
        )
        .bind(scope)
        .bind(relation)
        .fetch_optional(self.conn().await?)
        .await?;
        if exists.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO adm_dhcp_scope_failovers (failover_relation_id, scope_id) VALUES ($1, $2)",
        )
        .bind(relation)
        .bind(scope)
        .execute(self.conn().await?)
        .await
        .map_err(|e| {
            StoreError::classify(e, || format!("scope {scope}, relationship {relation}"))
        })?;
        Ok(true)
    }

    /// Links many scopes to `relation` in multi-row inserts. Every id must be distinct and
    /// not linked yet; a violation fails the whole call (and so the transaction).
    pub async fn link_scopes_bulk(
        &mut self,
        relation: RecordId,
        scopes: &[RecordId],
    ) -> Result<()> {
        for chunk in scopes.chunks(self.chunk()) {
            let sql = match self.backend {
                Backend::Sqlite => "INSERT INTO adm_dhcp_scope_failovers \
                    (failover_relation_id, scope_id) SELECT $1, value FROM json_each($2)"
                    .to_owned(),
                _ => format!(
                    "INSERT INTO adm_dhcp_scope_failovers (failover_relation_id, scope_id) VALUES {}",
                    placeholders_each(2, chunk.len(), "($1, $", ")")
                ),
            };
            let q = bind_ids(
                self.backend,
                sqlx::query(AssertSqlSafe(sql)).bind(relation),
                chunk,
            );
            q.execute(self.conn().await?)
                .await
                .map_err(|e| StoreError::classify(e, || format!("relationship {relation}")))?;
        }
        Ok(())
    }

    /// For each of `scopes` that is linked, (scope RecordId, relationship RecordId).
    pub async fn links_of_scopes(
        &mut self,
        scopes: &[RecordId],
    ) -> Result<Vec<(RecordId, RecordId)>> {
        let head =
            "SELECT scope_id, failover_relation_id FROM adm_dhcp_scope_failovers WHERE scope_id";
        let rows = self.rows_for_ids(head, scopes, "ORDER BY scope_id").await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Removes the links of `relation` to `scopes`; returns how many went.
    pub async fn unlink_scopes(&mut self, relation: RecordId, scopes: &[RecordId]) -> Result<u64> {
        let mut n = 0;
        for chunk in scopes.chunks(self.chunk()) {
            let sql = format!(
                "DELETE FROM adm_dhcp_scope_failovers WHERE failover_relation_id = $1 AND scope_id IN ({})",
                id_list(self.backend, 2, chunk.len())
            );
            let q = bind_ids(
                self.backend,
                sqlx::query(AssertSqlSafe(sql)).bind(relation),
                chunk,
            );
            n += q.execute(self.conn().await?).await?.rows_affected();
        }
        Ok(n)
    }

    /// RecordIds of the scopes linked to `relation`.
    pub async fn scope_ids_of_failover(&mut self, relation: RecordId) -> Result<Vec<RecordId>> {
        Ok(sqlx::query_scalar(
            "SELECT scope_id FROM adm_dhcp_scope_failovers WHERE failover_relation_id = $1 ORDER BY scope_id",
        )
        .bind(relation)
        .fetch_all(self.conn().await?)
        .await?)
    }

    /// GetDhcpFailoverScopes (§3.1.1.1.45.2.1): the scopes linked to `relation`.
    pub async fn scopes_of_failover(&mut self, relation: RecordId) -> Result<Vec<DhcpScopeV4>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SCOPE_SELECT} WHERE l.failover_relation_id = $1 ORDER BY s.record_id"
        )))
        .bind(relation)
        .fetch_all(self.conn().await?)
        .await?;
        rows.iter().map(scope_of).collect()
    }

    /// For each of `scopes` that exists: its server, its subnet and the relationship it
    /// is linked to, in one query (the checks of add-scopes).
    pub async fn scope_placements(&mut self, scopes: &[RecordId]) -> Result<Vec<ScopePlacement>> {
        let rows = self.rows_for_ids(PLACEMENT_SELECT, scopes, "").await?;
        rows.iter().map(placement_of).collect()
    }

    /// The scopes of `scopes` that cannot simply be linked to a relationship between
    /// `server1` and `server2`: those that do not exist, sit on another server, or are
    /// linked to a relationship (the checks of add-scopes; [`conflict_select`]).
    pub async fn scope_conflicts(
        &mut self,
        server1: RecordId,
        server2: RecordId,
        scopes: &[RecordId],
    ) -> Result<ScopeConflicts> {
        let mut out = ScopeConflicts::default();
        for chunk in distinct(scopes).chunks(self.chunk()) {
            let sql = conflict_select(&id_table(self.backend, 3, chunk.len()));
            let q = sqlx::query(AssertSqlSafe(sql)).bind(server1).bind(server2);
            for row in bind_ids(self.backend, q, chunk)
                .fetch_all(self.conn().await?)
                .await?
            {
                out.push(&row)?;
            }
        }
        out.missing.sort_unstable();
        Ok(out)
    }

    /// Everything the checks of a failover create between `server1` and `server2` read,
    /// in one statement (for up to [`Db::chunk`] distinct scopes; one more per further
    /// chunk): the two servers with their relationship counts, the relationship holding
    /// the key (`name`, `server1`, `server2`) already, and the scopes of `scopes` that
    /// cannot simply be linked ([`Db::scope_conflicts`]).
    pub async fn failover_create_facts(
        &mut self,
        name: &str,
        server1: RecordId,
        server2: RecordId,
        scopes: &[RecordId],
    ) -> Result<CreateFacts> {
        let ids = distinct(scopes);
        let (first, rest) = ids.split_at(ids.len().min(self.chunk()));
        let sql = create_facts_sql(self.backend, first.len());
        // The first statement of a create: the write's savepoint goes in the same call.
        let backend = self.backend;
        let rows = self
            .fetch_all_first(&sql, |q| {
                bind_ids(backend, q.bind(server1).bind(server2).bind(name), first)
            })
            .await?;
        let (mut facts, _) = facts_of(&rows)?;
        if !rest.is_empty() {
            let more = self.scope_conflicts(server1, server2, rest).await?;
            facts.conflicts.missing.extend(more.missing);
            facts.conflicts.placements.extend(more.placements);
        }
        facts.conflicts.missing.sort_unstable();
        Ok(facts)
    }

    /// A failover create: reads its facts ([`Db::failover_create_facts`]), asks `check`
    /// whether they allow the create (its rejection is returned as it is, with nothing
    /// written), then inserts the relation row and links every scope of `scopes` to it
    /// ([`Db::insert_failover_with_links`]); the new RecordId. `check` is to reject a
    /// create with a scope that is missing or linked already.
    ///
    /// On SQLite it is one call, the write's savepoint included: the facts, then the rows
    /// written as far as the facts allow (no statement can fail on a constraint), then
    /// `check`; a rejection rolls the rows back to a savepoint set at the start of the call
    /// (one more call, on that path only). A create whose checks pass leaves that savepoint
    /// to the end of the write (the write's own savepoint or its COMMIT releases it), so it
    /// belongs in a write's transaction, as every change does. Should the rows written not
    /// be a new relation with a link for each scope (`check` let a missing or linked scope
    /// through), they are rolled back the same way and the create fails.
    /// On PostgreSQL, and for more than [`ONE_CALL_MAX_SCOPES`] scopes, the servers are
    /// locked first (PostgreSQL) and the rows written after the check, in a call of their own.
    pub async fn create_failover<E>(
        &mut self,
        f: &DhcpFailover,
        scopes: &[RecordId],
        check: impl FnOnce(CreateFacts) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<RecordId, E>> {
        let (server1, server2) = (f.server1_record_id, f.server2_record_id);
        let name = f.relationship_name.as_deref().unwrap_or_default();
        let ids = distinct(scopes);
        if self.backend != Backend::Sqlite || ids.len() > ONE_CALL_MAX_SCOPES {
            self.lock_servers(&[server1, server2]).await?;
            let facts = self
                .failover_create_facts(name, server1, server2, &ids)
                .await?;
            return match check(facts) {
                Ok(()) => Ok(Ok(self.insert_failover_with_links(f, &ids).await?)),
                Err(e) => Ok(Err(e)),
            };
        }
        let sql = format!(
            "SAVEPOINT ipamd_create; {}; {CREATE_ROWS_SQLITE}",
            create_facts_sql(self.backend, ids.len())
        );
        let backend = self.backend;
        let rows = self
            .fetch_all_first(&sql, |q| {
                let q = bind_ids(backend, q.bind(server1).bind(server2).bind(name), &ids);
                bind_failover_fields(q, f)
            })
            .await?;
        let (mut facts, written) = facts_of(&rows)?;
        facts.conflicts.missing.sort_unstable();
        let new = facts.duplicate.is_none();
        let outcome = match check(facts) {
            Ok(()) => match written {
                Some((id, links)) if new && links == ids.len() as i64 => return Ok(Ok(id)),
                _ => Err(StoreError::Config(format!(
                    "the create of {} found {written:?} (RecordId, links), not a new relationship with {} links",
                    failover_detail(f),
                    ids.len()
                ))),
            },
            Err(e) => Ok(Err(e)),
        };
        // Whatever the call wrote goes: the create fails as a whole.
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT ipamd_create; RELEASE SAVEPOINT ipamd_create")
            .execute(self.conn().await?)
            .await?;
        outcome
    }

    /// Row counts of the four tables (servers, scopes, relationships, links), for checks.
    pub async fn counts(&mut self) -> Result<[i64; 4]> {
        let mut out = [0; 4];
        for (i, t) in [
            "adm_dhcp_servers",
            "adm_dhcp_scopes",
            "adm_dhcp_failover_relations",
            "adm_dhcp_scope_failovers",
        ]
        .iter()
        .enumerate()
        {
            out[i] = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {t}")))
                .fetch_one(self.conn().await?)
                .await?;
        }
        Ok(out)
    }

    /// Runs a statement outside the typed queries: maintenance and test set-up only (for
    /// example `PRAGMA defer_foreign_keys = ON` to exercise a failing commit).
    #[doc(hidden)]
    pub async fn execute_unchecked(&mut self, sql: &'static str) -> Result<()> {
        sqlx::raw_sql(sql).execute(self.conn().await?).await?;
        Ok(())
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&mut self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.conn().await?).await?;
        Ok(())
    }
}
