-- JSON-RPC sessions: a tenant's (level account/admin) or a mailbox's (level
-- mail). Stored as digests; idle timeout via last_seen_at, absolute expiry.
CREATE TABLE rpc_sessions (
    token_hash   TEXT   PRIMARY KEY,
    tenant_id    BIGINT REFERENCES tenants (id) ON DELETE CASCADE,
    account_id   BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    level        TEXT   NOT NULL CHECK (level IN ('admin', 'account', 'mail')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    CHECK ((tenant_id IS NULL) <> (account_id IS NULL))
);
CREATE INDEX rpc_sessions_expires_at ON rpc_sessions (expires_at);
