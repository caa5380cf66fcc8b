-- Current version of every document (tombstones included), its full history, the outbox, counters.
CREATE TABLE documents (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT,
    created_by_client TEXT,
    modified_at TEXT NOT NULL,
    modified_by TEXT,
    modified_by_client TEXT,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX documents_key ON documents (scope, kind, id);
CREATE INDEX documents_scope_id ON documents (scope, id);
CREATE INDEX documents_scope_kind_modified ON documents (scope, kind, modified_at);

CREATE TABLE document_versions (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT,
    created_by_client TEXT,
    modified_at TEXT NOT NULL,
    modified_by TEXT,
    modified_by_client TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (scope, kind, id, version)
);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);

CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
