package dev.curfew.server.cli;

import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.Times;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.DataDirLock;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.FileAuditLog;
import dev.curfew.store.embedded.LegalHolds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code curfew audit hold}: legal holds on the embedded audit trail (docs/audit.md, "Retention
 * and legal holds"). Placing and lifting write an {@code audit.hold_*} record with the actor to the
 * data directory's log, so they hold the directory's lock: run them with the server stopped (the
 * server applies the holds at its next start and daily). Listing only reads.
 */
@Command(name = "hold", mixinStandardHelpOptions = true,
    description = {"Legal holds: records of a subject or a period that retention must not archive.",
        "place and lift write an audit.hold_placed / audit.hold_lifted record with the actor (the server must be stopped);",
        "list prints the holds in force."},
    subcommands = {AuditHoldCommand.Place.class, AuditHoldCommand.Lift.class, AuditHoldCommand.ListHolds.class})
final class AuditHoldCommand {
  /**
   * The retention the hold commands open the trail with: none, so that opening it to write the
   * record archives nothing (archival is the server's, and would run before the new hold counts).
   */
  private static final Duration NO_ARCHIVAL = Duration.ofDays(365L * 10_000);

  private AuditHoldCommand() {}

  /** The data directory of --data/--config, refusing the PostgreSQL audit store. */
  private static Path dataDir(AuditCommand.Location location) {
    if (location.postgres()) {
      throw new IllegalArgumentException("legal holds keep segments of a data directory's audit log out of its archive;"
          + " the PostgreSQL audit store archives nothing");
    }
    return location.dataDir();
  }

  /** Opens the directory's log (holding its lock), runs {@code write} on it, and closes it with a final checkpoint. */
  private static <T> T withLog(AuditCommand.Location location, String command, LogWrite<T> write) throws IOException {
    Path dir = dataDir(location);
    CurfewConfig cfg = location.config();
    String node = cfg.node() != null ? cfg.node() : ServeCommand.defaultNode();
    SystemClock clock = new SystemClock();
    try (DataDirLock lock = DataDirLock.acquire(dir, command)) {
      AuditTrail trail = AuditTrail.open(dir, AuditTrail.Settings.defaults().withSigningKeyFile(cfg.auditSigningKey())
          .withRetention(NO_ARCHIVAL).withWitnesses(ServeCommand.journalWitnesses(cfg)), node, clock);
      try {
        FileAuditLog log = FileAuditLog.open(dir, EmbeddedStore.Options.defaults().withClock(clock).withLeafListener(trail), node);
        try {
          trail.attach(log);
          return write.run(AuditFiles.of(dir), log, node, clock.millis());
        } finally {
          log.close();
        }
      } finally {
        trail.close(); // the final checkpoint signs the hold's record
      }
    } catch (DataDirLock.HeldException e) {
      throw new StartRefused(e.getMessage() + "; stop the server to place or lift a hold", e);
    }
  }

  @FunctionalInterface
  private interface LogWrite<T> {
    T run(AuditFiles files, FileAuditLog log, String node, long nowMs) throws IOException;
  }

  /** {@code curfew audit hold place}. */
  @Command(name = "place", mixinStandardHelpOptions = true,
      description = {"Place a hold on a subject's records (--subject) or on a period's ([--from, --to)).",
          "Segments holding any held record are not archived while the hold stands."})
  static final class Place implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AuditCommand.Location location = new AuditCommand.Location();

    @Option(names = "--subject", paramLabel = "SUBJECT", description = "Hold every record whose subject is this.")
    String subject;

    @Option(names = "--from", paramLabel = "T", description = "Hold the records from this time, inclusive (a date or an RFC 3339 instant, UTC).")
    String from;

    @Option(names = "--to", paramLabel = "T", description = "... to this time, exclusive.")
    String to;

    @Option(names = "--reason", paramLabel = "TEXT", required = true, description = "Why (a case or matter reference).")
    String reason;

    @Option(names = "--actor", paramLabel = "NAME", required = true, description = "Who places it: recorded in the trail.")
    String actor;

    @Override
    public Integer call() throws IOException {
      boolean period = from != null || to != null;
      if ((subject != null) == period) throw new IllegalArgumentException("give either --subject or --from and --to");
      if (period && (from == null || to == null)) throw new IllegalArgumentException("a period hold needs --from and --to");
      long fromMs = period ? AuditCommand.Export.parseTime("--from", from) : 0;
      long toMs = period ? AuditCommand.Export.parseTime("--to", to) : 0;
      if (period) AuditCommand.Export.requirePeriod(fromMs, toMs);
      LegalHolds.Hold hold = withLog(location, "audit hold place", (files, log, node, nowMs) -> {
        LegalHolds.Hold h = new LegalHolds.Hold(LegalHolds.newId(), subject, fromMs, toMs, reason, actor, Times.format(nowMs));
        LegalHolds.place(files, log, h, node, nowMs);
        return h;
      });
      PrintWriter out = spec.commandLine().getOut();
      out.println("curfew audit hold: placed " + hold.id() + " on " + hold.scope() + " (recorded as audit.hold_placed by "
          + hold.placedBy() + ")");
      out.flush();
      return 0;
    }
  }

  /** {@code curfew audit hold lift}. */
  @Command(name = "lift", mixinStandardHelpOptions = true,
      description = {"Lift a hold; its segments are archived by the next retention run once no other hold covers them."})
  static final class Lift implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AuditCommand.Location location = new AuditCommand.Location();

    @Option(names = "--id", paramLabel = "HOLD", required = true, description = "The hold's id (see 'curfew audit hold list').")
    String id;

    @Option(names = "--reason", paramLabel = "TEXT", required = true, description = "Why it is lifted.")
    String reason;

    @Option(names = "--actor", paramLabel = "NAME", required = true, description = "Who lifts it: recorded in the trail.")
    String actor;

    @Override
    public Integer call() throws IOException {
      LegalHolds.Hold hold = withLog(location, "audit hold lift", (files, log, node, nowMs) ->
          LegalHolds.lift(files, log, id, reason, actor, node, nowMs));
      PrintWriter out = spec.commandLine().getOut();
      out.println("curfew audit hold: lifted " + hold.id() + " on " + hold.scope() + " (recorded as audit.hold_lifted by "
          + actor + ")");
      out.flush();
      return 0;
    }
  }

  /** {@code curfew audit hold list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Print the holds in force (audit/holds.json).")
  static final class ListHolds implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AuditCommand.Location location = new AuditCommand.Location();

    @Override
    public Integer call() throws IOException {
      List<LegalHolds.Hold> holds = LegalHolds.read(AuditFiles.of(dataDir(location)));
      PrintWriter out = spec.commandLine().getOut();
      if (holds.isEmpty()) out.println("no hold in force");
      for (LegalHolds.Hold h : holds) out.println(describe(h));
      out.flush();
      return 0;
    }
  }

  /** One line per hold, as list and verify print it. */
  static String describe(LegalHolds.Hold h) {
    return h.id() + "  " + h.scope() + "  placed " + h.placedAt() + " by " + h.placedBy() + ": " + h.reason();
  }
}
