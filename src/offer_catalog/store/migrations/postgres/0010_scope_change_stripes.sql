-- Writes to different documents of one scope run in parallel. A scope's change number was one row,
-- locked by every writing transaction until its commit, so writers to a scope ran one at a time.
-- It is now spread over stripes: a write bumps the first stripe of its scope that no other running
-- transaction holds (skipping locked ones, never waiting), or adds a stripe when all are held, and
-- the change number is the sum of the scope's stripes. Every committed write adds one to that sum
-- and its stripe stays locked until it commits, so a reader that sees the same sum twice has missed
-- no write. Stripes grow only up to the number of writers that ever ran at once on the scope.
ALTER TABLE scope_changes ADD COLUMN stripe INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scope_changes DROP CONSTRAINT scope_changes_pkey;
ALTER TABLE scope_changes ADD PRIMARY KEY (scope, stripe);
