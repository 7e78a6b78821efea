package dev.curfew.server.cli;

import dev.curfew.core.Clock;
import dev.curfew.core.ClusterAuditReader;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.Witnesses;
import dev.curfew.server.config.AuditConfig;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.console.AuditView;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.LeafListener;
import dev.curfew.store.postgres.AuditDatabase;
import dev.curfew.store.postgres.AuditSchema;
import dev.curfew.store.postgres.PgAuditLog;
import dev.curfew.store.postgres.PgAuditProofs;
import dev.curfew.store.postgres.PgAuditVerifier;
import dev.curfew.store.postgres.PgClusterTrail;
import dev.curfew.store.postgres.PgConfig;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * {@code audit: postgres} for {@code curfew serve}: the node's audit log in PostgreSQL, a mirror of
 * the embedded store's journal (see {@link MirroredAuditSink}): every durable line of the journal
 * goes, verbatim, through the PostgreSQL log's group commit (one transaction per batch), and an
 * append is acknowledged once PostgreSQL committed it. {@link #open} (after the store opened, which
 * created the node's signing key) migrates the schema, registers the node with its verifier key,
 * opens the log, and copies what PostgreSQL lacks from the journal; {@link #close} (after the store
 * closed) commits {@code node.stopped} with the final checkpoint.
 */
final class PostgresAudit implements AuditBackend {
  /** Records per read of a session's records for the console. */
  static final int SESSION_RECORDS_PAGE = 1_000;
  private final AuditConfig.Postgres settings;
  private final AtomicReference<PgAuditLog> mirror = new AtomicReference<>();
  private AuditDatabase db;
  private EmbeddedStore store;

  PostgresAudit(AuditConfig.Postgres settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** The journal's leaf listener: hands durable lines to the PostgreSQL log once it is open. */
  @Override
  public LeafListener listener() {
    return (seq, line) -> {
      PgAuditLog m = mirror.get();
      if (m != null) m.replicate(seq, line); // before open: catchUp copies it
    };
  }

  /**
   * Connects (on {@code vertx}), migrates, opens the node's log signed with the same key as the
   * journal's checkpoints, and catches up with {@code store}'s journal.
   */
  @Override
  public void open(CurfewConfig cfg, String node, EmbeddedStore store, Vertx vertx, Clock clock, PrintStream out)
      throws IOException {
    this.store = Objects.requireNonNull(store, "store");
    PgConfig pg = settings.connection(System.getenv());
    int migrations;
    try {
      migrations = AuditSchema.migrate(pg);
    } catch (RuntimeException e) {
      throw new IOException("cannot prepare the audit tables in PostgreSQL (" + pg.jdbcUrl() + ", user " + pg.user()
          + "): " + e.getMessage(), e);
    }
    db = AuditDatabase.connect(vertx, pg, 4);
    Path key = cfg.auditSigningKey() != null ? cfg.auditSigningKey() : AuditFiles.of(store.dataDir()).defaultSigningKeyFile();
    NoteSigner signer = AuditFiles.readSigner(key);
    PgAuditLog log = PgAuditLog.open(db, node, signer, PgAuditLog.Options.defaults().withClock(clock)
        .withWitnesses(ServeCommand.witnesses(cfg))); // the same witnesses, and client, as the journal's checkpoints
    long before = log.size();
    mirror.set(log);
    log.catchUp(store.log());
    out.println("curfew: audit log in PostgreSQL " + pg.jdbcUrl() + " (node " + node + ", "
        + (migrations > 0 ? migrations + " schema migration" + (migrations == 1 ? "" : "s") + " applied, " : "")
        + (log.size() > before ? "copied " + (log.size() - before) + " records from the journal, " : "")
        + log.size() + " records)");
  }

  /** None: the node's log in PostgreSQL, with the same key and origin, is the one its witnesses follow. */
  @Override
  public Witnesses journalWitnesses(CurfewConfig cfg) {
    return Witnesses.NONE;
  }

  @Override
  public MirroredAuditSink sink() {
    if (store == null) throw new IllegalStateException("not open");
    return new MirroredAuditSink(store.log(), log());
  }

  @Override
  public PgAuditLog reader() {
    return log();
  }

  @Override
  public String alsoIn() {
    return " and PostgreSQL";
  }

  PgAuditLog log() {
    PgAuditLog l = mirror.get();
    if (l == null) throw new IllegalStateException("not open");
    return l;
  }

  /** Every node's tree in the database, read as one. */
  @Override
  public PgClusterTrail cluster() {
    if (db == null) throw new IllegalStateException("not open");
    return new PgClusterTrail(db);
  }

  @Override
  public PgAuditProofs proofs() {
    return new PgAuditProofs(log());
  }

  /** What the admin console shows and verifies: this node's log in PostgreSQL. */
  @Override
  public AuditView view() {
    PgAuditLog l = log();
    return new AuditView() {
      @Override
      public long records() {
        return l.size();
      }

      @Override
      public Optional<String> latestCheckpoint() {
        return l.latestCheckpoint();
      }

      @Override
      public NoteVerifier verifier() {
        return l.verifier();
      }

      @Override
      public List<String> sessionRecords(String sessionId) throws IOException {
        // every node's tree: with store: redis a session's records can be in several
        PgClusterTrail trail = new PgClusterTrail(l.database());
        List<String> lines = new ArrayList<>();
        String after = null;
        do {
          ClusterAuditReader.Page page = trail.read(
              new ClusterAuditReader.Query(sessionId, null, null, null, null, after, SESSION_RECORDS_PAGE));
          lines.addAll(page.lines());
          after = page.next();
        } while (after != null);
        return lines;
      }

      @Override
      public Verified verify(LongConsumer progress) throws IOException {
        PgAuditVerifier.NodeResult r = PgAuditVerifier.verifyNode(l.database(), l.node(), l.verifier(), true, null,
            PROGRESS_EVERY_RECORDS, progress);
        return new Verified(r.verification(), r.suspectSeq());
      }
    };
  }

  /** Commits what is queued (node.stopped included), writes a final checkpoint, closes the pool. */
  @Override
  public void close() {
    PgAuditLog l = mirror.get();
    if (l != null) l.close();
    if (db != null) db.close();
  }
}
