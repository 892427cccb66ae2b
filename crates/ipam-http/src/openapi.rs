//! The OpenAPI 3.1 document of the API, written by hand and kept in sync with
//! [`ROUTES`](crate::ROUTES) by a test.

use serde_json::{Value, json};

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn ok(status: &str, description: &str, schema: Option<Value>) -> Value {
    let mut responses = json!({
        "400": { "$ref": "#/components/responses/BadRequest" },
        "404": { "$ref": "#/components/responses/NotFound" },
        "409": { "$ref": "#/components/responses/Conflict" },
        "413": { "$ref": "#/components/responses/TooLarge" },
        "422": { "$ref": "#/components/responses/Unprocessable" },
    });
    responses[status] = match schema {
        Some(s) => {
            json!({ "description": description, "content": { "application/json": { "schema": s } } })
        }
        None => json!({ "description": description }),
    };
    responses
}

fn array(schema: Value) -> Value {
    json!({ "type": "array", "items": schema })
}

fn id_param(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true,
            "schema": { "type": "integer", "format": "int64" } })
}

fn server_filter() -> Value {
    json!({ "name": "server_record_id", "in": "query", "required": false,
            "description": "Only those of this DHCP server.",
            "schema": { "type": "integer", "format": "int64" } })
}

fn op(
    id: &str,
    summary: &str,
    params: Vec<Value>,
    request: Option<Value>,
    responses: Value,
) -> Value {
    let mut o = json!({ "operationId": id, "summary": summary, "parameters": params, "responses": responses });
    if let Some(b) = request {
        o["requestBody"] = b;
    }
    o
}

const IPV4: &str = "IPv4 address in dotted-quad form";
const DURATION: &str = "ISO 8601 duration, e.g. PT1H";

