-- App passwords: a mailbox's extra passwords, one per mail client, each
-- optionally limited to some protocols. Only the argon2id hash is kept.
-- The password starts with its handle (public, unique), which lets
-- Dovecot's SQL passdb pick the one row to verify against (see
-- mail_app_passwords); protocols is '' (every protocol) or a
-- comma-separated list of imap, pop3, smtp, sieve.
CREATE TABLE app_passwords (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    handle        TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    protocols     TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX app_passwords_account_id ON app_passwords (account_id);

-- Dovecot's second passdb: one row per app password and protocol it may
-- log in over, for active mailboxes only, so that deactivating the mailbox
-- stops its app passwords at once and revoking one (a DELETE) stops it at
-- the next login.
CREATE VIEW mail_app_passwords AS
    SELECT a.email AS email, p.handle AS handle, s.protocol AS protocol, p.password_hash AS password
    FROM app_passwords p
    JOIN accounts a ON a.id = p.account_id
    JOIN (SELECT 'imap' AS protocol UNION ALL SELECT 'pop3' UNION ALL SELECT 'smtp' UNION ALL SELECT 'sieve') s
      ON p.protocols = '' OR ',' || p.protocols || ',' LIKE '%,' || s.protocol || ',%'
    WHERE a.active;
