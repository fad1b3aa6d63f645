-- The chain of custody (证据保管链): each device's accepted chain state, each stored change's
-- link, the office's append-only Merkle log of accepted batches, and one signed tree head per
-- day. Hashes are 64 lower-case hex characters.

-- The device's chain state after its last accepted change. NULL for a device enrolled before
-- this version: its next batch's `chain_before` is taken as the anchor.
ALTER TABLE device ADD COLUMN chain_head TEXT;

-- The device's chain state after this change (NULL for changes stored before this version).
ALTER TABLE change ADD COLUMN chain TEXT;

-- One leaf per committed batch, in order. `entry` is the LogEntry's canonical JSON (what the
-- leaf hash covers, byte for byte); `frontier` is the tree's right border after this leaf, so
-- the next append reads one row instead of the whole log.
CREATE TABLE custody_log (
    idx        INTEGER PRIMARY KEY CHECK (idx >= 0),
    batch_id   TEXT NOT NULL UNIQUE REFERENCES batch (id),
    entry      TEXT NOT NULL,
    leaf_hash  TEXT NOT NULL,
    frontier   TEXT NOT NULL,
    at         TEXT NOT NULL
);

CREATE TRIGGER custody_log_no_update BEFORE UPDATE ON custody_log
BEGIN
    SELECT RAISE(ABORT, 'custody_log is append-only');
END;

CREATE TRIGGER custody_log_no_delete BEFORE DELETE ON custody_log
BEGIN
    SELECT RAISE(ABORT, 'custody_log is append-only');
END;

-- The signed tree head of each day (China Standard Time). Only today's row moves: every
-- commit re-signs it at the log's new size. A past day's row is never rewritten or removed.
CREATE TABLE custody_head (
    day        TEXT PRIMARY KEY,
    tree_size  INTEGER NOT NULL CHECK (tree_size >= 0),
    head       TEXT NOT NULL,
    signed_at  TEXT NOT NULL
);

CREATE TRIGGER custody_head_only_grows BEFORE UPDATE ON custody_head
WHEN NEW.day <> OLD.day OR NEW.tree_size < OLD.tree_size
BEGIN
    SELECT RAISE(ABORT, 'a signed tree head only grows, on its own day');
END;

CREATE TRIGGER custody_head_no_delete BEFORE DELETE ON custody_head
BEGIN
    SELECT RAISE(ABORT, 'signed tree heads are kept');
END;
