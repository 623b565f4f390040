-- The SIP plane's contract with Kamailio (switchboard sipconfig): it reads
-- the activated, enabled SIP accounts through the sip_subscribers views (one
-- per digest algorithm, with only the accounts that have that HA1, so an
-- empty HA1 is never a password) and keeps its registrations (usrloc,
-- db_mode 3) in location, in Kamailio 5.6's own schema, so bindings survive
-- its restarts and every Switchboard instance sees them. version is
-- Kamailio's table of schema versions, which its modules check at start.
CREATE TABLE version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);

INSERT INTO version (table_name, table_version) VALUES ('version', 1);

CREATE TABLE location (
    id INTEGER PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    contact VARCHAR(512) DEFAULT '' NOT NULL,
    received VARCHAR(128) DEFAULT NULL,
    path VARCHAR(512) DEFAULT NULL,
    expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,
    q REAL DEFAULT 1.0 NOT NULL,
    callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    cseq INTEGER DEFAULT 1 NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    cflags INTEGER DEFAULT 0 NOT NULL,
    user_agent VARCHAR(255) DEFAULT '' NOT NULL,
    socket VARCHAR(64) DEFAULT NULL,
    methods INTEGER DEFAULT NULL,
    instance VARCHAR(255) DEFAULT NULL,
    reg_id INTEGER DEFAULT 0 NOT NULL,
    server_id INTEGER DEFAULT 0 NOT NULL,
    connection_id INTEGER DEFAULT 0 NOT NULL,
    keepalive INTEGER DEFAULT 0 NOT NULL,
    partition INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT location_ruid_idx UNIQUE (ruid)
);

CREATE INDEX location_account_contact_idx ON location (username, domain, contact);
CREATE INDEX location_expires_idx ON location (expires);
CREATE INDEX location_tcpcon_idx ON location (connection_id);
CREATE INDEX location_connection_idx ON location (server_id, connection_id);

INSERT INTO version (table_name, table_version) VALUES ('location', 9);

CREATE TABLE location_attrs (
    id INTEGER PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    aname VARCHAR(64) DEFAULT '' NOT NULL,
    atype INTEGER DEFAULT 0 NOT NULL,
    avalue VARCHAR(512) DEFAULT '' NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL
);

CREATE INDEX location_attrs_account_record_idx ON location_attrs (username, domain, ruid);
CREATE INDEX location_attrs_last_modified_idx ON location_attrs (last_modified);

INSERT INTO version (table_name, table_version) VALUES ('location_attrs', 1);

CREATE VIEW sip_subscribers AS
    SELECT a.local AS username, d.name AS domain, COALESCE(NULLIF(d.sip_realm, ''), d.name) AS realm, a.ha1_md5 AS ha1
    FROM accounts a JOIN domains d ON d.id = a.domain_id
    WHERE a.active AND a.activated AND a.ha1_md5 IS NOT NULL AND a.ha1_md5 <> '';

CREATE VIEW sip_subscribers_sha256 AS
    SELECT a.local AS username, d.name AS domain, COALESCE(NULLIF(d.sip_realm, ''), d.name) AS realm, a.ha1_sha256 AS ha1
    FROM accounts a JOIN domains d ON d.id = a.domain_id
    WHERE a.active AND a.activated AND a.ha1_sha256 IS NOT NULL AND a.ha1_sha256 <> '';

-- auth_db checks its table's schema version (7, the subscriber table's).
INSERT INTO version (table_name, table_version) VALUES ('sip_subscribers', 7);
INSERT INTO version (table_name, table_version) VALUES ('sip_subscribers_sha256', 7);
