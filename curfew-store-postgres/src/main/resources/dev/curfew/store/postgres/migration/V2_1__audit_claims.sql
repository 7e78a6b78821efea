-- The claim of each record written under one (store: redis: every change to a session, each
-- ending, each policy version; docs/distributed.md, "Every change, recorded once"), whichever
-- node's tree holds the record. Filled in the transaction that writes the records, so a claim is
-- here exactly when its record is committed; a node about to record a claim that another node
-- left behind first tries the claim in a transaction of its own that it rolls back (PgAuditLog
-- #recorded): that insert waits for a transaction still holding the claim, and a conflict means
-- the record exists. Append-only like the rest of the log.
CREATE TABLE audit_claims (
  claim   text    PRIMARY KEY,
  node_id integer NOT NULL,
  seq     bigint  NOT NULL
);

CREATE TRIGGER audit_claims_append_only BEFORE UPDATE OR DELETE ON audit_claims
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_claims_no_truncate BEFORE TRUNCATE ON audit_claims
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
