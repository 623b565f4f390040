-- The SIP admin's panel: prefix search of a domain's accounts by contact
-- email and phone (the username has its UNIQUE (domain_id, local) index,
-- whose rowid suffix gives the (local, id) order), and a name per API key.
CREATE INDEX accounts_domain_contact_email ON accounts (domain_id, contact_email, id);
CREATE INDEX accounts_domain_phone ON accounts (domain_id, phone, id);
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
