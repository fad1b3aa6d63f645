-- The office's own work (accounts, sessions, reviews, ledger problems, notices, settings):
-- one versioned JSON document per thing. An office holds thousands of these, not millions, so
-- the console filters them in memory; what matters here is that a write is all-or-nothing and
-- that two people saving the same thing cannot overwrite each other (the version check).
CREATE TABLE office_doc (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Every version ever written, deletions included (body NULL): who changed what, when.
CREATE TABLE office_doc_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT,
    at          TEXT NOT NULL,
    by          TEXT NOT NULL
);
CREATE INDEX office_doc_log_doc ON office_doc_log (kind, id, version);
