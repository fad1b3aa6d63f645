-- The 今日 screen counts drafts and returned findings at every start. Without an index that
-- is a scan of every finding (100,000 rows of text, each page decrypted); with this partial
-- index over live findings it is a count of one index range.
CREATE INDEX finding_live_by_status ON finding(status) WHERE deleted_at IS NULL;
