-- Totals without counting every match (store/pg_counts.py). document_counts holds, per scope and
-- kind, the number of live documents (key '' and value '') and, for the values promoted when a list's
-- total first passed a threshold, the number of live documents holding that string value at a
-- counted key (a declared member or path; counted_keys names its SQL/JSON path). Statement triggers
-- keep them exact in the writing transaction. Like the scope change numbers (0010) a count is spread
-- over stripes (its value is their sum): a writer adds to the first stripe no other running writer
-- holds, or adds a stripe, so writers never wait for each other. Stripe 0 of a value marks it
-- counted by the triggers; stripe -1 holds the count of before (the promotion's), and marks it complete.
CREATE TABLE document_counts (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    stripe INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (scope, kind, key, value, stripe)
);
CREATE TABLE counted_keys (
    key TEXT COLLATE "C" PRIMARY KEY,
    path JSONPATH NOT NULL
);

-- The (key, value) pairs a document counts under: always ('', ''), its fence ('#', the greatest fence
-- id not above its id, '' below the first: store/pg_fences.py), and each promoted value it holds.
CREATE FUNCTION document_count_pairs(p_scope TEXT, p_kind TEXT, p_id TEXT, p_body JSONB)
RETURNS TABLE (key TEXT, value TEXT) LANGUAGE sql STABLE AS $$
    SELECT ''::text, ''::text
    UNION ALL
    SELECT '#', coalesce((
        SELECT c.value FROM document_counts c WHERE c.scope = p_scope AND c.kind = p_kind AND c.key = '#'
        AND c.value <= p_id COLLATE "C" ORDER BY c.value DESC LIMIT 1
    ), '')
    UNION ALL
    SELECT k.key, v.value FROM counted_keys k
    CROSS JOIN LATERAL (
        SELECT DISTINCT x #>> '{}' AS value FROM jsonb_path_query(p_body, k.path, '{}', true) x
    ) v
    WHERE EXISTS (
        SELECT 1 FROM document_counts c WHERE c.scope = p_scope AND c.kind = p_kind AND c.key = k.key
        AND c.value = v.value AND c.stripe = 0
    )
$$;

CREATE FUNCTION document_counts_add(p_scope TEXT, p_kind TEXT, p_key TEXT, p_value TEXT, p_n BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE document_counts SET n = n + p_n WHERE ctid = (
        SELECT ctid FROM document_counts WHERE scope = p_scope AND kind = p_kind AND key = p_key
        AND value = p_value AND stripe >= 0 ORDER BY stripe LIMIT 1 FOR UPDATE SKIP LOCKED
    );
    IF NOT FOUND THEN
        INSERT INTO document_counts AS c (scope, kind, key, value, stripe, n)
        SELECT p_scope, p_kind, p_key, p_value, coalesce(max(stripe) + 1, 0), p_n FROM document_counts
        WHERE scope = p_scope AND kind = p_kind AND key = p_key AND value = p_value
        ON CONFLICT (scope, kind, key, value, stripe) DO UPDATE SET n = c.n + excluded.n;
    END IF;
END
$$;

-- One function for the three statement triggers; in a sorted order, so two writers lock in one order.
CREATE FUNCTION document_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d RECORD;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR d IN SELECT r.scope, r.kind, p.key, p.value, count(*) AS n FROM new_rows r
            CROSS JOIN LATERAL document_count_pairs(r.scope, r.kind, r.id, r.body) p WHERE NOT r.deleted
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        LOOP
            PERFORM document_counts_add(d.scope, d.kind, d.key, d.value, d.n);
        END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR d IN SELECT r.scope, r.kind, p.key, p.value, -count(*) AS n FROM old_rows r
            CROSS JOIN LATERAL document_count_pairs(r.scope, r.kind, r.id, r.body) p WHERE NOT r.deleted
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        LOOP
            PERFORM document_counts_add(d.scope, d.kind, d.key, d.value, d.n);
        END LOOP;
    ELSE
        FOR d IN SELECT c.scope, c.kind, c.key, c.value, sum(c.sign) AS n FROM (
                SELECT r.scope, r.kind, p.key, p.value, 1 AS sign FROM new_rows r
                CROSS JOIN LATERAL document_count_pairs(r.scope, r.kind, r.id, r.body) p WHERE NOT r.deleted
                UNION ALL
                SELECT r.scope, r.kind, p.key, p.value, -1 FROM old_rows r
                CROSS JOIN LATERAL document_count_pairs(r.scope, r.kind, r.id, r.body) p WHERE NOT r.deleted
            ) c GROUP BY 1, 2, 3, 4 HAVING sum(c.sign) <> 0 ORDER BY 1, 2, 3, 4
        LOOP
            PERFORM document_counts_add(d.scope, d.kind, d.key, d.value, d.n);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER documents_counts_i AFTER INSERT ON documents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_counts_changed();
CREATE TRIGGER documents_counts_u AFTER UPDATE ON documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_counts_changed();
CREATE TRIGGER documents_counts_d AFTER DELETE ON documents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION document_counts_changed();

INSERT INTO document_counts (scope, kind, key, value, stripe, n)
SELECT scope, kind, key, '', 0, count(*) FROM documents CROSS JOIN (VALUES (''), ('#')) k (key)
WHERE NOT deleted GROUP BY scope, kind, key;

-- Live documents of a kind in id order, from the index alone: a deep page skips index entries only.
CREATE INDEX documents_live ON documents (scope, kind, id) WHERE NOT deleted;

-- Member indexes are now on the member's JSONB value, live documents only (ensure_member_indexes):
-- one index serves a member's filters and its sorts. The text-valued ones they replace go.
DO $$
DECLARE
    name TEXT;
BEGIN
    FOR name IN SELECT indexname FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'documents' AND indexname LIKE 'documents\_member\_%'
    LOOP
        EXECUTE format('DROP INDEX %I', name);
    END LOOP;
END
$$;
