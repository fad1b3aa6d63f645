-- End-of-day sync with the central office (docs/sync-protocol.md).
-- These tables are sync bookkeeping, not records: nothing here goes into change_log, and
-- sync never deletes or rewrites a record. Only the office's own decisions on a finding
-- (退回 returned / 已采纳 accepted) move finding.status, and only from office_decision.

-- The office this laptop enrolled with (one row): where it is, the key its receipts are
-- signed with, and the office's id for this inspector.
CREATE TABLE sync_server (
    slot                INTEGER PRIMARY KEY CHECK (slot = 1),
    url                 TEXT NOT NULL,
    server_key          TEXT NOT NULL CHECK (length(server_key) = 64),
    office_inspector_id TEXT NOT NULL,
    enrolled_at         TEXT NOT NULL
) STRICT;

-- Where sync stands (one row): the last change seq the office acknowledged with a stored,
-- verified receipt; the pull cursor for office events; and when a sync last finished.
CREATE TABLE sync_state (
    slot         INTEGER PRIMARY KEY CHECK (slot = 1),
    acked_seq    INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0),
    pull_cursor  INTEGER NOT NULL DEFAULT 0 CHECK (pull_cursor >= 0),
    last_sync_at TEXT
) STRICT;
INSERT INTO sync_state (slot) VALUES (1);

-- Batches, each written BEFORE its manifest is first sent. A batch is the change_log range
-- after_seq+1 ..= last_seq, which is append-only, so a resend after a crash rebuilds exactly
-- the same manifest under the same id; manifest_sha256 proves it. The open batch is the one
-- without a receipt; there is at most one.
CREATE TABLE sync_batch (
    batch_id        TEXT PRIMARY KEY,
    after_seq       INTEGER NOT NULL CHECK (after_seq >= 0),
    last_seq        INTEGER NOT NULL CHECK (last_seq > after_seq),
    manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
    created_at      TEXT NOT NULL,
    committed_at    TEXT
) STRICT;
CREATE UNIQUE INDEX sync_batch_one_open ON sync_batch(committed_at IS NULL) WHERE committed_at IS NULL;

-- The office's signed receipts, as received (the canonical receipt JSON and its signature),
-- so each can be verified again later. Stored in the same transaction that moves acked_seq.
CREATE TABLE sync_receipt (
    batch_id  TEXT PRIMARY KEY REFERENCES sync_batch(batch_id),
    receipt   TEXT NOT NULL,
    signature TEXT NOT NULL,
    stored_at TEXT NOT NULL
) STRICT;

-- Office decisions on findings, by the office event that carried them. Applying one sets
-- finding.status (returned / accepted). That status move is the office's, not a change made
-- on this device, so it is not appended to change_log. When the inspector then edits a
-- returned finding, the edit is an ordinary change and goes up with the next sync.
-- finding_id has no foreign key: the office may decide on a finding this inspector recorded
-- on another laptop, which this store does not hold.
CREATE TABLE office_decision (
    event_seq  INTEGER PRIMARY KEY,
    finding_id TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('returned', 'accepted')),
    comment    TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT;
CREATE INDEX office_decision_by_finding ON office_decision(finding_id, event_seq);

-- Every other office event (templates, the taxonomy, assigned plans), kept as received so
-- nothing the office sent is lost. applied_at is set for what this build applies (templates).
CREATE TABLE office_event (
    event_seq   INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    applied_at  TEXT
) STRICT;
