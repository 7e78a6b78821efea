-- Witness cosignatures (c2sp.org/tlog-cosignature) of a node's checkpoints, one signature line
-- each. A checkpoint is inserted as soon as it is signed; the node then submits it to its
-- witnesses (c2sp.org/tlog-witness) off the writer's path, and each cosignature line obtained is
-- added here. The checkpoint's note as read (AuditDatabase) is its stored note followed by these
-- lines, in the order they were added. Append-only like the rest of the log.
CREATE TABLE audit_cosignatures (
  node_id   integer     NOT NULL,
  tree_size bigint      NOT NULL,
  line      text        NOT NULL,
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, tree_size, line),
  FOREIGN KEY (node_id, tree_size) REFERENCES audit_checkpoints (node_id, tree_size)
);

CREATE TRIGGER audit_cosignatures_append_only BEFORE UPDATE OR DELETE ON audit_cosignatures
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_cosignatures_no_truncate BEFORE TRUNCATE ON audit_cosignatures
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
