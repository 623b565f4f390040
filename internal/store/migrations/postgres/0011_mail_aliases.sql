-- Postfix's virtual_alias_maps reads this view: source address -> destination
-- address(es). Every active mailbox maps to itself, which keeps its mail
-- local even when a domain later gains a catch-all; alias rows join it here
-- when Switchboard grows an alias API.
CREATE VIEW mail_aliases AS
    SELECT email AS source, email AS destination FROM mail_users;
