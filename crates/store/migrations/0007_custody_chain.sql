-- The device's hash chain (证据保管链, see mingcha_core::custody): one link per change_log
-- row, written in the same transaction as the change. A link hashes the link before it and
-- the change's canonical bytes, so altering, dropping or reordering a change breaks every
-- link after it. Append-only, like the log it covers. Links for changes logged before this
-- migration are computed once when the store is opened.
CREATE TABLE custody_chain (
    seq  INTEGER PRIMARY KEY,
    hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

CREATE TRIGGER custody_chain_no_update BEFORE UPDATE ON custody_chain
BEGIN SELECT RAISE(ABORT, 'custody_chain is append-only'); END;
CREATE TRIGGER custody_chain_no_delete BEFORE DELETE ON custody_chain
BEGIN SELECT RAISE(ABORT, 'custody_chain is append-only'); END;

-- The office key each receipt was checked against, so a receipt from an office this laptop
-- was enrolled with before still verifies after it enrolls with another. NULL for receipts
-- stored before this migration: those were checked against the office enrolled then.
ALTER TABLE sync_receipt ADD COLUMN server_key TEXT CHECK (server_key IS NULL OR length(server_key) = 64);
