-- Event delivery: a lease so one process relays, the relay's cursor, hub subscriptions and the
-- deliveries (one per event and subscription: pending, delivered or dead).
--
-- Outbox sequence numbers are handed out at insert and may commit out of order, so the relay reads
-- events in (transaction id, seq) order and only those of transactions older than every running one
-- (pg_snapshot_xmin): a later commit can then never land behind the relay's cursor.
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_relay_order ON events (txid, seq);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE relay_positions (
    name TEXT PRIMARY KEY,
    txid BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
-- Relay what is written from now on (not the history of an existing database).
INSERT INTO relay_positions (name, txid, seq)
SELECT 'tmf620', coalesce(max(txid::text::bigint), 0), coalesce(max(seq), 0) FROM events;

CREATE TABLE subscriptions (
    id TEXT COLLATE "C" PRIMARY KEY,
    callback TEXT NOT NULL,
    query TEXT,
    secret TEXT,
    base_path TEXT NOT NULL,
    name_style TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    subscription_id TEXT COLLATE "C" NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, status, id);
CREATE INDEX deliveries_pending ON deliveries (status, next_attempt_at);
