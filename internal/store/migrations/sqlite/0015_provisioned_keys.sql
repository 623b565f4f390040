-- Confirmation keys that have provisioned their account, as keyed digests.
-- liblinphone fetches its provisioning URI at every start; a used key gets
-- an empty document rather than 404, which it reports as a failure. The
-- record hands out nothing and goes with its account.
CREATE TABLE provisioned_keys (
    key_hash   TEXT    PRIMARY KEY,
    account_id INTEGER  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    used_at    INTEGER  NOT NULL
);
CREATE INDEX provisioned_keys_account ON provisioned_keys (account_id);
