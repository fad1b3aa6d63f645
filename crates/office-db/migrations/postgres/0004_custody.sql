-- The chain of custody (证据保管链), as in the SQLite schema: each device's accepted chain
-- state, each stored change's link, the append-only Merkle log, one signed tree head per day.
-- Hashes are 64 lower-case hex characters; the log entry is TEXT, not JSONB, because its
-- exact bytes are what the leaf hash covers.

ALTER TABLE device ADD COLUMN chain_head TEXT;
ALTER TABLE change ADD COLUMN chain TEXT;

CREATE TABLE custody_log (
    idx        BIGINT PRIMARY KEY CHECK (idx >= 0),
    batch_id   UUID NOT NULL UNIQUE REFERENCES batch (id),
    entry      TEXT NOT NULL,
    leaf_hash  TEXT NOT NULL,
    frontier   TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION custody_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the custody log and past tree heads are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END
$$;

CREATE TRIGGER custody_log_append_only BEFORE UPDATE OR DELETE ON custody_log
    FOR EACH ROW EXECUTE FUNCTION custody_refuse();
CREATE TRIGGER custody_log_no_truncate BEFORE TRUNCATE ON custody_log
    FOR EACH STATEMENT EXECUTE FUNCTION custody_refuse();

CREATE TABLE custody_head (
    day        DATE PRIMARY KEY,
    tree_size  BIGINT NOT NULL CHECK (tree_size >= 0),
    head       TEXT NOT NULL,
    signed_at  TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER custody_head_only_grows BEFORE UPDATE ON custody_head
    FOR EACH ROW WHEN (NEW.day <> OLD.day OR NEW.tree_size < OLD.tree_size) EXECUTE FUNCTION custody_refuse();
CREATE TRIGGER custody_head_no_delete BEFORE DELETE OR TRUNCATE ON custody_head
    FOR EACH STATEMENT EXECUTE FUNCTION custody_refuse();
