-- The abstract data model of [MS-IPAMM2] §3.1.1.1, DHCPv4 failover slice.
-- IPv4 addresses are stored as their unsigned 32-bit value (first octet most significant).
-- TimeSpans are stored as .NET ticks (100 ns). Flags are 0/1 integers.

-- ADM_DHCPServersTable (§3.1.1.1.17), IPv4 part.
CREATE TABLE adm_dhcp_servers (
    record_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 256),
    address     INTEGER NOT NULL CHECK (address BETWEEN 0 AND 4294967295),
    description TEXT CHECK (description IS NULL OR length(description) <= 256)
);
CREATE UNIQUE INDEX uq_dhcp_server_name ON adm_dhcp_servers (lower(name));

-- ADM_DHCPScopesTable (§3.1.1.1.13), IPv4 part. DHCPServerRecordId: on delete cascade.
CREATE TABLE adm_dhcp_scopes (
    record_id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    dhcp_server_record_id        INTEGER NOT NULL
        REFERENCES adm_dhcp_servers (record_id) ON DELETE CASCADE ON UPDATE CASCADE,
    scope_id                     INTEGER NOT NULL CHECK (scope_id BETWEEN 0 AND 4294967295),
    subnet_mask                  INTEGER NOT NULL CHECK (subnet_mask BETWEEN 0 AND 4294967295),
    start_address                INTEGER NOT NULL CHECK (start_address BETWEEN 0 AND 4294967295),
    end_address                  INTEGER NOT NULL CHECK (end_address BETWEEN 0 AND 4294967295),
    scope_name                   TEXT    NOT NULL CHECK (length(trim(scope_name)) BETWEEN 1 AND 256),
    description                  TEXT CHECK (description IS NULL OR length(description) <= 256),
    status                       TEXT    NOT NULL CHECK (status IN ('Active', 'Inactive')),
    lease_duration_ticks         INTEGER NOT NULL CHECK (lease_duration_ticks > 0),
    failover_config_sync_status  TEXT    NOT NULL DEFAULT 'Unknown'
        CHECK (failover_config_sync_status IN ('Unknown', 'InSync', 'OutOfSync')),
    CHECK (start_address <= end_address)
);
CREATE UNIQUE INDEX uq_dhcp_scope_subnet ON adm_dhcp_scopes (dhcp_server_record_id, scope_id);

-- ADM_DhcpFailoverRelationTable (§3.1.1.1.44.1): RecordId, RelationshipName, the two
-- server references (on delete no action) and every FailoverDetails column.
CREATE TABLE adm_dhcp_failover_relations (
    record_id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    relationship_name            TEXT    NOT NULL CHECK (length(trim(relationship_name)) BETWEEN 1 AND 256),
    server1_record_id            INTEGER
        REFERENCES adm_dhcp_servers (record_id) ON DELETE NO ACTION ON UPDATE CASCADE,
    server2_record_id            INTEGER
        REFERENCES adm_dhcp_servers (record_id) ON DELETE NO ACTION ON UPDATE CASCADE,
    mode                         TEXT    NOT NULL CHECK (mode IN ('None', 'LoadBalance', 'HotStandby')),
    mclt_ticks                   INTEGER NOT NULL,
    auto_state_transition        INTEGER NOT NULL CHECK (auto_state_transition IN (0, 1)),
    state_switch_interval_ticks  INTEGER NOT NULL,
    server1_percentage           INTEGER NOT NULL CHECK (server1_percentage BETWEEN 0 AND 100),
    shared_secret_enabled        INTEGER NOT NULL CHECK (shared_secret_enabled IN (0, 1)),
    shared_secret                BLOB,
    server1_state                TEXT    NOT NULL,
    server2_state                TEXT    NOT NULL,
    server1_name                 TEXT CHECK (server1_name IS NULL OR length(server1_name) <= 256),
    server2_name                 TEXT CHECK (server2_name IS NULL OR length(server2_name) <= 256),
    server1_ps_name              TEXT CHECK (server1_ps_name IS NULL OR length(server1_ps_name) <= 256),
    server2_ps_name              TEXT CHECK (server2_ps_name IS NULL OR length(server2_ps_name) <= 256),
    server1_ip                   INTEGER CHECK (server1_ip IS NULL OR server1_ip BETWEEN 0 AND 4294967295),
    server2_ip                   INTEGER CHECK (server2_ip IS NULL OR server2_ip BETWEEN 0 AND 4294967295)
);
-- (RelationshipName, Server1RecordId, Server2RecordId) MUST be unique; NULL ids compare as 0,
-- the spec's "absent" value (docs/spec-decisions.md).
CREATE UNIQUE INDEX uq_dhcp_failover_relation ON adm_dhcp_failover_relations
    (relationship_name, coalesce(server1_record_id, 0), coalesce(server2_record_id, 0));
CREATE INDEX ix_dhcp_failover_server1 ON adm_dhcp_failover_relations (server1_record_id);
CREATE INDEX ix_dhcp_failover_server2 ON adm_dhcp_failover_relations (server2_record_id);

-- ADM_DhcpScopeFailoverTable (§3.1.1.1.45.1): both foreign keys cascade. ipamd keeps a scope
-- in at most one relationship, as the DHCP server does (docs/spec-decisions.md).
CREATE TABLE adm_dhcp_scope_failovers (
    record_id             INTEGER PRIMARY KEY AUTOINCREMENT,
    failover_relation_id  INTEGER NOT NULL
        REFERENCES adm_dhcp_failover_relations (record_id) ON DELETE CASCADE ON UPDATE CASCADE,
    scope_id              INTEGER NOT NULL
        REFERENCES adm_dhcp_scopes (record_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX uq_dhcp_scope_failover_scope ON adm_dhcp_scope_failovers (scope_id);
CREATE INDEX ix_dhcp_scope_failover_relation ON adm_dhcp_scope_failovers (failover_relation_id);
