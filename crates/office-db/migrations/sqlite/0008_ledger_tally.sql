-- The dashboard's counters (issue 16): how many problems were found on each day at each unit,
-- in each category and checklist item, at each stage and deadline. Triggers on `ledger_row`
-- keep them in the same transaction as every problem write, so the dashboard sums a few counter
-- rows per unit and day instead of reading every problem of a province's ledger, and 屡查屡犯
-- (the same unit, the same thing, found again) is worked out from the days, not the problems.
-- A missing checklist item or deadline is kept as '' (a key column is never NULL).
CREATE TABLE ledger_tally (
    found_on       TEXT NOT NULL,
    unit_name      TEXT NOT NULL,
    category       TEXT NOT NULL,
    category_group TEXT NOT NULL,
    checklist_item TEXT NOT NULL,
    stage          TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (found_on, unit_name, category, category_group, checklist_item, stage, deadline)
);

INSERT INTO ledger_tally (found_on, unit_name, category, category_group, checklist_item, stage, deadline, n)
    SELECT found_on, unit_name, category, category_group, COALESCE(checklist_item, ''), stage,
           COALESCE(deadline, ''), count(*)
      FROM ledger_row
     GROUP BY found_on, unit_name, category, category_group, COALESCE(checklist_item, ''), stage,
              COALESCE(deadline, '');

CREATE TRIGGER ledger_row_tallied_insert AFTER INSERT ON ledger_row
BEGIN
    INSERT INTO ledger_tally (found_on, unit_name, category, category_group, checklist_item, stage, deadline, n)
        VALUES (NEW.found_on, NEW.unit_name, NEW.category, NEW.category_group, COALESCE(NEW.checklist_item, ''),
                NEW.stage, COALESCE(NEW.deadline, ''), 1)
        ON CONFLICT (found_on, unit_name, category, category_group, checklist_item, stage, deadline)
        DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER ledger_row_tallied_update
    AFTER UPDATE OF found_on, unit_name, category, category_group, checklist_item, stage, deadline ON ledger_row
    WHEN OLD.found_on IS NOT NEW.found_on OR OLD.unit_name IS NOT NEW.unit_name OR OLD.category IS NOT NEW.category
      OR OLD.category_group IS NOT NEW.category_group OR OLD.checklist_item IS NOT NEW.checklist_item
      OR OLD.stage IS NOT NEW.stage OR OLD.deadline IS NOT NEW.deadline
BEGIN
    UPDATE ledger_tally SET n = n - 1
     WHERE found_on = OLD.found_on AND unit_name = OLD.unit_name AND category = OLD.category
       AND category_group = OLD.category_group AND checklist_item = COALESCE(OLD.checklist_item, '')
       AND stage = OLD.stage AND deadline = COALESCE(OLD.deadline, '');
    INSERT INTO ledger_tally (found_on, unit_name, category, category_group, checklist_item, stage, deadline, n)
        VALUES (NEW.found_on, NEW.unit_name, NEW.category, NEW.category_group, COALESCE(NEW.checklist_item, ''),
                NEW.stage, COALESCE(NEW.deadline, ''), 1)
        ON CONFLICT (found_on, unit_name, category, category_group, checklist_item, stage, deadline)
        DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER ledger_row_tallied_delete AFTER DELETE ON ledger_row
BEGIN
    UPDATE ledger_tally SET n = n - 1
     WHERE found_on = OLD.found_on AND unit_name = OLD.unit_name AND category = OLD.category
       AND category_group = OLD.category_group AND checklist_item = COALESCE(OLD.checklist_item, '')
       AND stage = OLD.stage AND deadline = COALESCE(OLD.deadline, '');
END;

-- The problems of one 屡查屡犯 run: a unit's finds of one category, or of one checklist item,
-- between two days.
CREATE INDEX ledger_row_repeat_category ON ledger_row (unit_name, category, found_on, problem_id);
CREATE INDEX ledger_row_repeat_item ON ledger_row (unit_name, checklist_item, found_on, problem_id);
