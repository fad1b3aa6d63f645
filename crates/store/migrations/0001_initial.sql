-- Mingcha local store, first schema.
-- Ids are UUIDv7 text made on the device. Times are RFC 3339 text: UTC for record times,
-- with the local offset for what was observed in the field. Records are never removed:
-- `deleted_at` marks a tombstone, and every change is also appended to change_log.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE inspector (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE device (
    id           TEXT PRIMARY KEY,
    inspector_id TEXT NOT NULL REFERENCES inspector(id),
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

-- The problem taxonomy (问题类别), as loaded from assets or the office.
CREATE TABLE category (
    code        TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES category(code),
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL
) STRICT;

-- Checklist templates, every version kept: a filled checklist points at the one it used.
CREATE TABLE checklist_template (
    code        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,   -- the whole template as JSON
    source      TEXT NOT NULL,   -- 'builtin' or the imported file's name
    imported_at TEXT NOT NULL,
    PRIMARY KEY (code, version)
) STRICT;

CREATE TABLE unit (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    region     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX unit_name_live ON unit(name) WHERE deleted_at IS NULL;

CREATE TABLE spot (
    id         TEXT PRIMARY KEY,
    unit_id    TEXT NOT NULL REFERENCES unit(id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT,
    UNIQUE (unit_id, name)
) STRICT;

CREATE TABLE plan (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('open', 'covert')),
    starts_on  TEXT NOT NULL,
    ends_on    TEXT NOT NULL,
    team       TEXT NOT NULL,   -- JSON array of names
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CHECK (ends_on >= starts_on)
) STRICT;

CREATE TABLE plan_unit (
    plan_id TEXT NOT NULL REFERENCES plan(id),
    unit_id TEXT NOT NULL REFERENCES unit(id),
    PRIMARY KEY (plan_id, unit_id)
) STRICT;

CREATE TABLE plan_checklist (
    plan_id       TEXT NOT NULL REFERENCES plan(id),
    template_code TEXT NOT NULL,
    PRIMARY KEY (plan_id, template_code)
) STRICT;

CREATE TABLE visit (
    id         TEXT PRIMARY KEY,
    plan_id    TEXT REFERENCES plan(id),
    unit_id    TEXT NOT NULL REFERENCES unit(id),
    spot_id    TEXT REFERENCES spot(id),
    kind       TEXT NOT NULL CHECK (kind IN ('open', 'covert')),
    visit_date TEXT NOT NULL,
    arrived_at TEXT,
    left_at    TEXT,
    inspectors TEXT NOT NULL,   -- JSON array of names
    notes      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE INDEX visit_by_date ON visit(visit_date);

CREATE TABLE checklist_response (
    id               TEXT PRIMARY KEY,
    visit_id         TEXT NOT NULL REFERENCES visit(id),
    template_code    TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT,
    FOREIGN KEY (template_code, template_version) REFERENCES checklist_template(code, version),
    UNIQUE (visit_id, template_code)
) STRICT;

CREATE TABLE checklist_answer (
    response_id TEXT NOT NULL REFERENCES checklist_response(id),
    item_code   TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('conforming', 'non_conforming', 'not_applicable')),
    note        TEXT,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, item_code)
) STRICT;

-- Findings (问题). `seq` is the local row number the search indexes point at; it is an alias
-- of the rowid so VACUUM cannot renumber it under the indexes.
CREATE TABLE finding (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    visit_id         TEXT NOT NULL REFERENCES visit(id),
    unit_id          TEXT NOT NULL REFERENCES unit(id),
    spot_id          TEXT REFERENCES spot(id),
    observed_at      TEXT NOT NULL,
    observed_on      TEXT NOT NULL,   -- local date of observed_at, for date filters
    method           TEXT NOT NULL,
    category_code    TEXT NOT NULL REFERENCES category(code),
    severity         TEXT NOT NULL CHECK (severity IN ('minor', 'serious', 'grave')),
    description      TEXT NOT NULL CHECK (length(trim(description)) > 0),
    persons_involved TEXT,
    response_id      TEXT REFERENCES checklist_response(id),
    item_code        TEXT,
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
) STRICT;
-- Partial indexes over live findings: a list filters and pages on them alone (they hold the
-- row number) and reads only the page's rows from the table.
CREATE INDEX finding_by_unit ON finding(unit_id) WHERE deleted_at IS NULL;
CREATE INDEX finding_by_visit ON finding(visit_id) WHERE deleted_at IS NULL;
CREATE INDEX finding_by_day ON finding(observed_on, category_code) WHERE deleted_at IS NULL;
CREATE INDEX finding_by_category ON finding(category_code, observed_on) WHERE deleted_at IS NULL;

-- Evidence originals by content (SHA-256 of the bytes as imported), with what was read from
-- them once. The bytes live write-once under evidence/sha256/; several evidence rows may
-- share one blob (the same photo attached to two findings).
CREATE TABLE blob (
    sha256       TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size         INTEGER NOT NULL CHECK (size >= 0),
    media_type   TEXT NOT NULL,
    stored_at    TEXT NOT NULL,
    taken_at     TEXT,      -- EXIF DateTimeOriginal as the camera wrote it, local time (YYYY-MM-DDTHH:MM:SS)
    taken_offset TEXT,      -- EXIF OffsetTimeOriginal (+08:00), when the camera wrote one
    gps_lat      REAL,
    gps_lon      REAL,
    gps_alt      REAL,
    camera_make  TEXT,
    camera_model TEXT,
    orientation  INTEGER CHECK (orientation BETWEEN 1 AND 8),
    width        INTEGER,
    height       INTEGER,
    damaged      TEXT       -- why an image could not be decoded; NULL when it could or is no image
) STRICT;

-- Evidence (证据): one file attached to a finding, a visit, or a checklist item.
CREATE TABLE evidence (
    id            TEXT PRIMARY KEY,
    finding_id    TEXT REFERENCES finding(id),
    visit_id      TEXT REFERENCES visit(id),
    response_id   TEXT REFERENCES checklist_response(id),
    item_code     TEXT,
    sha256        TEXT NOT NULL REFERENCES blob(sha256),
    size          INTEGER NOT NULL CHECK (size >= 0),
    media_type    TEXT NOT NULL,
    original_name TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    deleted_at    TEXT,
    CHECK ((finding_id IS NOT NULL) + (visit_id IS NOT NULL) + (response_id IS NOT NULL AND item_code IS NOT NULL) = 1)
) STRICT;
CREATE INDEX evidence_by_finding ON evidence(finding_id);
CREATE INDEX evidence_by_visit ON evidence(visit_id);
CREATE INDEX evidence_by_item ON evidence(response_id, item_code);
CREATE INDEX evidence_by_digest ON evidence(sha256);
-- The same original attached twice to the same thing is one piece of evidence.
CREATE UNIQUE INDEX evidence_once_per_finding ON evidence(finding_id, sha256) WHERE finding_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX evidence_once_per_visit ON evidence(visit_id, sha256) WHERE visit_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX evidence_once_per_item ON evidence(response_id, item_code, sha256) WHERE response_id IS NOT NULL AND deleted_at IS NULL;

-- Disclosure copies for notices: a watermarked (and optionally GPS-free) copy of an original,
-- itself stored as a blob. The original and its digest are never touched.
CREATE TABLE disclosure_copy (
    id          TEXT PRIMARY KEY,
    evidence_id TEXT NOT NULL REFERENCES evidence(id),
    original    TEXT NOT NULL REFERENCES blob(sha256),
    copy        TEXT NOT NULL REFERENCES blob(sha256),
    watermark   TEXT NOT NULL,
    gps_removed INTEGER NOT NULL CHECK (gps_removed IN (0, 1)),
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX disclosure_by_evidence ON disclosure_copy(evidence_id);

-- Rectification (交办 → 整改 → 复核 → 销号): modelled now, driven by the office later.
CREATE TABLE rectification (
    id                 TEXT PRIMARY KEY,
    finding_id         TEXT NOT NULL REFERENCES finding(id),
    responsible_unit   TEXT NOT NULL,
    responsible_person TEXT,
    deadline           TEXT NOT NULL,
    stage              TEXT NOT NULL CHECK (stage IN ('assigned', 'reported', 'verified', 'closed')),
    measures           TEXT,
    assigned_at        TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;

-- The change log: every change to a record, in the transaction that made it. Append-only,
-- enforced below. It is the sync outbox.
CREATE TABLE change_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    payload   TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;
CREATE INDEX change_log_by_entity ON change_log(entity, entity_id);

CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;

-- Chinese full-text search. Each word of a finding's text (description, unit, spot, category)
-- is indexed as its overlapping character pairs in order, plus its last character: 脱岗离岗 is
-- "脱岗 岗离 离岗 岗". A phrase of consecutive pairs is then exactly a substring of any length
-- (离岗 → "离岗", 脱岗离 → "脱岗 岗离"), and a single character is a prefix (岗 → 岗*).
-- This answers the one- and two-character words inspectors type most (脱岗, 迟到), which a
-- trigram index cannot. Kept by the store in the same transaction as the finding.
CREATE VIRTUAL TABLE finding_search USING fts5(grams, tokenize = 'unicode61 remove_diacritics 0');
