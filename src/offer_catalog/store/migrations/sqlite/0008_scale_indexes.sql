-- Live documents of one kind in id order, covering: a deep page skips index entries, not rows.
CREATE INDEX documents_live ON documents (scope, kind, deleted, id);

-- The string values a document holds at each declared nested or array path (as a filter reads
-- them: a step that meets an array looks into every element), so such a filter is an index lookup.
CREATE TABLE document_paths (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (scope, kind, path, value, id)
) WITHOUT ROWID;
CREATE INDEX document_paths_by_document ON document_paths (scope, kind, id);

-- The paths document_paths holds (every process writing the file maintains exactly these).
CREATE TABLE document_path_names (
    path TEXT PRIMARY KEY
);

-- Counts kept by triggers: live documents per kind (member '' and value ''), and per string value of
-- each member index (its triggers are created with the index). A list's total reads one row.
CREATE TABLE member_counts (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    member TEXT NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (scope, kind, member, value)
) WITHOUT ROWID;
INSERT INTO member_counts (scope, kind, member, value, n)
SELECT scope, kind, '', '', count(*) FROM documents WHERE deleted = 0 GROUP BY scope, kind;
CREATE TRIGGER documents_count_live_i AFTER INSERT ON documents WHEN NEW.deleted = 0 BEGIN
    INSERT INTO member_counts (scope, kind, member, value, n) VALUES (NEW.scope, NEW.kind, '', '', 1)
    ON CONFLICT (scope, kind, member, value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_count_live_u AFTER UPDATE ON documents WHEN OLD.deleted <> NEW.deleted BEGIN
    INSERT INTO member_counts (scope, kind, member, value, n)
    VALUES (NEW.scope, NEW.kind, '', '', CASE WHEN NEW.deleted = 0 THEN 1 ELSE -1 END)
    ON CONFLICT (scope, kind, member, value) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER documents_count_live_d AFTER DELETE ON documents WHEN OLD.deleted = 0 BEGIN
    UPDATE member_counts SET n = n - 1 WHERE scope = OLD.scope AND kind = OLD.kind AND member = '' AND value = '';
END;
