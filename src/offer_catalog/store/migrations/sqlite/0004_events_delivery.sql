-- Event delivery: a lease so one process relays, the relay's cursor, hub subscriptions and the
-- deliveries (one per event and subscription: pending, delivered or dead).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE relay_positions (
    name TEXT PRIMARY KEY,
    txid INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
-- Relay what is written from now on (not the history of an existing database).
INSERT INTO relay_positions (name, txid, seq) SELECT 'tmf620', 0, coalesce(max(seq), 0) FROM events;

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    callback TEXT NOT NULL,
    query TEXT,
    secret TEXT,
    base_path TEXT NOT NULL,
    name_style TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    claimed_until REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, status, id);
CREATE INDEX deliveries_pending ON deliveries (status, next_attempt_at);
