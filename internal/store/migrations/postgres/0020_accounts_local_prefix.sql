-- The panel's mailbox search walks a domain's accounts by local part in
-- byte order (COLLATE "C", whatever the database's collation), so a prefix
-- is one range of this index: first pages and prefix searches stay fast at
-- a million accounts.
CREATE INDEX accounts_domain_local_c ON accounts (domain_id, local COLLATE "C");
