//! `GET /api/openapi.json`: the API described as OpenAPI 3.1, written by hand next to the wire
//! types in `mingcha_core::sync`. A test checks that every route of the router is in it.

use serde_json::{Value, json};

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(name: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema(name) } } })
}

/// A 200 answer with `name`, plus the error answers `codes` (status → the codes it carries).
fn answers(name: &str, errors: &[(&str, &str)]) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(
        "200".into(),
        json!({ "description": "OK", "content": { "application/json": { "schema": schema(name) } } }),
    );
    for (status, codes) in errors {
        out.insert(
            (*status).into(),
            json!({ "description": format!("`code`: {codes}"), "content": { "application/json": { "schema": schema("ApiError") } } }),
        );
    }
    // Any route, once its client's address has too many refused requests (Retry-After).
    out.entry("429").or_insert_with(|| {
        json!({ "description": "`code`: rate_limited (too many refused requests from this address; Retry-After)",
                "content": { "application/json": { "schema": schema("ApiError") } } })
    });
    Value::Object(out)
}

/// The signed-request headers and the errors every signed call can get.
fn signed(mut op: Value, extra: &[Value]) -> Value {
    let mut params: Vec<Value> = ["Device", "Time", "Nonce", "BodySha256", "Signature"]
        .iter()
        .map(|p| json!({ "$ref": format!("#/components/parameters/{p}") }))
        .collect();
    params.extend_from_slice(extra);
    op["parameters"] = Value::Array(params);
    op["security"] = json!([{ "deviceSignature": [] }]);
    op
}

const AUTH_400: (&str, &str) = ("400", "bad_request, malformed_json, body_digest_mismatch");
const AUTH_401: (&str, &str) =
    ("401", "unsigned_request, unknown_device, stale_request, replayed_request, bad_signature");
const AUTH_403: (&str, &str) = ("403", "device_revoked");

fn header(name: &str, description: &str, pattern: Option<&str>) -> Value {
    let mut s = json!({ "type": "string" });
    if let Some(p) = pattern {
        s["pattern"] = json!(p);
    }
    json!({ "name": name, "in": "header", "required": true, "description": description, "schema": s })
}

fn sha_param() -> Value {
    json!({ "name": "sha256", "in": "path", "required": true,
            "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" } })
}

