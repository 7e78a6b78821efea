package dev.curfew.server.cli;

import dev.curfew.core.audit.Json;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.DataDirLock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code curfew audit repair}: what can be done about a log that {@code serve} refuses to open.
 * A torn last line needs nothing from here (the next start cuts it and records the cut). A seq that
 * breaks continuity in the middle of the log cannot be cut safely: every record written after it
 * was fsynced, so any of them may have been acknowledged to a caller, and a repair that removes
 * acknowledged records breaks the promise the trail makes (spec/audit.md, Durability). So this
 * command changes nothing: it holds the data directory's lock (no server may start meanwhile),
 * finds the first break (file, line, seq), counts what follows, and explains the choice left to
 * the operator, who keeps the directory as evidence.
 */
@Command(name = "repair", mixinStandardHelpOptions = true,
    description = {"Diagnose an audit log that 'curfew serve' refuses to open; never removes a record.",
        "Names the first break in seq continuity (file, line, seq) and how many records follow it.",
        "Records after a break may have been acknowledged, so they are never cut: exit 0 when the log",
        "is continuous (the next start repairs a torn last line itself), 1 with the diagnosis otherwise,",
        "2 when it cannot run: bad input, or a server holds the data directory (stop it first)."})
final class AuditRepair implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", required = true, description = "The data directory.")
  Path data;

  /** The first line whose seq does not follow the one before. */
  record Break(Path file, long line, long expectedSeq, long foundSeq, long recordsAfter) {}

  /** The last line of the last segment, which has no line feed: a torn write, which the next start cuts. */
  record TornLine(Path file, long line) {}

  /** What the log's segments show: the first break, or null; a torn last line, or null. */
  record Diagnosis(Break firstBreak, TornLine tornLine) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isDirectory(data.resolve("audit"))) throw new IllegalArgumentException("no audit log in " + data);
    try (DataDirLock lock = DataDirLock.acquire(data, "audit repair")) {
      AuditFiles files = AuditFiles.of(data);
      Diagnosis d = diagnose(files.segments(), dev.curfew.store.embedded.ArchiveManifest.read(files));
      Break b = d.firstBreak();
      if (b == null) {
        out.println("the audit log in " + data + " is continuous; " + (d.tornLine() == null
            ? "a torn last line, if any, is cut and recorded as log.repaired at the next start."
            : describe(d.tornLine()) + "; the next start cuts it and records the cut as log.repaired.") + " Nothing to do.");
        return 0;
      }
      out.println("damage: " + b.file() + " line " + b.line() + " has seq " + b.foundSeq() + " where seq "
          + b.expectedSeq() + " was due; " + b.recordsAfter() + " record(s) follow from there"
          + (d.tornLine() == null ? "." : ", then " + describe(d.tornLine()) + "."));
      out.println("not repaired: those records were written to disk and may have been acknowledged (two servers"
          + " writing one directory interleave like this); cutting them could drop acknowledged sessions from"
          + " the trail. Nothing was changed.");
      out.println("what to do: keep this directory as evidence (copy it aside: cp -a " + data + " " + data
          + ".damaged), and start the server on a new data directory; 'curfew audit verify --data' and"
          + " 'curfew audit export --data' still read the records before the break.");
      return AuditCommand.EXIT_FAILED;
    } catch (DataDirLock.HeldException e) {
      throw new IllegalArgumentException(e.getMessage(), e); // cannot run now (exit 2); 1 is a break
    }
  }

  private static String describe(TornLine t) {
    return t.file() + " line " + t.line() + " has no line feed (a write a crash cut short)";
  }

  /**
   * Reads every segment in seq order. The last segment's last line without a line feed is a torn
   * write, not a record (as {@link AuditFiles#forEachLine} reads it); anywhere else such a line is
   * read like any other, and a closed segment never ends mid-line.
   */
  static Diagnosis diagnose(NavigableMap<Long, Path> segments) throws IOException {
    return diagnose(segments, new java.util.TreeMap<>());
  }

  /**
   * As above; segments that {@code archived} (audit/archived.jsonl) lists but that are not at hand
   * (the archive was moved elsewhere) are no break.
   */
  static Diagnosis diagnose(NavigableMap<Long, Path> segments,
      java.util.TreeMap<Long, dev.curfew.store.embedded.ArchiveManifest.Entry> archived) throws IOException {
    long expected = 0;
    Break found = null;
    long after = 0;
    TornLine torn = null;
    for (Map.Entry<Long, Path> kept : segments.entrySet()) {
      Path segment = kept.getValue();
      if (found == null && kept.getKey() > expected
          && dev.curfew.store.embedded.ArchiveManifest.covers(archived, expected, kept.getKey())) {
        expected = kept.getKey();
      }
      boolean tornTail = segment.equals(segments.lastEntry().getValue()) && endsMidLine(segment);
      try (BufferedReader r = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
        long lineNo = 0;
        String line = r.readLine();
        while (line != null) {
          String next = r.readLine();
          lineNo++;
          if (next == null && tornTail) {
            torn = new TornLine(segment, lineNo);
          } else if (line.isBlank()) {
            // not a record, and no seq is due for it
          } else if (found != null) {
            after++;
          } else {
            long seq = seqOf(line);
            if (seq == expected) {
              expected++;
            } else {
              found = new Break(segment, lineNo, expected, seq, 0);
              after = 1;
            }
          }
          line = next;
        }
      }
    }
    Break b = found == null ? null : new Break(found.file(), found.line(), found.expectedSeq(), found.foundSeq(), after);
    return new Diagnosis(b, torn);
  }

  private static boolean endsMidLine(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (ch.size() == 0) return false;
      ByteBuffer last = ByteBuffer.allocate(1);
      ch.read(last, ch.size() - 1);
      return last.get(0) != '\n';
    }
  }

  private static long seqOf(String line) {
    try {
      Object seq = Json.parseObject(line).get("seq");
      return seq instanceof Number n ? n.longValue() : -1;
    } catch (RuntimeException e) {
      return -1; // not a record: a break as well
    }
  }
}
