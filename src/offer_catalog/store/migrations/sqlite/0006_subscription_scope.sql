-- A hub subscription belongs to the document scope (organisation) it was made in: it hears only the
-- writes of that scope. Existing subscriptions were made in the single-organisation scope.
ALTER TABLE subscriptions ADD COLUMN scope TEXT NOT NULL DEFAULT 'tmf620';

-- The resource's version after the write a delivery stands for: sent as a header, so a listener
-- applies each write once. NULL for deliveries queued before.
ALTER TABLE deliveries ADD COLUMN resource_version INTEGER;
