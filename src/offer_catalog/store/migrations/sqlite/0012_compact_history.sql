-- Compact history (store/sqlite_history.py): document_versions keeps past versions only (the current
-- version is the documents row itself), each body zlib-compressed, in a table WITHOUT ROWID (a past
-- version is about a hundred bytes: a separate index of its key would double it). Files written
-- before hold a copy of each current version (it goes) and past versions as JSON text (packed alone
-- by oc_pack, a function the store registers on its connections); compressed rows are kept as they are.
CREATE TABLE document_versions_compact (
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
    body BLOB NOT NULL,
    PRIMARY KEY (scope, kind, id, version)
) WITHOUT ROWID;
INSERT INTO document_versions_compact
SELECT scope, kind, id, version, deleted, created_at, created_by, created_by_client, modified_at, modified_by,
    modified_by_client, CASE WHEN typeof(body) = 'text' THEN oc_pack(body) ELSE body END
FROM document_versions v
WHERE NOT EXISTS (
    SELECT 1 FROM documents d WHERE d.scope = v.scope AND d.kind = v.kind AND d.id = v.id AND d.version = v.version
);
DROP TABLE document_versions;
ALTER TABLE document_versions_compact RENAME TO document_versions;
