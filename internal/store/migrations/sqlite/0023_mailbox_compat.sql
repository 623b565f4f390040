-- mailbox.org compatibility: a mailbox's names and forwarding, a memo on
-- domains and tenants, and the indexes that keep mail.list's sorted pages
-- and the alias lookup of a mailbox a range of one index.
--
-- forwards is a comma-separated list of normalised addresses (the form
-- Postfix takes as one virtual_alias_maps value, as aliases.destinations);
-- inboxsave keeps a copy in the mailbox itself when it forwards.
ALTER TABLE accounts ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN forwards TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN inboxsave BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE domains ADD COLUMN memo TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN memo TEXT NOT NULL DEFAULT '';

CREATE INDEX accounts_domain_first_name ON accounts (domain_id, first_name, id);
CREATE INDEX accounts_domain_last_name ON accounts (domain_id, last_name, id);
CREATE INDEX accounts_domain_active ON accounts (domain_id, active, id);
CREATE INDEX accounts_domain_created ON accounts (domain_id, created_at, id);
-- mail.get's aliases: the aliases that forward to exactly one mailbox.
CREATE INDEX aliases_destinations ON aliases (destinations);

-- The view keeps its columns, so Postfix's query does not change. An
-- active mailbox maps to itself (its mail stays local), to itself and its
-- forwards (inboxsave), or to its forwards only; then the aliases.
DROP VIEW mail_aliases;
CREATE VIEW mail_aliases AS
    SELECT u.email AS source,
           CASE WHEN a.forwards = '' THEN u.email
                WHEN a.inboxsave THEN u.email || ',' || a.forwards
                ELSE a.forwards END AS destination
    FROM mail_users u JOIN accounts a ON a.email = u.email
    UNION ALL
    SELECT a.email AS source, a.destinations AS destination FROM aliases a;
