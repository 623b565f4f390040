-- Account-creation tokens sent by push to a device, and one-time codes
-- (activation by email or SMS, email and phone changes). Tokens and codes
-- are stored only as keyed digests.
CREATE TABLE account_creation_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    pn_provider TEXT NOT NULL,
    pn_param    TEXT NOT NULL,
    pn_prid     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX account_creation_tokens_prid ON account_creation_tokens (pn_prid);

CREATE TABLE account_codes (
    account_id INTEGER    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('activate_email', 'activate_phone', 'email_change', 'phone_change')),
    code_hash  TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER    NOT NULL,
    expires_at INTEGER    NOT NULL,
    PRIMARY KEY (account_id, purpose)
);
