-- Two lists that walked a table (issue 16's office benchmark): the ledger filtered by a unit,
-- given by id or by name, found or responsible (with the name indexed too, each of the three
-- is a search and the planner joins them), and the batch list, the newest committed first.
CREATE INDEX ledger_row_unit_name ON ledger_row (unit_name, found_at, problem_id);
CREATE INDEX batch_committed ON batch (stage, committed_at);
