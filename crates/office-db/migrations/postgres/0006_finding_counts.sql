-- How many findings each batch holds in each review state, kept by a trigger in the same
-- transaction as every write to `finding_row`: the review list's totals and the batch list read
-- a few counter rows instead of counting a province's million findings (issue 16).
CREATE TABLE finding_count (
    batch_id TEXT NOT NULL,
    state    TEXT NOT NULL,
    deleted  BOOLEAN NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (batch_id, state, deleted)
);

INSERT INTO finding_count (batch_id, state, deleted, n)
    SELECT batch_id, state, deleted, count(*) FROM finding_row GROUP BY batch_id, state, deleted;

CREATE FUNCTION finding_row_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE finding_count SET n = n - 1
            WHERE batch_id = OLD.batch_id AND state = OLD.state AND deleted = OLD.deleted;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO finding_count (batch_id, state, deleted, n) VALUES (NEW.batch_id, NEW.state, NEW.deleted, 1)
            ON CONFLICT (batch_id, state, deleted) DO UPDATE SET n = finding_count.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER finding_row_counted_insert AFTER INSERT OR DELETE ON finding_row
    FOR EACH ROW EXECUTE FUNCTION finding_row_count();
CREATE TRIGGER finding_row_counted_update AFTER UPDATE OF batch_id, state, deleted ON finding_row
    FOR EACH ROW
    WHEN (OLD.batch_id IS DISTINCT FROM NEW.batch_id OR OLD.state IS DISTINCT FROM NEW.state
          OR OLD.deleted IS DISTINCT FROM NEW.deleted)
    EXECUTE FUNCTION finding_row_count();
