-- 009: each resource's partition stored with it: the {pNN} of its Redis keys and change
-- stream (shared/domain/hold_cache.c: FNV-1a of the id's UTF-8 bytes, mod 64), so that a
-- search-svc shard reads only the resources of its partitions, in index order
-- (docs/scale-out.md, "Sharded search").
--
-- Adding a STORED generated column rewrites the table: every existing resource gets its
-- partition here (checked against the C function for ASCII, accented and CJK ids, and
-- the empty string), new ones as they are inserted. The rewrite holds an exclusive lock
-- on resources while it runs (seconds at a few million rows).
CREATE FUNCTION resource_partition(id text) RETURNS smallint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    b bytea := convert_to(id, 'UTF8');
    h bigint := 2166136261;
BEGIN
    FOR i IN 0 .. length(b) - 1 LOOP
        h := ((h # get_byte(b, i)) * 16777619) & 4294967295;
    END LOOP;
    RETURN (h % 64)::smallint;
END
$$;

ALTER TABLE resources ADD COLUMN partition_id smallint NOT NULL
    GENERATED ALWAYS AS (resource_partition(resource_id)) STORED;
CREATE INDEX resources_partition ON resources (partition_id, resource_id);
