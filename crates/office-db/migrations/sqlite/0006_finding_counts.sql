-- How many findings each batch holds in each review state, kept by triggers in the same
-- transaction as every write to `finding_row`: the review list's totals and the batch list read
-- a few counter rows instead of counting a province's million findings (issue 16).
CREATE TABLE finding_count (
    batch_id TEXT NOT NULL,
    state    TEXT NOT NULL,
    deleted  INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (batch_id, state, deleted)
);

INSERT INTO finding_count (batch_id, state, deleted, n)
    SELECT batch_id, state, deleted, count(*) FROM finding_row GROUP BY batch_id, state, deleted;

CREATE TRIGGER finding_row_counted_insert AFTER INSERT ON finding_row
BEGIN
    INSERT INTO finding_count (batch_id, state, deleted, n) VALUES (NEW.batch_id, NEW.state, NEW.deleted, 1)
        ON CONFLICT (batch_id, state, deleted) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER finding_row_counted_update AFTER UPDATE OF batch_id, state, deleted ON finding_row
    WHEN OLD.batch_id IS NOT NEW.batch_id OR OLD.state IS NOT NEW.state OR OLD.deleted IS NOT NEW.deleted
BEGIN
    UPDATE finding_count SET n = n - 1
        WHERE batch_id = OLD.batch_id AND state = OLD.state AND deleted = OLD.deleted;
    INSERT INTO finding_count (batch_id, state, deleted, n) VALUES (NEW.batch_id, NEW.state, NEW.deleted, 1)
        ON CONFLICT (batch_id, state, deleted) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER finding_row_counted_delete AFTER DELETE ON finding_row
BEGIN
    UPDATE finding_count SET n = n - 1
        WHERE batch_id = OLD.batch_id AND state = OLD.state AND deleted = OLD.deleted;
END;