pub fn document() -> Value {
    let hex64 = json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" });
    let uuid = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Mingcha office server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Enrollment, end-of-day sync and office events; see docs/sync-protocol.md. Every error is an ApiError."
        },
        "paths": {
            "/api/health": { "get": { "summary": "Is the server up", "responses": answers("Health", &[]) } },
            "/api/openapi.json": { "get": { "summary": "This document", "responses": {
                "200": { "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object" } } } } } } },
            "/api/v1/enroll": { "post": {
                "summary": "Register a device with a one-time token (no device signature)",
                "requestBody": body("EnrollRequest"),
                "responses": answers("EnrollResponse", &[("400", "bad_request, malformed_json, too_long (detail.field, detail.max)"), ("401", "bad_token"),
                    ("403", "inspector_mismatch"), ("409", "already_enrolled"), ("413", "body_too_large"),
                    ("429", "rate_limited: too many refused enrollments from this address; busy: too many enrollments at once (Retry-After)")]) } },
            "/api/v1/batches": { "post": signed(json!({
                "summary": "Offer a batch; the answer lists the blobs to upload",
                "requestBody": body("SignedManifest"),
                "responses": answers("BatchState", &[("400", "bad_request, malformed_json, body_digest_mismatch, too_long (detail.field, detail.max)"), ("401", "bad_manifest_signature, and the signed-request codes"),
                    ("403", "device_revoked, foreign_manifest, foreign_record (detail.entity/id/seq)"), ("409", "sequence_gap, fork, batch_conflict, chain_fork (detail.seq/expected/offered), chain_replay (detail.acked_seq/chain_head)"),
                    ("413", "body_too_large, blob_too_large (a file over the office's cap), batch_over_quota (its files over the quota a batch); detail.size, detail.max"), ("422", "batch_too_large, foreign_change, sequence_gap, seq_out_of_range, missing_digest, blobs_disagree, chain_broken, change_time_out_of_range (detail.entity/id/seq/at/earliest/latest), unreadable_record (detail.entity/id/seq/reason)")]) }), &[]) },
            "/api/v1/batches/{batch_id}/commit": { "post": signed(json!({
                "summary": "Commit an open batch in one transaction; the answer is the signed receipt",
                "responses": answers("SignedReceipt", &[AUTH_400, AUTH_401, ("403", "device_revoked, foreign_record (detail.entity/id/seq)"), ("404", "not_found"),
                    ("409", "missing_blobs (detail.missing), sequence_gap, fork, chain_fork, chain_replay")]) }),
                &[json!({ "name": "batch_id", "in": "path", "required": true, "schema": uuid })]) },
            "/api/v1/blobs/{sha256}": { "put": signed(json!({
                "summary": "Upload bytes offset..offset+len of a blob (a chunk of at most 16 MiB)",
                "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } } },
                "responses": answers("UploadState", &[("400", "bad_digest, beyond_size, bad_request, body_digest_mismatch"), AUTH_401,
                    AUTH_403, ("404", "blob_not_expected"), ("409", "offset_mismatch (detail.received)"), ("413", "body_too_large, blob_too_large"),
                    ("422", "digest_mismatch")]) }),
                &[sha_param(), json!({ "name": "offset", "in": "query", "required": true, "schema": { "type": "integer", "minimum": 0 } })]) },
            "/api/v1/blobs/{sha256}/upload": { "get": signed(json!({
                "summary": "How much of an upload the office holds, to resume it",
                "responses": answers("UploadState", &[("400", "bad_digest, bad_request"), AUTH_401, AUTH_403,
                    ("404", "blob_not_expected"), ("422", "digest_mismatch")]) }), &[sha_param()]) },
            "/api/v1/pull": { "get": signed(json!({
                "summary": "Office events for this device's inspector after a cursor, at most 500",
                "responses": answers("Pull", &[AUTH_400, AUTH_401, AUTH_403]) }),
                &[json!({ "name": "since", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "default": 0 } })]) },
            "/api/v1/custody/heads": { "get": signed(json!({
                "summary": "The office's signed log head of each day (China Standard Time), oldest first",
                "responses": answers("SignedTreeHeads", &[AUTH_400, AUTH_401, AUTH_403]) }), &[]) },
            "/api/v1/custody/proof": { "get": signed(json!({
                "summary": "An inclusion proof (index, size) or a consistency proof (from, to) in the office's log",
                "responses": answers("CustodyProof", &[AUTH_400, AUTH_401, AUTH_403]) }),
                &[json!({ "name": "index", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0 } }),
                  json!({ "name": "size", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1 } }),
                  json!({ "name": "from", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1 } }),
                  json!({ "name": "to", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1 } })]) }
        },
        "components": {
            "securitySchemes": { "deviceSignature": { "type": "apiKey", "in": "header", "name": "x-mingcha-signature",
                "description": "ed25519 (hex) over `mingcha-request-v1\\n{METHOD}\\n{path?query}\\n{time}\\n{nonce}\\n{body_sha256}`" } },
            "parameters": {
                "Device": header("x-mingcha-device", "The device id (UUID)", None),
                "Time": header("x-mingcha-time", "Unix seconds when signed; at most 300 s from the office's clock", Some("^-?[0-9]+$")),
                "Nonce": header("x-mingcha-nonce", "32 random hex characters, never reused", Some("^[0-9a-f]{32}$")),
                "BodySha256": header("x-mingcha-body-sha256", "SHA-256 hex of the body (of the empty string when there is none)", Some("^[0-9a-f]{64}$")),
                "Signature": header("x-mingcha-signature", "ed25519 signature, hex", Some("^[0-9a-f]{128}$"))
            },
            "schemas": {
                "ApiError": { "type": "object", "required": ["code", "message"], "properties": {
                    "code": { "type": "string" }, "message": { "type": "string" }, "detail": {} } },
                "Health": { "type": "object", "required": ["status", "server_key"], "properties": {
                    "status": { "const": "ok" }, "server_key": { "type": "string" } } },
                "EnrollRequest": { "type": "object", "required": ["token", "device_id", "device_name", "public_key", "inspector_name"],
                    "properties": { "token": { "type": "string" }, "device_id": uuid, "device_name": { "type": "string" },
                        "public_key": hex64, "inspector_name": { "type": "string" } } },
                "EnrollResponse": { "type": "object", "required": ["device_id", "inspector_id", "inspector_name", "server_key", "acked_seq"],
                    "properties": { "device_id": uuid, "inspector_id": uuid, "inspector_name": { "type": "string" },
                        "server_key": hex64, "acked_seq": { "type": "integer", "minimum": 0 } } },
                "BlobRef": { "type": "object", "required": ["sha256", "size"], "properties": {
                    "sha256": hex64, "size": { "type": "integer", "minimum": 0 } } },
                "ChangeRecord": { "type": "object", "required": ["id", "seq", "device_id", "entity", "entity_id", "op", "payload", "at"],
                    "properties": { "id": uuid, "seq": { "type": "integer", "minimum": 1 }, "device_id": uuid,
                        "entity": { "enum": ["inspector", "device", "unit", "spot", "plan", "visit", "checklist_response",
                            "finding", "evidence", "disclosure_copy", "rectification"] },
                        "entity_id": { "type": "string" }, "op": { "enum": ["create", "update", "delete"] },
                        "payload": { "type": "object" }, "at": time } },
                "Manifest": { "type": "object", "required": ["batch_id", "device_id", "after_seq", "changes", "blobs", "chain_before", "chain_head"],
                    "properties": { "batch_id": uuid, "device_id": uuid, "after_seq": { "type": "integer", "minimum": 0 },
                        "chain_before": hex64, "chain_head": hex64,
                        "changes": { "type": "array", "maxItems": 2000, "items": schema("ChangeRecord") },
                        "blobs": { "type": "array", "items": schema("BlobRef") } } },
                "SignedManifest": { "type": "object", "required": ["manifest", "signature"], "properties": {
                    "manifest": schema("Manifest"),
                    "signature": { "type": "string", "description": "ed25519 (hex) over `mingcha-manifest-v1\\n` + the manifest's canonical JSON" } } },
                "BatchState": { "type": "object", "required": ["batch_id", "stage", "missing", "receipt"], "properties": {
                    "batch_id": uuid, "stage": { "enum": ["open", "committed"] },
                    "missing": { "type": "array", "items": schema("BlobRef") },
                    "receipt": { "oneOf": [schema("SignedReceipt"), { "type": "null" }] } } },
                "UploadState": { "type": "object", "required": ["sha256", "received", "size", "stored"], "properties": {
                    "sha256": hex64, "received": { "type": "integer" }, "size": { "type": "integer" }, "stored": { "type": "boolean" } } },
                "ReceiptItem": { "type": "object", "required": ["seq", "change_id", "outcome"], "properties": {
                    "seq": { "type": "integer" }, "change_id": uuid, "outcome": { "enum": ["stored", "already_there"] } } },
                "Receipt": { "type": "object", "required": ["batch_id", "device_id", "manifest_sha256", "items", "blobs", "acked_seq", "committed_at", "chain_head", "log"],
                    "properties": { "batch_id": uuid, "device_id": uuid, "manifest_sha256": hex64,
                        "items": { "type": "array", "items": schema("ReceiptItem") }, "blobs": { "type": "array", "items": hex64 },
                        "acked_seq": { "type": "integer" }, "committed_at": time, "chain_head": hex64,
                        "log": schema("LogPosition") } },
                "LogPosition": { "type": "object", "required": ["index", "tree_size", "root", "proof"], "properties": {
                    "index": { "type": "integer" }, "tree_size": { "type": "integer" }, "root": hex64,
                    "proof": { "type": "array", "items": hex64 } } },
                "SignedTreeHeads": { "type": "array", "items": { "type": "object", "required": ["head", "signature"], "properties": {
                    "head": { "type": "object", "required": ["day", "tree_size", "root", "signed_at"], "properties": {
                        "day": { "type": "string", "format": "date" }, "tree_size": { "type": "integer" }, "root": hex64, "signed_at": time } },
                    "signature": { "type": "string", "description": "the office's ed25519 (hex) over `mingcha-tree-head-v1\\n` + the head's canonical JSON" } } } },
                "CustodyProof": { "type": "object", "required": ["kind", "proof"], "properties": {
                    "kind": { "enum": ["inclusion", "consistency"] }, "index": { "type": "integer" }, "tree_size": { "type": "integer" },
                    "leaf": hex64, "root": hex64, "from": { "type": "integer" }, "to": { "type": "integer" },
                    "from_root": hex64, "to_root": hex64, "proof": { "type": "array", "items": hex64 } } },
                "SignedReceipt": { "type": "object", "required": ["receipt", "signature"], "properties": {
                    "receipt": schema("Receipt"),
                    "signature": { "type": "string", "description": "the office's ed25519 (hex) over `mingcha-receipt-v1\\n` + the receipt's canonical JSON" } } },
                "OfficeEvent": { "type": "object", "required": ["seq", "at", "kind"], "properties": {
                    "seq": { "type": "integer" }, "at": time,
                    "kind": { "enum": ["finding_returned", "finding_accepted", "template_published", "taxonomy_published", "plan_assigned"] },
                    "finding_id": uuid, "comment": { "type": "string" }, "by": { "type": "string" },
                    "template": { "type": "object" }, "taxonomy": { "type": "object" }, "plan": schema("PlanAssignment") } },
                "PlanAssignment": { "type": "object", "required": ["plan_id", "title", "kind", "starts_on", "ends_on", "units", "templates", "team"],
                    "properties": { "plan_id": uuid, "title": { "type": "string" }, "kind": { "enum": ["open", "covert"] },
                        "starts_on": { "type": "string", "format": "date" }, "ends_on": { "type": "string", "format": "date" },
                        "units": { "type": "array", "items": { "type": "string" } },
                        "templates": { "type": "array", "items": { "type": "string" } },
                        "team": { "type": "array", "items": { "type": "string" } } } },
                "Pull": { "type": "object", "required": ["cursor", "events", "more"], "properties": {
                    "cursor": { "type": "integer" }, "events": { "type": "array", "items": schema("OfficeEvent") },
                    "more": { "type": "boolean" } } }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_of_the_router_is_described() {
        let doc = super::document();
        for (method, path) in crate::api::routes() {
            let op = &doc["paths"][path][method.as_str().to_ascii_lowercase()];
            assert!(op.is_object(), "{method} {path} is missing from the OpenAPI document");
            assert!(op["responses"]["200"].is_object(), "{method} {path} has no 200 answer");
        }
        let described: usize =
            doc["paths"].as_object().map_or(0, |p| p.values().map(|ops| ops.as_object().map_or(0, |o| o.len())).sum());
        assert_eq!(described, crate::api::routes().len(), "the document describes a route the router does not serve");
    }

    #[test]
    fn every_reference_resolves() {
        let doc = super::document();
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/components/").skip(1) {
            let target = piece.split('"').next().unwrap_or_default();
            let (kind, name) = target.split_once('/').unwrap_or_default();
            assert!(doc["components"][kind][name].is_object(), "dangling $ref {target}");
        }
    }
}
