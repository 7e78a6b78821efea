-- Per-node Merkle audit logs (spec/audit.md), one hash tree per writer node.
--
-- The bulk tables (records, tree, token bindings) carry no foreign keys: every row is written by
-- the one process that owns its node_id, and a foreign key check per row costs throughput on the
-- group-commit path. CHECK constraints keep what a row can hold.

-- A writer node: its name (the records' "node" field) and the verifier key of its checkpoints, in
-- the C2SP signed-note format name+hex8+base64(0x01 || Ed25519 public key), so that a verifier can
-- find it.
CREATE TABLE audit_nodes (
  node_id       integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text        NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  public_key    text        NOT NULL CHECK (length(public_key) BETWEEN 1 AND 1024),
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- One record per row: the canonical JSON line verbatim (the Merkle leaf's bytes, UTF-8), its
-- leaf hash SHA-256(0x00 || line) as computed when it was written, and two columns copied out of
-- the line for lookups. seq runs from 0 without a gap per node.
CREATE TABLE audit_records (
  node_id    integer NOT NULL,
  seq        bigint  NOT NULL CHECK (seq >= 0),
  time_ms    bigint  NOT NULL,
  session_id text,
  line       text    NOT NULL,
  leaf_hash  bytea   NOT NULL CHECK (length(leaf_hash) = 32),
  PRIMARY KEY (node_id, seq)
);
-- Evidence bundles: every record of one session, on whichever node wrote it.
CREATE INDEX audit_records_session ON audit_records (session_id, node_id, seq) WHERE session_id IS NOT NULL;

-- Interior nodes of each node's tree: node (level, idx) is the Merkle Tree Hash of the 2^level
-- leaves from idx * 2^level (RFC 6962 section 2.1). Level 0 is audit_records.leaf_hash; only
-- every fourth level above it is stored (4, 8, 12, ...), the others are folded from the stored
-- level below when a proof needs them.
CREATE TABLE audit_tree (
  node_id integer  NOT NULL,
  level   smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
  idx     bigint   NOT NULL CHECK (idx >= 0),
  hash    bytea    NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (node_id, level, idx)
);

-- Signed checkpoints: a C2SP signed note over the tlog-checkpoint body, verbatim.
CREATE TABLE audit_checkpoints (
  node_id   integer     NOT NULL REFERENCES audit_nodes (node_id),
  tree_size bigint      NOT NULL CHECK (tree_size >= 0),
  note      text        NOT NULL,
  signed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, tree_size)
);

-- Which token hash belongs to which session (what recovery needs and the records must never
-- show), written in the same commit as the records that bound it; seq is the seq of the first
-- record appended with it, which orders a session's bindings (the newest is its token).
CREATE TABLE audit_token_bindings (
  node_id      integer NOT NULL,
  seq          bigint  NOT NULL,
  session_id   text    NOT NULL,
  token_sha256 bytea   NOT NULL CHECK (length(token_sha256) = 32),
  issued_at_ms bigint  NOT NULL
);

-- The log is append-only. A trigger cannot stop the owner of the tables (who can drop it), but it
-- stops an UPDATE, DELETE or TRUNCATE by mistake; what a privileged hand changes, `curfew audit verify`
-- finds (every root is recomputed from the records).
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE ON audit_tree
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_nodes_append_only BEFORE UPDATE OR DELETE ON audit_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
