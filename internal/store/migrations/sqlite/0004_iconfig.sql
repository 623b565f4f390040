-- Client configuration: OAuth clients and their bearer tokens, stored
-- configurations behind password links.
-- Times are Unix seconds (UTC).
CREATE TABLE oauth_clients (
    id          INTEGER PRIMARY KEY,
    client_id   TEXT    NOT NULL UNIQUE,
    secret_hash TEXT    NOT NULL,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
CREATE INDEX oauth_clients_tenant_id ON oauth_clients (tenant_id, id);

CREATE TABLE oauth_tokens (
    token_hash TEXT    PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_tokens_client_id ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_expires_at ON oauth_tokens (expires_at);

-- sealed is the configuration (mail passwords included) encrypted with
-- AES-256-GCM under the server key (internal/seal).
CREATE TABLE client_configs (
    id            TEXT    PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    password_hash TEXT    NOT NULL,
    sealed        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX client_configs_tenant_id ON client_configs (tenant_id);
CREATE INDEX client_configs_expires_at ON client_configs (expires_at);
