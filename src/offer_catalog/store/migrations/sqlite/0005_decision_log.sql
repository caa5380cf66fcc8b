-- The decision log (one row per option proposed, fallback given or offer capped out, per proposition
-- scope), interaction events sent back about propositions, and per-deployment secrets (the key of the
-- profile hash). Reports aggregate the first two over a time window, and a retention sweep deletes old rows.
CREATE TABLE decision_items (
    proposition_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    profile_key TEXT NOT NULL,
    change_seq INTEGER NOT NULL,
    activity_id TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    -- 1..n: proposed at that rank, 0: the fallback, NULL: left out because a cap was reached
    rank INTEGER,
    score REAL
);
CREATE INDEX decision_items_proposition ON decision_items (proposition_id);
CREATE INDEX decision_items_scope_time ON decision_items (scope, decided_at);
CREATE INDEX decision_items_time ON decision_items (decided_at);

CREATE TABLE interaction_events (
    scope TEXT NOT NULL,
    event_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    proposition_id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    profile_key TEXT NOT NULL,
    PRIMARY KEY (scope, event_id, offer_id)
);
CREATE INDEX interaction_events_scope_time ON interaction_events (scope, occurred_at);
CREATE INDEX interaction_events_received ON interaction_events (received_at);

CREATE TABLE deployment_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
