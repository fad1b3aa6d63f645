-- Office events and decisions are identified by the office that sent them and its event seq,
-- not by the seq alone. A laptop enrolled with another office (a reinstalled office, or the
-- laptop moved) pulls that office's events from 1 again, and they are not the old office's
-- events 1, 2, 3: taken as "already applied", a finding the new office returned never showed
-- as returned. The office is its public key from enrollment (sync_server.server_key).
--
-- SQLite cannot change a primary key in place: each table is made anew, its rows copied,
-- the old one dropped and the new one renamed. Rows already here are attributed to the
-- office the laptop is enrolled with now, or to 'unenrolled' when there is none (events are
-- pulled only once enrolled; the store's own tests apply them without an office).

CREATE TABLE office_decision_new (
    -- The order this laptop took the decisions in, across offices: the seqs of two offices
    -- say nothing about which came first, and the finding's status is the latest taken.
    local_seq  INTEGER PRIMARY KEY,
    office_key TEXT NOT NULL CHECK (length(office_key) = 64 OR office_key = 'unenrolled'),
    event_seq  INTEGER NOT NULL,
    finding_id TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('returned', 'accepted')),
    comment    TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    UNIQUE (office_key, event_seq)
) STRICT;
INSERT INTO office_decision_new
    (office_key, event_seq, finding_id, kind, comment, decided_by, decided_at, applied_at)
SELECT coalesce((SELECT server_key FROM sync_server WHERE slot = 1), 'unenrolled'),
       event_seq, finding_id, kind, comment, decided_by, decided_at, applied_at
FROM office_decision ORDER BY event_seq;
DROP TABLE office_decision;
ALTER TABLE office_decision_new RENAME TO office_decision;
CREATE INDEX office_decision_by_finding ON office_decision(finding_id, local_seq);

CREATE TABLE office_event_new (
    office_key  TEXT NOT NULL CHECK (length(office_key) = 64 OR office_key = 'unenrolled'),
    event_seq   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    applied_at  TEXT,
    note        TEXT,
    PRIMARY KEY (office_key, event_seq)
) STRICT;
INSERT INTO office_event_new (office_key, event_seq, kind, body, at, received_at, applied_at, note)
SELECT coalesce((SELECT server_key FROM sync_server WHERE slot = 1), 'unenrolled'),
       event_seq, kind, body, at, received_at, applied_at, note
FROM office_event ORDER BY event_seq;
DROP TABLE office_event;
ALTER TABLE office_event_new RENAME TO office_event;
