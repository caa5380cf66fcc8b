-- Order statistics: live documents counted per bucket of keys, a bucket holding the keys from its
-- fence up to the next fence of the same (scope, kind, member). Member '' counts ids (a deep page in
-- id order sums whole buckets, then walks one); a member index's text values are counted under the
-- member's name (a range total sums whole buckets, then counts one through the index). Triggers keep
-- every count exact; the store splits buckets that grow (store/sqlite_fences.py).
CREATE TABLE key_fences (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    member TEXT NOT NULL,
    fence TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (scope, kind, member, fence)
) WITHOUT ROWID;
INSERT INTO key_fences (scope, kind, member, fence, n)
SELECT scope, kind, '', '', count(*) FROM documents WHERE deleted = 0 GROUP BY scope, kind;
CREATE TRIGGER documents_fence_live_i AFTER INSERT ON documents WHEN NEW.deleted = 0 BEGIN
    INSERT INTO key_fences (scope, kind, member, fence, n)
    SELECT NEW.scope, NEW.kind, '', coalesce((SELECT max(fence) FROM key_fences WHERE scope = NEW.scope
        AND kind = NEW.kind AND member = '' AND fence <= NEW.id), ''), 1 WHERE 1
    ON CONFLICT (scope, kind, member, fence) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_fence_live_u AFTER UPDATE ON documents WHEN OLD.deleted <> NEW.deleted BEGIN
    INSERT INTO key_fences (scope, kind, member, fence, n)
    SELECT NEW.scope, NEW.kind, '', coalesce((SELECT max(fence) FROM key_fences WHERE scope = NEW.scope
        AND kind = NEW.kind AND member = '' AND fence <= NEW.id), ''), CASE WHEN NEW.deleted = 0 THEN 1 ELSE -1 END
    WHERE 1
    ON CONFLICT (scope, kind, member, fence) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER documents_fence_live_d AFTER DELETE ON documents WHEN OLD.deleted = 0 BEGIN
    UPDATE key_fences SET n = n - 1 WHERE scope = OLD.scope AND kind = OLD.kind AND member = ''
    AND fence = (SELECT max(fence) FROM key_fences WHERE scope = OLD.scope AND kind = OLD.kind
        AND member = '' AND fence <= OLD.id);
END;
