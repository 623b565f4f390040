-- Aliases (forwarders): mail to email is delivered to every address in
-- destinations, a comma-separated list of normalised addresses, which is the
-- form Postfix accepts as one virtual_alias_maps value. An alias of a deleted
-- domain goes with it.
CREATE TABLE aliases (
    id           INTEGER PRIMARY KEY,
    domain_id    INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    local        TEXT    NOT NULL,
    email        TEXT    NOT NULL UNIQUE,
    destinations TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX aliases_domain_id ON aliases (domain_id, id);

-- The view keeps its columns, so Postfix's query does not change: the
-- self-maps of active mailboxes, then the aliases.
DROP VIEW mail_aliases;
CREATE VIEW mail_aliases AS
    SELECT email AS source, email AS destination FROM mail_users
    UNION ALL
    SELECT a.email AS source, a.destinations AS destination FROM aliases a;
