-- The SIP plane's rules. sip_plane holds the one digest algorithm Kamailio
-- challenges with ('' until switchboard sipconfig sets it): every password
-- written from then on also gets that algorithm's HA1. The triggers remove
-- an account's registrations (usrloc's location rows, db_mode 3) the moment
-- it is switched off or deleted, and a domain's with the domain, whatever
-- path did it: a binding never outlives the account that made it.
-- One row: singleton is its key, not an id naming anything.
CREATE TABLE sip_plane (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    algorithm TEXT NOT NULL DEFAULT '' CHECK (algorithm IN ('', 'MD5', 'SHA-256'))
);

INSERT INTO sip_plane (singleton, algorithm) VALUES (1, '');

-- On a domain's cascade the domain row is gone already and the join
-- matches nothing: domains_location_delete covers that path.
CREATE FUNCTION accounts_location_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM location_attrs l USING domains d
        WHERE d.id = OLD.domain_id AND l.username = OLD.local AND l.domain = d.name;
    DELETE FROM location l USING domains d
        WHERE d.id = OLD.domain_id AND l.username = OLD.local AND l.domain = d.name;
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_location_off AFTER UPDATE OF active, activated ON accounts
    FOR EACH ROW WHEN (NOT NEW.active OR NOT NEW.activated) EXECUTE FUNCTION accounts_location_forget();
CREATE TRIGGER accounts_location_delete AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_location_forget();

CREATE FUNCTION domains_location_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM location_attrs WHERE domain = OLD.name;
    DELETE FROM location WHERE domain = OLD.name;
    RETURN NULL;
END $$;

CREATE TRIGGER domains_location_delete AFTER DELETE ON domains
    FOR EACH ROW EXECUTE FUNCTION domains_location_forget();
