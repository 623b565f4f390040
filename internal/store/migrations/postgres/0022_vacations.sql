-- Vacation replies: one row per mailbox that ever had one, the settings as
-- the APIs show them and the Sieve script generated from them (by
-- internal/sieve, in the same transaction). version grows with every change,
-- so that the script's id changes with its text: Pigeonhole keys a compiled
-- script to that id.
CREATE TABLE vacations (
    account_id BIGINT  PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    active     BOOLEAN NOT NULL DEFAULT FALSE,
    subject    TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL DEFAULT '',
    start_date TEXT    NOT NULL DEFAULT '',
    end_date   TEXT    NOT NULL DEFAULT '',
    days       INTEGER NOT NULL DEFAULT 7,
    addresses  TEXT    NOT NULL DEFAULT '',
    script     TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT  NOT NULL
);

-- Pigeonhole's dict script storage reads this view through Dovecot's SQL
-- dict (dovecot-switchboard-dict-sieve.conf.ext): priv/sieve/name/<name>
-- gives the id of the user's script of that name, priv/sieve/data/<id> its
-- text. Only active vacations of active mailboxes have a script, so turning
-- one off, or the mailbox, stops the replies at the next delivery.
CREATE VIEW mail_sieve_scripts AS
    SELECT a.email AS username, 'active' AS name,
           CAST(v.account_id AS TEXT) || '.' || CAST(v.version AS TEXT) AS id, v.script AS script
    FROM vacations v JOIN accounts a ON a.id = v.account_id
    WHERE v.active AND a.active;
