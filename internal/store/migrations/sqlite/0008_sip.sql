-- SIP identities on accounts: digest HA1s per algorithm (RFC 7616; no clear
-- password anywhere), contact data, activation and the admin flag; a realm
-- per domain; API keys of admin accounts; and nonce counts for digest
-- replay protection shared by every instance.
ALTER TABLE domains ADD COLUMN sip_realm TEXT;

ALTER TABLE accounts ADD COLUMN ha1_md5 TEXT;
ALTER TABLE accounts ADD COLUMN ha1_sha256 TEXT;
ALTER TABLE accounts ADD COLUMN contact_email TEXT;
ALTER TABLE accounts ADD COLUMN phone TEXT;
ALTER TABLE accounts ADD COLUMN activated BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE accounts ADD COLUMN admin BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN provisioned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN confirmation_key TEXT;
ALTER TABLE accounts ADD COLUMN confirmation_key_expires INTEGER;
CREATE UNIQUE INDEX accounts_confirmation_key ON accounts (confirmation_key);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    key_hash     TEXT NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_keys_account_id ON api_keys (account_id);

CREATE TABLE digest_nonces (
    nonce      TEXT PRIMARY KEY,
    nc         INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX digest_nonces_expires_at ON digest_nonces (expires_at);
