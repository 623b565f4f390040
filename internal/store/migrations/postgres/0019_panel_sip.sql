-- The SIP admin's panel: prefix search of a domain's accounts by username,
-- contact email and phone, in byte order (COLLATE "C") whatever the
-- database's collation, so that a prefix is a range of the index; and a
-- name per API key. The mailbox search of the tenant pages uses the local
-- part index too.
CREATE INDEX accounts_domain_local_c ON accounts (domain_id, local COLLATE "C", id);
CREATE INDEX accounts_domain_contact_email_c ON accounts (domain_id, contact_email COLLATE "C", id);
CREATE INDEX accounts_domain_phone_c ON accounts (domain_id, phone COLLATE "C", id);
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
