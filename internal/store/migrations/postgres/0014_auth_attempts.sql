-- Credential attempts: one token bucket per key (an identity such as
-- "mailbox:bob@example.com" or a client IP), shared by every surface and
-- every instance. An attempt is reserved before the secret is checked and
-- given back when it was right. updated_at is in Unix milliseconds.
CREATE TABLE auth_attempts (
    bucket     TEXT   PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX auth_attempts_updated_at ON auth_attempts (updated_at);
