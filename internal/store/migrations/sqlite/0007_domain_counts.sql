-- Keep each domain's account count in the domain row, maintained by
-- triggers for every writer, so listing domains and checking one never
-- counts a million accounts.
ALTER TABLE domains ADD COLUMN users_count INTEGER NOT NULL DEFAULT 0;
UPDATE domains SET users_count = (SELECT count(*) FROM accounts a WHERE a.domain_id = domains.id);

CREATE TRIGGER accounts_count_insert AFTER INSERT ON accounts BEGIN
    UPDATE domains SET users_count = users_count + 1 WHERE id = NEW.domain_id;
END;

CREATE TRIGGER accounts_count_delete AFTER DELETE ON accounts BEGIN
    UPDATE domains SET users_count = users_count - 1 WHERE id = OLD.domain_id;
END;
