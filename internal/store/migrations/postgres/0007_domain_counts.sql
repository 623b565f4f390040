-- Keep each domain's account count in the domain row, maintained by
-- statement-level triggers (one update per statement and domain, so a bulk
-- import does not rewrite the domain row a million times), so listing
-- domains and checking one never counts a million accounts.
ALTER TABLE domains ADD COLUMN users_count BIGINT NOT NULL DEFAULT 0;
UPDATE domains SET users_count = (SELECT count(*) FROM accounts a WHERE a.domain_id = domains.id);

CREATE FUNCTION accounts_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE domains d SET users_count = d.users_count + n.c
    FROM (SELECT domain_id, count(*) AS c FROM new_rows GROUP BY domain_id) n
    WHERE d.id = n.domain_id;
    RETURN NULL;
END $$;

CREATE FUNCTION accounts_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE domains d SET users_count = d.users_count - o.c
    FROM (SELECT domain_id, count(*) AS c FROM old_rows GROUP BY domain_id) o
    WHERE d.id = o.domain_id;
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_count_insert AFTER INSERT ON accounts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accounts_count_insert();
CREATE TRIGGER accounts_count_delete AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION accounts_count_delete();
