-- Import leases: one domain import at a time per tenant, across every
-- instance. An import holds lease_key "tenant:<name>" with a random owner and
-- renews lease_until (Unix seconds) while it runs; a lease past its time
-- belongs to a killed import and may be taken over.
CREATE TABLE import_leases (
    lease_key   TEXT   PRIMARY KEY,
    owner       TEXT   NOT NULL,
    lease_until BIGINT NOT NULL
);
