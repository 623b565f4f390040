-- Quotas. Each mailbox has a storage limit in bytes and a message count
-- limit (0: unlimited), which Dovecot reads as quota_rule from mail_users;
-- quota_plan and quota_extra_bytes record how the limit was chosen (a
-- plan's preset plus additional bytes; '' for a limit given outright).
-- Each tenant has limits on its domains, its mailboxes and the sum of its
-- mailboxes' quotas, and the quota a new mailbox gets when none is given
-- (0: none). Dovecot's quota dict (dict-sql through the dict proxy) keeps
-- each mailbox's usage in quota_usage, keyed by the address Dovecot logs
-- in with; Switchboard only reads it, and forgets it with the mailbox.
ALTER TABLE accounts ADD COLUMN quota_bytes BIGINT NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0);
ALTER TABLE accounts ADD COLUMN quota_messages BIGINT NOT NULL DEFAULT 0 CHECK (quota_messages >= 0);
ALTER TABLE accounts ADD COLUMN quota_plan TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN quota_extra_bytes BIGINT NOT NULL DEFAULT 0 CHECK (quota_extra_bytes >= 0);

ALTER TABLE tenants ADD COLUMN plan TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN max_domains BIGINT NOT NULL DEFAULT 0 CHECK (max_domains >= 0);
ALTER TABLE tenants ADD COLUMN max_mailboxes BIGINT NOT NULL DEFAULT 0 CHECK (max_mailboxes >= 0);
ALTER TABLE tenants ADD COLUMN max_quota_bytes BIGINT NOT NULL DEFAULT 0 CHECK (max_quota_bytes >= 0);
ALTER TABLE tenants ADD COLUMN default_quota_bytes BIGINT NOT NULL DEFAULT 0 CHECK (default_quota_bytes >= 0);

-- Dovecot's dict-sql map: priv/quota/storage -> bytes, priv/quota/messages
-- -> messages, username_field username.
CREATE TABLE quota_usage (
    username TEXT   NOT NULL PRIMARY KEY,
    bytes    BIGINT NOT NULL DEFAULT 0,
    messages BIGINT NOT NULL DEFAULT 0
);

-- A mailbox made later at the same address starts from an empty Maildir;
-- with no row Dovecot counts the Maildir afresh.
CREATE FUNCTION accounts_quota_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM quota_usage WHERE username = OLD.email;
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_quota_forget AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_quota_forget();

-- mail_users gains quota_rule (Dovecot's userdb extra field; bytes= is in
-- bytes, 0 is unlimited) as a last column, which CREATE OR REPLACE allows,
-- so mail_aliases, which reads mail_users, stays as it is.
CREATE OR REPLACE VIEW mail_users AS
    SELECT a.email AS email, a.local AS local, d.name AS domain, a.password_hash AS password,
        '*:bytes=' || a.quota_bytes || ':messages=' || a.quota_messages AS quota_rule
    FROM accounts a JOIN domains d ON d.id = a.domain_id
    WHERE a.active;
