-- The stable contract for Dovecot and Postfix: they read these views on
-- every lookup, so the internal tables can change without breaking them, and
-- a deactivated account or a deleted domain stops at once.
CREATE VIEW mail_domains AS
    SELECT d.name AS domain FROM domains d;

CREATE VIEW mail_users AS
    SELECT a.email AS email, a.local AS local, d.name AS domain, a.password_hash AS password
    FROM accounts a JOIN domains d ON d.id = a.domain_id
    WHERE a.active;