fn ipv4() -> Value {
    json!({ "type": "string", "format": "ipv4", "description": IPV4 })
}
fn ipv4_or_null() -> Value {
    json!({ "type": ["string", "null"], "format": "ipv4", "description": IPV4 })
}
fn duration() -> Value {
    json!({ "type": "string", "description": DURATION, "example": "PT1H" })
}
fn int64() -> Value {
    json!({ "type": "integer", "format": "int64" })
}
fn string_or_null() -> Value {
    json!({ "type": ["string", "null"] })
}
fn enumeration(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// The schema of one of the model's string enumerations: every `as_str` name, in order.
macro_rules! enum_schema {
    ($ty:ty) => {
        enumeration(&<$ty>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>())
    };
}

fn schemas() -> Value {
    use ipam_model::*;
    let mode = enum_schema!(DhcpFailoverMode);
    let state = enum_schema!(DhcpFailoverState);
    let sync = enum_schema!(DhcpFailoverConfigSyncStatus);
    let scope_status = enum_schema!(DhcpScopeStatus);
    let owner = enum_schema!(DhcpFailoverOperationOwner);
    let overall = enum_schema!(OverallProgressStatus);
    let sub_status = enum_schema!(SubTaskStatus);
    let exception_id = json!({ "type": "string", "description": "An IpamExceptionId (MS-IPAMM2 2.2.5.67), e.g. IpamApiInvalidParameter." });
    let admin_op = enum_schema!(IpamAdminOperationId);
    json!({
        "Server": { "type": "object",
            "required": ["record_id", "name", "address", "description"],
            "properties": { "record_id": int64(), "name": { "type": "string" },
                "address": ipv4(), "description": string_or_null() } },
        "NewServer": { "type": "object", "additionalProperties": false,
            "required": ["name", "address"],
            "properties": { "name": { "type": "string", "maxLength": 256 },
                "address": ipv4(), "description": string_or_null() } },
        "Scope": { "type": "object",
            "required": ["record_id", "server_record_id", "scope_id", "subnet_mask", "start_address",
                "end_address", "name", "status", "lease_duration", "failover_config_sync_status"],
            "properties": { "record_id": int64(), "server_record_id": int64(),
                "scope_id": ipv4(), "subnet_mask": ipv4(), "start_address": ipv4(),
                "end_address": ipv4(), "name": { "type": "string" }, "description": string_or_null(),
                "status": scope_status, "lease_duration": duration(),
                "failover_config_sync_status": sync, "failover_relationship_name": string_or_null() } },
        "NewScope": { "type": "object", "additionalProperties": false,
            "required": ["server_record_id", "scope_id", "subnet_mask", "start_address", "end_address", "name"],
            "properties": { "server_record_id": int64(), "scope_id": ipv4(), "subnet_mask": ipv4(),
                "start_address": ipv4(), "end_address": ipv4(), "name": { "type": "string" },
                "description": string_or_null(), "status": scope_status,
                "lease_duration": duration(), "failover_config_sync_status": sync } },
        "Failover": { "type": "object",
            "description": "A DHCP failover relationship; the shared secret is never returned, only shared_secret_set.",
            "required": ["record_id", "relationship_name", "mode", "server1_record_id", "server2_record_id",
                "server1_percentage", "mclt", "state_switch_interval", "auto_state_transition",
                "shared_secret_enabled", "shared_secret_set", "server1_state", "server2_state"],
            "properties": { "record_id": int64(), "relationship_name": string_or_null(), "mode": mode,
                "server1_record_id": int64(), "server2_record_id": int64(),
                "server1_name": string_or_null(), "server2_name": string_or_null(),
                "server1_ip": ipv4_or_null(), "server2_ip": ipv4_or_null(),
                "server1_ps_name": string_or_null(), "server2_ps_name": string_or_null(),
                "server1_percentage": { "type": "integer", "minimum": 0, "maximum": 100 },
                "server1_state": state, "server2_state": state,
                "mclt": duration(), "state_switch_interval": duration(),
                "auto_state_transition": { "type": "boolean" },
                "shared_secret_enabled": { "type": "boolean" },
                "shared_secret_set": { "type": "boolean" },
                "server_owner": owner,
                "operation_tracker": { "type": ["array", "null"], "items": { "type": "string" } } } },
        "NewFailover": { "type": "object", "additionalProperties": false,
            "required": ["relationship_name", "mode", "server1_record_id", "server2_record_id", "scope_ids"],
            "properties": { "relationship_name": { "type": "string", "maxLength": 256 }, "mode": mode,
                "server1_record_id": int64(), "server2_record_id": int64(),
                "scope_ids": array(int64()),
                "server1_percentage": { "type": "integer", "default": 50 },
                "mclt": duration(), "state_switch_interval": duration(),
                "auto_state_transition": { "type": "boolean" },
                "shared_secret_enabled": { "type": "boolean" },
                "shared_secret": { "type": ["string", "null"], "writeOnly": true },
                "server1_name": string_or_null(), "server2_name": string_or_null(),
                "server1_ip": ipv4_or_null(), "server2_ip": ipv4_or_null(),
                "server1_ps_name": string_or_null(), "server2_ps_name": string_or_null(),
                "server1_state": state, "server2_state": state, "server_owner": owner } },
        "FailoverPatch": { "type": "object", "additionalProperties": false,
            "description": "Only the fields present change (they become ModifiedProperties).",
            "properties": { "relationship_name": string_or_null(), "mode": mode,
                "server1_percentage": { "type": "integer" },
                "mclt": duration(), "state_switch_interval": duration(),
                "auto_state_transition": { "type": "boolean" },
                "shared_secret_enabled": { "type": "boolean" },
                "shared_secret": { "type": ["string", "null"], "writeOnly": true },
                "server1_name": string_or_null(), "server2_name": string_or_null(),
                "server1_ip": ipv4_or_null(), "server2_ip": ipv4_or_null(),
                "server1_ps_name": string_or_null(), "server2_ps_name": string_or_null(),
                "server1_state": state, "server2_state": state } },
        "AddScopes": { "type": "object", "additionalProperties": false, "required": ["scope_ids"],
            "properties": { "scope_ids": array(int64()) } },
        "RemoveScopes": { "type": "object", "additionalProperties": false, "required": ["scope_ids"],
            "properties": { "scope_ids": array(int64()), "force": { "type": "boolean", "default": false } } },
        "IpamException": { "type": "object", "required": ["exception_id", "message"],
            "properties": { "exception_id": exception_id, "message": { "type": "string" },
                "inner": r("IpamException") } },
        "SubTask": { "type": "object", "required": ["id", "kind", "status"],
            "properties": { "id": { "type": "integer" }, "kind": { "type": "integer" },
                "name": string_or_null(), "status": sub_status, "description": string_or_null(),
                "exception": { "oneOf": [r("IpamException"), { "type": "null" }] } } },
        "Operation": { "type": "object",
            "required": ["id", "operation_id", "status", "percent", "sub_tasks"],
            "properties": { "id": { "type": "string" }, "operation_id": admin_op, "status": overall,
                "percent": { "type": "integer", "minimum": 0, "maximum": 100 },
                "sub_tasks": array(r("SubTask")),
                "result_record_id": { "type": ["integer", "null"], "format": "int64" },
                "exception": { "oneOf": [r("IpamException"), { "type": "null" }] },
                "created_at": { "type": "integer", "description": "Unix time (seconds)" },
                "events": { "type": "integer", "description": "Progress events so far" } } },
        "Error": { "type": "object", "required": ["exception_id", "message"],
            "properties": { "exception_id": exception_id, "message": { "type": "string" },
                "field": { "type": "string", "description": "The offending JSON field" },
                "inner": r("IpamException") } },
    })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description,
            "content": { "application/json": { "schema": r("Error") } } })
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi() -> Value {
    let rid = || vec![id_param("record_id")];
    let accepted = || {
        ok(
            "202",
            "Accepted: the operation runs; follow Location or /events",
            Some(r("Operation")),
        )
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ipamd JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "DHCP servers, scopes and failover relationships (MS-IPAMM2). Changes to failovers run as operations with progress: 202 with an Operation, whose events stream as Server-Sent Events.",
        },
        "paths": {
            "/healthz": { "get": op("healthz", "Store reachable", vec![], None,
                json!({ "200": { "description": "OK" }, "503": { "description": "The store is unreachable" } })) },
            "/metrics": { "get": op("metrics", "Prometheus text metrics", vec![], None,
                json!({ "200": { "description": "Prometheus text exposition format",
                    "content": { "text/plain": { "schema": { "type": "string" } } } } })) },
            "/api/v1/openapi.json": { "get": op("openapi", "This document", vec![], None,
                json!({ "200": { "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object" } } } } })) },
            "/api/v1/dhcp-servers": {
                "get": op("listDhcpServers", "List DHCP servers", vec![], None, ok("200", "Servers", Some(array(r("Server"))))),
                "post": op("createDhcpServer", "Register a DHCP server", vec![], Some(body(r("NewServer"))), ok("201", "Registered", Some(r("Server")))),
            },
            "/api/v1/dhcp-servers/{record_id}": {
                "get": op("getDhcpServer", "One DHCP server", rid(), None, ok("200", "The server", Some(r("Server")))),
                "delete": op("deleteDhcpServer", "Delete a DHCP server (its scopes go too; 409 while a relationship names it)", rid(), None, ok("204", "Deleted", None)),
            },
            "/api/v1/dhcp-scopes": {
                "get": op("listDhcpScopes", "List scopes", vec![server_filter()], None, ok("200", "Scopes", Some(array(r("Scope"))))),
                "post": op("createDhcpScope", "Register a scope", vec![], Some(body(r("NewScope"))), ok("201", "Registered", Some(r("Scope")))),
            },
            "/api/v1/dhcp-scopes/{record_id}": {
                "get": op("getDhcpScope", "One scope", rid(), None, ok("200", "The scope", Some(r("Scope")))),
                "delete": op("deleteDhcpScope", "Delete a scope", rid(), None, ok("204", "Deleted", None)),
            },
            "/api/v1/dhcp-failovers": {
                "get": op("listDhcpFailovers", "List failover relationships", vec![server_filter()], None, ok("200", "Relationships", Some(array(r("Failover"))))),
                "post": op("createDhcpFailover", "Create a relationship (CreateDhcpFailover)", vec![], Some(body(r("NewFailover"))), accepted()),
            },
            "/api/v1/dhcp-failovers/{record_id}": {
                "get": op("getDhcpFailover", "One relationship", rid(), None, ok("200", "The relationship", Some(r("Failover")))),
                "patch": op("editDhcpFailover", "Edit a relationship (EditDhcpFailover)", rid(), Some(body(r("FailoverPatch"))), accepted()),
                "delete": op("deleteDhcpFailover", "Delete a relationship (DeleteDhcpFailover)", {
                    let mut p = rid();
                    p.push(json!({ "name": "force", "in": "query", "required": false, "schema": { "type": "boolean" } }));
                    p
                }, None, accepted()),
            },
            "/api/v1/dhcp-failovers/{record_id}/scopes": {
                "get": op("getDhcpFailoverScopes", "The scopes of a relationship", rid(), None, ok("200", "Scopes", Some(array(r("Scope"))))),
                "post": op("addDhcpFailoverScopes", "Add scopes (AddDhcpFailoverScopes)", rid(), Some(body(r("AddScopes"))), accepted()),
                "delete": op("removeDhcpFailoverScopes", "Remove scopes (RemoveDhcpFailoverScopes)", rid(), Some(body(r("RemoveScopes"))), accepted()),
            },
            "/api/v1/dhcp-failovers/{record_id}/replicate": {
                "post": op("replicateDhcpFailover", "Replicate the relationship's scopes to the partner (ReplicateRelation)", rid(), None, accepted()),
            },
            "/api/v1/operations/{id}": {
                "get": op("getOperation", "An operation: status, percent, sub-tasks, fault, result", vec![json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } })], None, ok("200", "The operation", Some(r("Operation")))),
            },
            "/api/v1/operations/{id}/events": {
                "get": op("getOperationEvents", "Progress as Server-Sent Events: one per callback (StartProgressCallback, AddSubTask, SetSubTaskStatus, SetCompletionPercentage), ending with SetOverallStatus. Replays from the start, or after Last-Event-ID.",
                    vec![json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } })], None,
                    json!({ "200": { "description": "An event stream", "content": { "text/event-stream": { "schema": { "type": "string" } } } },
                            "404": { "$ref": "#/components/responses/NotFound" } })),
            },
        },
        "components": {
            "schemas": schemas(),
            "responses": {
                "BadRequest": error_response("Malformed request: bad JSON, wrong types, unknown fields, bad ids"),
                "NotFound": error_response("No record with that id"),
                "Conflict": error_response("A unique key is taken, or the record is still referenced"),
                "TooLarge": error_response("The request body is too large"),
                "Unprocessable": error_response("Field values break the rules"),
            },
        },
    })
}
