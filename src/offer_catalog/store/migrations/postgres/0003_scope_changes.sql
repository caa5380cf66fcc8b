-- A change counter per scope, bumped in the writing transaction. Outbox sequence numbers are handed
-- out at insert but may commit out of order; this row is locked until commit, so its value never
-- lets a reader miss a committed write (decision snapshots poll it).
CREATE TABLE scope_changes (
    scope TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO scope_changes (scope, seq) SELECT scope, max(seq) FROM events GROUP BY scope;
