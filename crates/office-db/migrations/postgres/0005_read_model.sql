-- The read model: the rows the console lists, kept in step with the records and the office's
-- documents in the same transaction as every commit and every decision, so that a console read
-- touches only the rows it returns, by index (issue 16: a province holds a million findings).
-- Times are UTC text in one fixed width (`2026-03-05T09:30:00.000000Z`) and days are
-- `YYYY-MM-DD`, so that text order is time order on both databases.

-- Which record a record belongs to: an evidence file's finding, a disclosure copy's evidence.
ALTER TABLE record ADD COLUMN parent_id TEXT;
CREATE INDEX record_parent ON record (entity, parent_id);

-- One row per finding the devices sent: the review queue (审核).
CREATE TABLE finding_row (
    finding_id      TEXT PRIMARY KEY,
    batch_id        TEXT NOT NULL,
    inspector       TEXT NOT NULL,
    unit_id         TEXT NOT NULL,
    observed_at     TEXT NOT NULL,
    change_id       TEXT NOT NULL,
    deleted         BOOLEAN NOT NULL,
    -- The review as stored, and the change it returned.
    review_state    TEXT NOT NULL DEFAULT 'new',
    returned_change TEXT,
    -- The review state now: `returned` turns `resent` when the device sent a newer change.
    state           TEXT NOT NULL DEFAULT 'new',
    is_open         BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX finding_row_state ON finding_row (deleted, state, observed_at, finding_id);
CREATE INDEX finding_row_open ON finding_row (deleted, is_open, observed_at, finding_id);
CREATE INDEX finding_row_all ON finding_row (deleted, observed_at, finding_id);
CREATE INDEX finding_row_batch ON finding_row (batch_id, observed_at, finding_id);
-- What the batch list counts, read from the index alone.
CREATE INDEX finding_row_batch_counts ON finding_row (batch_id, is_open, deleted);
CREATE INDEX finding_row_unit ON finding_row (unit_id, observed_at, finding_id);

-- One row per ledger problem (台账): what the ledger's filters, lights and dashboard read.
-- `row_json` is the ledger row as the console shows it, without its number and light, which
-- depend on the reader and the day.
CREATE TABLE ledger_row (
    problem_id          TEXT PRIMARY KEY,
    finding_id          TEXT NOT NULL,
    unit_id             TEXT NOT NULL,
    unit_name           TEXT NOT NULL,
    responsible_unit_id TEXT,
    category            TEXT NOT NULL,
    category_group      TEXT NOT NULL,
    checklist_item      TEXT,
    method              TEXT NOT NULL,
    found_at            TEXT NOT NULL,
    found_on            TEXT NOT NULL,
    stage               TEXT NOT NULL,
    deadline            TEXT,
    search              TEXT NOT NULL,
    row_json            TEXT NOT NULL
);
CREATE INDEX ledger_row_found ON ledger_row (found_at, problem_id);
CREATE INDEX ledger_row_unit ON ledger_row (unit_id, found_at, problem_id);
CREATE INDEX ledger_row_responsible ON ledger_row (responsible_unit_id, found_at, problem_id);
CREATE INDEX ledger_row_category ON ledger_row (category, found_at, problem_id);
CREATE INDEX ledger_row_stage ON ledger_row (stage, deadline);
CREATE INDEX ledger_row_finding ON ledger_row (finding_id);

-- Chinese full text: every two-character piece of a problem's searchable text (lower case),
-- so that a word of two characters or more is found through the index, then checked whole.
CREATE TABLE ledger_gram (
    gram        TEXT NOT NULL,
    problem_id  TEXT NOT NULL,
    PRIMARY KEY (gram, problem_id)
);
CREATE INDEX ledger_gram_problem ON ledger_gram (problem_id);

-- Whether the read model was built from the tables above: an office made before this
-- migration builds it once, when it is next opened.
CREATE TABLE read_model (
    name      TEXT PRIMARY KEY,
    built_at  TEXT NOT NULL
);
