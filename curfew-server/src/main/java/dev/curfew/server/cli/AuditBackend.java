package dev.curfew.server.cli;

import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditProofs;
import dev.curfew.core.AuditSink;
import dev.curfew.core.Clock;
import dev.curfew.core.audit.Witnesses;
import dev.curfew.server.config.AuditConfig;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.console.AuditView;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.LeafListener;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Objects;

/**
 * Where {@code curfew serve} keeps the node's audit trail ({@code audit:} in the configuration):
 * {@code file}, the embedded store's journal in the data directory ({@link File}), or {@code
 * postgres}, that journal mirrored to the node's log in PostgreSQL ({@link PostgresAudit}). The
 * journal is there in both: recovery replays it and it keeps the token bindings. Start-up order:
 *
 * <ol>
 *   <li>{@link #listener()} and {@link #journalWitnesses} go into the embedded store's options,
 *       before it opens;</li>
 *   <li>{@link #open} after the store opened (it created the node's signing key);</li>
 *   <li>{@link #sink} is the sessions' audit sink; {@link #reader} and {@link #proofs} serve the
 *       API, {@link #view} the admin console;</li>
 *   <li>{@link #close} after the store closed, so that {@code node.stopped} is in the trail.</li>
 * </ol>
 */
interface AuditBackend extends AutoCloseable {

  /** The backend {@code cfg} names. */
  static AuditBackend of(CurfewConfig cfg) {
    return cfg.audit() instanceof AuditConfig.Postgres pg ? new PostgresAudit(pg) : new File();
  }

  /** The journal's leaf listener (every durable line, in seq order), or null for none. */
  LeafListener listener();

  /**
   * The witnesses the journal's own checkpoints are submitted to: a witness keeps one size per
   * origin, so only the trail of record submits (the journal and the PostgreSQL log share key and
   * origin).
   */
  Witnesses journalWitnesses(CurfewConfig cfg);

  /** After {@code store} opened: connects and catches up as the backend needs. */
  void open(CurfewConfig cfg, String node, EmbeddedStore store, Vertx vertx, Clock clock, PrintStream out)
      throws IOException;

  /** Where the sessions' records go; an append completes when they are durable in the trail of record. */
  AuditSink sink();

  /** The trail of record's records, for {@code GET /v1/audit}. */
  AuditLogReader reader();

  /**
   * The trail of every node, for {@code GET /v1/audit} once several nodes write to it; null when
   * the trail is this node's alone.
   */
  default dev.curfew.core.ClusterAuditReader cluster() {
    return null;
  }

  /** Its proofs and evidence, for the API. */
  AuditProofs proofs();

  /** What the admin console shows and verifies. */
  AuditView view();

  /** Where the trail is, for the start-up line: " and PostgreSQL", or "". */
  String alsoIn();

  /** After the store closed. */
  @Override
  void close();

  /** {@code audit: file}: the journal in the data directory is the trail. */
  final class File implements AuditBackend {
    private EmbeddedStore store;

    @Override
    public LeafListener listener() {
      return null;
    }

    @Override
    public Witnesses journalWitnesses(CurfewConfig cfg) {
      return ServeCommand.witnesses(cfg);
    }

    @Override
    public void open(CurfewConfig cfg, String node, EmbeddedStore store, Vertx vertx, Clock clock, PrintStream out) {
      this.store = Objects.requireNonNull(store, "store");
    }

    private EmbeddedStore store() {
      if (store == null) throw new IllegalStateException("not open");
      return store;
    }

    @Override
    public AuditSink sink() {
      return store().log();
    }

    @Override
    public AuditLogReader reader() {
      return store().log();
    }

    @Override
    public AuditProofs proofs() {
      return store().auditTrail();
    }

    @Override
    public AuditView view() {
      return AuditView.embedded(store());
    }

    @Override
    public String alsoIn() {
      return "";
    }

    @Override
    public void close() {
      // the store closes the journal
    }
  }
}
