-- switchboard: foreign-keys-off
-- Ids are never handed out twice: without AUTOINCREMENT SQLite gives a new
-- row the largest id + 1, so deleting the newest account and creating
-- another reused its id, and a retried DELETE /api/accounts/{id} deleted the
-- wrong account. Every table with an integer id is rebuilt as INTEGER PRIMARY
-- KEY AUTOINCREMENT, keeping every row and id, following SQLite's ALTER TABLE
-- procedure (https://sqlite.org/lang_altertable.html#otheralter): Migrate
-- runs this with foreign keys off (the marker above), since dropping a
-- parent table with them on would cascade-delete its children, and checks
-- foreign_key_check before commit. An id deleted before this upgrade from
-- the top of its table cannot be known any more; from here on none is
-- reused.

-- Views and triggers name the tables being replaced; renaming a table while
-- they point at a missing one fails, so they go first and come back last.
DROP VIEW mail_aliases;
DROP VIEW mail_users;
DROP VIEW mail_domains;
DROP TRIGGER accounts_count_insert;
DROP TRIGGER accounts_count_delete;

CREATE TABLE new_tenants (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('operator', 'tenant')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
INSERT INTO new_tenants (id, name, password_hash, role, created_at, updated_at)
    SELECT id, name, password_hash, role, created_at, updated_at FROM tenants;
DROP TABLE tenants;
ALTER TABLE new_tenants RENAME TO tenants;

CREATE TABLE new_domains (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
    created_at  INTEGER NOT NULL,
    users_count INTEGER NOT NULL DEFAULT 0,
    sip_realm   TEXT
);
INSERT INTO new_domains (id, name, tenant_id, created_at, users_count, sip_realm)
    SELECT id, name, tenant_id, created_at, users_count, sip_realm FROM domains;
DROP TABLE domains;
ALTER TABLE new_domains RENAME TO domains;
CREATE INDEX domains_tenant_id ON domains (tenant_id, id);

CREATE TABLE new_accounts (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id                INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    local                    TEXT    NOT NULL,
    email                    TEXT    NOT NULL UNIQUE,
    password_hash            TEXT    NOT NULL,
    active                   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    ha1_md5                  TEXT,
    ha1_sha256               TEXT,
    contact_email            TEXT,
    phone                    TEXT,
    activated                BOOLEAN NOT NULL DEFAULT TRUE,
    admin                    BOOLEAN NOT NULL DEFAULT FALSE,
    provisioned              BOOLEAN NOT NULL DEFAULT FALSE,
    confirmation_key         TEXT,
    confirmation_key_expires INTEGER,
    UNIQUE (domain_id, local)
);
INSERT INTO new_accounts (id, domain_id, local, email, password_hash, active, created_at, updated_at, ha1_md5, ha1_sha256,
        contact_email, phone, activated, admin, provisioned, confirmation_key, confirmation_key_expires)
    SELECT id, domain_id, local, email, password_hash, active, created_at, updated_at, ha1_md5, ha1_sha256,
        contact_email, phone, activated, admin, provisioned, confirmation_key, confirmation_key_expires FROM accounts;
DROP TABLE accounts;
ALTER TABLE new_accounts RENAME TO accounts;
CREATE INDEX accounts_domain_id ON accounts (domain_id, id);
CREATE UNIQUE INDEX accounts_confirmation_key ON accounts (confirmation_key);

CREATE TABLE new_audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    object TEXT    NOT NULL
);
INSERT INTO new_audit_log (id, at, actor, action, object)
    SELECT id, at, actor, action, object FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE new_audit_log RENAME TO audit_log;

CREATE TABLE new_oauth_clients (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT    NOT NULL UNIQUE,
    secret_hash TEXT    NOT NULL,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
INSERT INTO new_oauth_clients (id, client_id, secret_hash, tenant_id, created_at)
    SELECT id, client_id, secret_hash, tenant_id, created_at FROM oauth_clients;
DROP TABLE oauth_clients;
ALTER TABLE new_oauth_clients RENAME TO oauth_clients;
CREATE INDEX oauth_clients_tenant_id ON oauth_clients (tenant_id, id);

CREATE TABLE new_dkim_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    selector    TEXT    NOT NULL,
    algorithm   TEXT    NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
    private_key TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  INTEGER NOT NULL,
    UNIQUE (domain_id, selector)
);
INSERT INTO new_dkim_keys (id, domain_id, selector, algorithm, private_key, public_key, active, created_at)
    SELECT id, domain_id, selector, algorithm, private_key, public_key, active, created_at FROM dkim_keys;
DROP TABLE dkim_keys;
ALTER TABLE new_dkim_keys RENAME TO dkim_keys;

CREATE TABLE new_certificates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    hostname    TEXT    NOT NULL UNIQUE,
    domain_id   INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    source      TEXT    NOT NULL CHECK (source IN ('acme', 'upload')),
    names       TEXT    NOT NULL,
    chain_pem   TEXT    NOT NULL,
    private_key TEXT    NOT NULL,
    issuer      TEXT    NOT NULL,
    not_before  INTEGER NOT NULL,
    not_after   INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO new_certificates (id, hostname, domain_id, source, names, chain_pem, private_key, issuer, not_before, not_after,
        lease_owner, lease_until, created_at, updated_at)
    SELECT id, hostname, domain_id, source, names, chain_pem, private_key, issuer, not_before, not_after,
        lease_owner, lease_until, created_at, updated_at FROM certificates;
DROP TABLE certificates;
ALTER TABLE new_certificates RENAME TO certificates;
CREATE INDEX certificates_domain_id ON certificates (domain_id);
CREATE INDEX certificates_not_after ON certificates (not_after);

CREATE TABLE new_api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash     TEXT    NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
INSERT INTO new_api_keys (id, key_hash, account_id, created_at, last_used_at)
    SELECT id, key_hash, account_id, created_at, last_used_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE new_api_keys RENAME TO api_keys;
CREATE INDEX api_keys_account_id ON api_keys (account_id);

CREATE TABLE new_account_creation_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    pn_provider TEXT    NOT NULL,
    pn_param    TEXT    NOT NULL,
    pn_prid     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
INSERT INTO new_account_creation_tokens (id, token_hash, pn_provider, pn_param, pn_prid, created_at, expires_at, used_at)
    SELECT id, token_hash, pn_provider, pn_param, pn_prid, created_at, expires_at, used_at FROM account_creation_tokens;
DROP TABLE account_creation_tokens;
ALTER TABLE new_account_creation_tokens RENAME TO account_creation_tokens;
CREATE INDEX account_creation_tokens_prid ON account_creation_tokens (pn_prid);

CREATE TABLE new_aliases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id    INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    local        TEXT    NOT NULL,
    email        TEXT    NOT NULL UNIQUE,
    destinations TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
INSERT INTO new_aliases (id, domain_id, local, email, destinations, created_at)
    SELECT id, domain_id, local, email, destinations, created_at FROM aliases;
DROP TABLE aliases;
ALTER TABLE new_aliases RENAME TO aliases;
CREATE INDEX aliases_domain_id ON aliases (domain_id, id);

-- The next id of each table is above every id it holds.
DELETE FROM sqlite_sequence WHERE name IN ('tenants', 'domains', 'accounts', 'audit_log', 'oauth_clients', 'dkim_keys', 'certificates', 'api_keys', 'account_creation_tokens', 'aliases');
INSERT INTO sqlite_sequence (name, seq) SELECT 'tenants', COALESCE(MAX(id), 0) FROM tenants;
INSERT INTO sqlite_sequence (name, seq) SELECT 'domains', COALESCE(MAX(id), 0) FROM domains;
INSERT INTO sqlite_sequence (name, seq) SELECT 'accounts', COALESCE(MAX(id), 0) FROM accounts;
INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_log', COALESCE(MAX(id), 0) FROM audit_log;
INSERT INTO sqlite_sequence (name, seq) SELECT 'oauth_clients', COALESCE(MAX(id), 0) FROM oauth_clients;
INSERT INTO sqlite_sequence (name, seq) SELECT 'dkim_keys', COALESCE(MAX(id), 0) FROM dkim_keys;
INSERT INTO sqlite_sequence (name, seq) SELECT 'certificates', COALESCE(MAX(id), 0) FROM certificates;
INSERT INTO sqlite_sequence (name, seq) SELECT 'api_keys', COALESCE(MAX(id), 0) FROM api_keys;
INSERT INTO sqlite_sequence (name, seq) SELECT 'account_creation_tokens', COALESCE(MAX(id), 0) FROM account_creation_tokens;
INSERT INTO sqlite_sequence (name, seq) SELECT 'aliases', COALESCE(MAX(id), 0) FROM aliases;

-- Triggers and views as of migrations 0007, 0010 and 0012.
CREATE TRIGGER accounts_count_insert AFTER INSERT ON accounts BEGIN
    UPDATE domains SET users_count = users_count + 1 WHERE id = NEW.domain_id;
END;

CREATE TRIGGER accounts_count_delete AFTER DELETE ON accounts BEGIN
    UPDATE domains SET users_count = users_count - 1 WHERE id = OLD.domain_id;
END;

CREATE VIEW mail_domains AS
    SELECT d.name AS domain FROM domains d;

CREATE VIEW mail_users AS
    SELECT a.email AS email, a.local AS local, d.name AS domain, a.password_hash AS password
    FROM accounts a JOIN domains d ON d.id = a.domain_id
    WHERE a.active;

CREATE VIEW mail_aliases AS
    SELECT email AS source, email AS destination FROM mail_users
    UNION ALL
    SELECT a.email AS source, a.destinations AS destination FROM aliases a;
