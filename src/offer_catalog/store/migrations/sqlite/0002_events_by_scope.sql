-- Find the newest change of one scope quickly (decision snapshots check it before every decision).
CREATE INDEX events_scope_seq ON events (scope, seq);
