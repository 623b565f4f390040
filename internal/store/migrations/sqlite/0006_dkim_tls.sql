-- DKIM keys, TLS certificates and ACME state. Private keys are sealed with
-- the server key (AES-256-GCM, see internal/seal); the database alone does
-- not reveal them.
CREATE TABLE dkim_keys (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER    NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    selector    TEXT    NOT NULL,
    algorithm   TEXT    NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
    private_key TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  INTEGER    NOT NULL,
    UNIQUE (domain_id, selector)
);

CREATE TABLE certificates (
    id          INTEGER PRIMARY KEY,
    hostname    TEXT NOT NULL UNIQUE,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    source      TEXT NOT NULL CHECK (source IN ('acme', 'upload')),
    names       TEXT NOT NULL,
    chain_pem   TEXT NOT NULL,
    private_key TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    not_before  INTEGER NOT NULL,
    not_after   INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX certificates_domain_id ON certificates (domain_id);
CREATE INDEX certificates_not_after ON certificates (not_after);

CREATE TABLE acme_challenges (
    token      TEXT PRIMARY KEY,
    key_auth   TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE acme_accounts (
    directory   TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
