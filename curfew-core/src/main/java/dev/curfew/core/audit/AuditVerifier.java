package dev.curfew.core.audit;

import dev.curfew.core.audit.AuditVerification.Failure;
import dev.curfew.core.audit.AuditVerification.Where;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongConsumer;

/*
 * One pass over an audit log (spec/audit.md), as `curfew audit verify` runs it.
 *
 * Per record (line i, 0-based, without its '\n'):
 *   - UTF-8, a JSON object (Json, strict), and canonical: CanonicalJson re-writes it to the same
 *     text (RFC 8785), so that its hash is reproducible by anyone;
 *   - seq == i (gap-free, in order), time in the one format Times.format writes (RFC 3339, UTC,
 *     milliseconds) and non-decreasing per node, type/node strings, data an object, session_id
 *     a string on session.* records;
 *   - its leaf hash SHA-256(0x00 || line) is appended to a MerkleFrontier (RFC 6962 §2.1), which
 *     keeps only the right edge of the tree: O(log n) memory for any log length.
 *
 * Per checkpoint (C2SP signed note over a c2sp.org/tlog-checkpoint body), when the stream reaches
 * its tree size N: the signature verifies with the log's key, and the root in the note equals the
 * root recomputed over the first N records. A checkpoint beyond the end of the log means the log
 * was cut below something that was signed. A trusted checkpoint (kept outside the data directory)
 * is checked the same way; since every root is recomputed from the records, agreeing with it at
 * its size is the RFC 6962 §2.1.2 consistency the spec asks for, without needing a proof.
 *
 * The Merkle tree names the first checkpoint whose root differs, not the record: a record edited
 * so that it stays canonical JSON with the right seq and a plausible time is reported as the
 * range of records between the last checkpoint that held and the one that failed.
 *
 * Cost per record: one pass of CanonicalJsonScanner over the bytes (which decides canonical form
 * exactly as re-canonicalizing with Json and CanonicalJson would, without building anything; that
 * reference path runs only to word a failure), a few small strings, and SHA-256 over the line plus
 * about one interior node; no regular expression. See docs/benchmarks.md ("The audit trail on disk").
 * Memory beyond the frontier: one entry per node (last time) and one per distinct session id.
 */

/**
 * Streaming verifier of an audit log and its checkpoints. Feed it the log's lines in order with
 * {@link #accept} (or {@link #acceptAll}), then call {@link #finish}. It stops at the first
 * failure. Not thread-safe; use one instance per verification.
 */
public final class AuditVerifier {

  /** Limit on one record line; a longer line is a failure, not an allocation. */
  public static final int MAX_LINE_BYTES = 1 << 20;

  private static final String SESSION_TYPE_PREFIX = "session.";
  private static final byte[] SEQ = ascii("seq");
  private static final byte[] TIME = ascii("time");
  private static final byte[] TYPE = ascii("type");
  private static final byte[] NODE = ascii("node");
  private static final byte[] DATA = ascii("data");
  private static final byte[] SESSION_ID = ascii("session_id");

  private final NoteVerifier key;
  private final Iterator<String> checkpointLines;
  private final long progressEveryRecords;
  private final LongConsumer onProgress;
  private final WitnessQuorum witnesses;

  private final MerkleFrontier tree = new MerkleFrontier();
  private final CanonicalJsonScanner scanner = new CanonicalJsonScanner();
  private final Map<String, Long> lastTimeMsByNode = new HashMap<>();
  private final Set<String> sessions = new HashSet<>();

  private long checkpointFileLine; // 1-based number of the last line taken from checkpointLines
  private PendingCheckpoint nextCheckpoint;
  private PendingCheckpoint trusted;
  private long checkpointsVerified;
  private long checkpointedSize;
  private long lastGoodCheckpointSize;
  private boolean trustedVerified;
  private long witnessedSize = -1;
  private WitnessQuorum.Result lastWitnessing; // of the last checkpoint verified, when witnesses are asked for
  private long summarizedLeaves;
  private long checkpointsInsideSummaries;
  private String lastType; // of the last record read, null when none was or the last were summarized
  private long firstTimeMs = Long.MIN_VALUE;
  private long lastTimeMs = Long.MIN_VALUE;
  private Failure failure;
  private AuditVerification result;

  private AuditVerifier(Builder b) {
    this.key = b.key;
    this.checkpointLines = b.checkpointLines;
    this.progressEveryRecords = b.progressEveryRecords;
    this.onProgress = b.onProgress;
    this.witnesses = b.witnesses;
    if (b.trustedCheckpointNote != null) {
      trusted = readNote(b.trustedCheckpointNote, -1, "the trusted checkpoint");
      if (trusted.problem != null) {
        fail(Where.TRUSTED_CHECKPOINT, trusted.size, trusted.problem);
      }
    }
    takeNextCheckpoint();
    reachedSize();
  }

  /** A builder for a verifier of a log signed with {@code key}. */
  public static Builder builder(NoteVerifier key) {
    return new Builder(key);
  }

  // ---- feeding ----

  /** Checks the next record line (without its '\n'); false once the log has failed. */
  public boolean accept(byte[] line) {
    Objects.requireNonNull(line, "line");
    return accept(line, 0, line.length);
  }

  /** Checks the next record line {@code bytes[offset, offset + length)}; false once the log has failed. */
  public boolean accept(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (failure != null) {
      return false;
    }
    if (result != null) {
      throw new IllegalStateException("accept after finish");
    }
    long seq = tree.size();
    String problem = checkRecord(seq, bytes, offset, length);
    if (problem != null) {
      fail(Where.RECORD, seq, problem);
      return false;
    }
    tree.appendLeaf(bytes, offset, length);
    if (onProgress != null && tree.size() % progressEveryRecords == 0) {
      onProgress.accept(tree.size());
    }
    reachedSize();
    return failure == null;
  }

  /** Checks every line the iterator yields; false once the log has failed. */
  public boolean acceptAll(Iterator<byte[]> lines) {
    while (failure == null && lines.hasNext()) {
      accept(lines.next());
    }
    return failure == null;
  }

  /**
   * Checks every '\n'-terminated line of {@code log} (not closed). A last line without its '\n'
   * is a torn write and fails. Returns false once the log has failed.
   */
  public boolean acceptAll(InputStream log) throws IOException {
    byte[] buf = new byte[64 * 1024];
    int start = 0;
    int end = 0;
    int scanFrom = 0;
    while (failure == null) {
      int newline = indexOf(buf, (byte) '\n', scanFrom, end);
      if (newline >= 0) {
        accept(buf, start, newline - start);
        start = newline + 1;
        scanFrom = start;
        continue;
      }
      if (end - start > MAX_LINE_BYTES) {
        fail(Where.RECORD, tree.size(), "the line is longer than the limit of " + MAX_LINE_BYTES + " bytes.");
        break;
      }
      if (start > 0) { // compact
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
      }
      if (end == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      scanFrom = end;
      int n = log.read(buf, end, buf.length - end);
      if (n < 0) {
        if (end > start) {
          fail(Where.RECORD, tree.size(), "the last line has no line feed: a torn write ("
              + (end - start) + " bytes).");
        }
        break;
      }
      end += n;
    }
    return failure == null;
  }

  /**
   * Takes the next records as the hashes of the full subtrees that cover them (records archived
   * and not at hand, summed up when they were archived: MerkleRange), instead of their lines. The
   * records themselves are then not checked, only that every later checkpoint root holds over
   * them; a checkpoint whose size falls inside one of the subtrees has its signature checked but
   * not its root (counted in {@link #checkpointsInsideSummaries()}). Returns false once the log has failed.
   */
  public boolean acceptRange(MerkleRange range) {
    Objects.requireNonNull(range, "range");
    if (failure != null) return false;
    if (result != null) throw new IllegalStateException("accept after finish");
    if (range.begin() != tree.size()) {
      throw new IllegalArgumentException("range begins at " + range.begin() + " but the log has " + tree.size() + " records");
    }
    for (MerkleRange.Subtree s : range.subtrees()) {
      long end = tree.size() + s.width();
      while (failure == null && nextCheckpoint != null && nextCheckpoint.size < end) {
        if (nextCheckpoint.problem != null) {
          fail(Where.CHECKPOINT, nextCheckpoint.size, nextCheckpoint.problem);
          return false;
        }
        checkpointsInsideSummaries++;
        takeNextCheckpoint();
      }
      if (failure == null && trusted != null && !trustedVerified && trusted.size < end) {
        fail(Where.TRUSTED_CHECKPOINT, trusted.size, "its tree size falls inside archived records "
            + s.index() + ".." + (end - 1) + " that are not at hand (only their subtree hashes): give the archive.");
      }
      if (failure != null) return false;
      tree.appendSubtree(s.hash(), s.level());
      summarizedLeaves += s.width();
      lastType = null;
      reachedSize();
    }
    return failure == null;
  }

  /** Records taken as subtree hashes ({@link #acceptRange}) rather than read. */
  public long summarizedRecords() {
    return summarizedLeaves;
  }

  /** Checkpoints whose size fell inside a subtree given to {@link #acceptRange}: signature checked, root not. */
  public long checkpointsInsideSummaries() {
    return checkpointsInsideSummaries;
  }

  /** Records accepted so far. */
  public long records() {
    return tree.size();
  }

  /**
   * Ends the log: checkpoints or a trusted checkpoint beyond its end fail (the log was cut below
   * a signed size), and so do records that no checkpoint covers when the log ends with a clean stop
   * ({@code node.stopped}), which signs the whole log (spec/audit.md: a checkpoint is written at
   * clean shutdown). Returns the result; later calls return the same.
   */
  public AuditVerification finish() {
    if (result != null) {
      return result;
    }
    if (failure == null && nextCheckpoint != null) {
      fail(Where.CHECKPOINT, nextCheckpoint.size, nextCheckpoint.problem != null ? nextCheckpoint.problem
          : "the log ends at " + tree.size() + " records, below this signed checkpoint: the log was truncated.");
    }
    if (failure == null && trusted != null && !trustedVerified) {
      fail(Where.TRUSTED_CHECKPOINT, trusted.size, "the log ends at " + tree.size()
          + " records: truncated below trusted checkpoint.");
    }
    if (failure == null && RecordTypes.NODE_STOPPED.equals(lastType) && checkpointedSize < tree.size()) {
      long last = tree.size() - 1;
      fail(Where.RECORD, checkpointedSize, "the log ends with a clean stop (node.stopped, seq " + last
          + "), which signs the whole log, but no checkpoint covers seq " + checkpointedSize + ".." + last
          + ": the checkpoints after tree size " + checkpointedSize + " were removed, or the stop could not write"
          + " its final checkpoint (the next start writes it). These records may have been changed since they were"
          + " written: only a checkpoint kept elsewhere (--trusted-checkpoint) or a witness can vouch for them.",
          tree.size());
    }
    if (failure == null && witnesses != null) requireWitnessedLatest();
    result = new AuditVerification(failure == null, tree.size(), sessions.size(),
        firstTimeMs == Long.MIN_VALUE ? null : Instant.ofEpochMilli(firstTimeMs),
        lastTimeMs == Long.MIN_VALUE ? null : Instant.ofEpochMilli(lastTimeMs),
        checkpointsVerified, checkpointedSize, trustedVerified, witnessedSize, failure);
    return result;
  }

  /**
   * With witnesses asked for, the latest checkpoint, the one every other is a prefix of, must carry
   * the quorum: an operator who rewrites the log and signs it again with the log's own key cannot
   * get a witness to cosign the rewrite (Witness), and dropping the newest checkpoints to hide the
   * rewrite leaves a latest one without cosignatures.
   */
  private void requireWitnessedLatest() {
    if (checkpointsVerified == 0) {
      fail(Where.CHECKPOINT, 0, "the log has no checkpoint, so none carries " + witnesses.required()
          + " witness cosignatures.");
    } else if (!lastWitnessing.satisfied()) {
      fail(Where.CHECKPOINT, checkpointedSize, "the latest checkpoint carries " + lastWitnessing.describe()
          + ": no honest witness vouches that this log is the one it saw.");
    }
  }

  // ---- records ----

  /** What is wrong with record {@code seq}, as a sentence, or null; updates time and sessions. */
  private String checkRecord(long seq, byte[] bytes, int offset, int length) {
    if (length > MAX_LINE_BYTES) {
      return "the line is longer than the limit of " + MAX_LINE_BYTES + " bytes.";
    }
    if (!scanner.scan(bytes, offset, length)) {
      return explainNotCanonical(bytes, offset, length);
    }
    int seqAt = member(bytes, SEQ);
    int typeAt = member(bytes, TYPE);
    int nodeAt = member(bytes, NODE);
    int timeAt = member(bytes, TIME);
    int dataAt = member(bytes, DATA);
    int sessionAt = member(bytes, SESSION_ID);
    if (seqAt < 0 || !isInteger(bytes, seqAt)) {
      return "the record has no integer \"seq\".";
    }
    long recordSeq = CanonicalJsonScanner.parseInteger(bytes, scanner.valueStart[seqAt], scanner.valueEnd[seqAt]);
    if (recordSeq != seq) {
      return "expected seq " + seq + " but found " + recordSeq
          + (recordSeq > seq ? ": records are missing or out of order." : ": records are repeated or out of order.");
    }
    String type = stringValue(bytes, typeAt);
    if (type == null || type.isEmpty()) {
      return "the record has no \"type\" string.";
    }
    lastType = type;
    String node = stringValue(bytes, nodeAt);
    if (node == null || node.isEmpty()) {
      return "the record has no \"node\" string.";
    }
    if (dataAt < 0 || bytes[scanner.valueStart[dataAt]] != '{') {
      return "the record has no \"data\" object.";
    }
    String sessionId = stringValue(bytes, sessionAt);
    if (sessionAt >= 0 && sessionId == null) {
      return "the record's \"session_id\" is not a string.";
    }
    if (sessionId == null && type.startsWith(SESSION_TYPE_PREFIX)) {
      return "the " + type + " record has no \"session_id\".";
    }
    String time = stringValue(bytes, timeAt);
    if (time == null) {
      return "the record has no \"time\" string.";
    }
    return checkTime(node, time, sessionId);
  }

  private String checkTime(String node, String time, String sessionId) {
    long timeMs = parseTimeMs(time);
    if (timeMs == Long.MIN_VALUE) {
      return "time \"" + time + "\" is not RFC 3339 UTC with milliseconds (uuuu-MM-ddTHH:mm:ss.SSSZ).";
    }
    Long previousMs = lastTimeMsByNode.get(node);
    if (previousMs != null && timeMs < previousMs) {
      return "time " + time + " is before the previous record of node \"" + node + "\" ("
          + Times.format(previousMs) + "): time went backwards.";
    }
    if (previousMs == null || timeMs != previousMs) {
      lastTimeMsByNode.put(node, timeMs);
    }
    if (sessionId != null) {
      sessions.add(sessionId);
    }
    if (firstTimeMs == Long.MIN_VALUE) {
      firstTimeMs = timeMs;
    }
    lastTimeMs = timeMs;
    return null;
  }

  /**
   * The sentence for a line the scanner refused, from the reference path (Json, then
   * CanonicalJson, then comparing) so that the wording does not depend on the fast path.
   */
  private String explainNotCanonical(byte[] bytes, int offset, int length) {
    String scannerSays = scanner.problem + " at byte " + (scanner.problemOffset - offset);
    String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
    if (text.indexOf('\uFFFD') >= 0 && !isStrictUtf8(bytes, offset, length)) {
      return "the line is not valid UTF-8 (" + scannerSays + ").";
    }
    String canonical;
    try {
      canonical = CanonicalJson.write(Json.parseObject(text));
    } catch (IllegalArgumentException e) {
      return "the line is not a canonical JSON object (" + e.getMessage() + ").";
    }
    if (!canonical.equals(text)) {
      return "the line is not canonical JSON (RFC 8785): it differs from its canonical form at character "
          + firstDifference(canonical, text) + " (" + scannerSays + ").";
    }
    return "the line is not canonical JSON (RFC 8785): " + scannerSays + ".";
  }

  /** Index of the top-level member named {@code key} in the line just scanned, or -1. */
  private int member(byte[] bytes, byte[] key) {
    for (int i = 0; i < scanner.members; i++) {
      int start = scanner.keyStart[i];
      int end = scanner.keyEnd[i];
      if (end - start == key.length && Arrays.equals(bytes, start, end, key, 0, key.length)) {
        return i;
      }
    }
    return -1;
  }

  private boolean isInteger(byte[] bytes, int member) {
    byte first = bytes[scanner.valueStart[member]];
    return first == '-' || (first >= '0' && first <= '9');
  }

  /** The string value of member {@code member}, or null if absent or not a string. */
  private String stringValue(byte[] bytes, int member) {
    if (member < 0 || bytes[scanner.valueStart[member]] != '"') {
      return null;
    }
    int start = scanner.valueStart[member] + 1;
    int end = scanner.valueEnd[member] - 1;
    if (indexOf(bytes, (byte) '\\', start, end) < 0) {
      return new String(bytes, start, end - start, StandardCharsets.UTF_8);
    }
    return CanonicalJsonScanner.decodeString(bytes, start, end);
  }

  // ---- checkpoints ----

  /** Checks every checkpoint at the current size, and the trusted one if it is there. */
  private void reachedSize() {
    long size = tree.size();
    while (failure == null && nextCheckpoint != null && nextCheckpoint.size == size) {
      PendingCheckpoint c = nextCheckpoint;
      if (c.problem != null) {
        fail(Where.CHECKPOINT, c.size, c.problem);
        return;
      }
      String problem = checkRoot(c, lastGoodCheckpointSize);
      if (problem != null) {
        fail(Where.CHECKPOINT, c.size, problem, c.size);
        return;
      }
      problem = witnesses != null ? checkCosignatures(c) : null;
      if (problem != null) {
        fail(Where.CHECKPOINT, c.size, problem);
        return;
      }
      checkpointsVerified++;
      checkpointedSize = size;
      lastGoodCheckpointSize = size;
      takeNextCheckpoint();
    }
    if (failure == null && trusted != null && trusted.size == size) {
      // The log's own checkpoints below it hold, but they are signed with the key of the log it
      // vouches against: any record below it may be the changed one.
      String problem = checkRoot(trusted, 0);
      if (problem != null) {
        fail(Where.TRUSTED_CHECKPOINT, trusted.size, problem, trusted.size);
        return;
      }
      trustedVerified = true;
      checkpointedSize = Math.max(checkpointedSize, size);
    }
  }

  /** Null when no trusted witness's line on the checkpoint fails; notes whether it has the quorum. */
  private String checkCosignatures(PendingCheckpoint c) {
    lastWitnessing = witnesses.check(c.note);
    if (lastWitnessing.problem() != null) return capitalize(lastWitnessing.problem()) + ".";
    if (lastWitnessing.satisfied()) witnessedSize = c.size;
    return null;
  }

  /** Null when {@code c}'s root is the records' own; else a sentence naming records {@code from}.. as the suspects. */
  private String checkRoot(PendingCheckpoint c, long from) {
    if (MessageDigest.isEqual(tree.rootHash(), c.rootHash)) {
      return null;
    }
    return "its signed root hash differs from the root recomputed over records 0.." + (c.size - 1)
        + ": a record in seq " + from + ".." + (c.size - 1)
        + " was changed, inserted or removed after signing.";
  }

  /** Reads the next checkpoint line into {@link #nextCheckpoint}, or fails on a malformed one. */
  private void takeNextCheckpoint() {
    long previousSize = nextCheckpoint == null ? -1 : nextCheckpoint.size;
    nextCheckpoint = null;
    if (failure != null || checkpointLines == null || !checkpointLines.hasNext()) {
      return;
    }
    checkpointFileLine++;
    CheckpointLine line;
    try {
      line = CheckpointLine.parse(Objects.requireNonNull(checkpointLines.next(), "checkpoint line"));
    } catch (IllegalArgumentException e) {
      fail(Where.CHECKPOINT_FILE, checkpointFileLine, "the line is not a checkpoint (" + e.getMessage() + ").");
      return;
    }
    if (line.treeSize() < Math.max(previousSize, tree.size())) {
      fail(Where.CHECKPOINT_FILE, checkpointFileLine, "tree size " + line.treeSize()
          + " is smaller than the checkpoint before it: the file is not in tree-size order.");
      return;
    }
    nextCheckpoint = readNote(line.note(), line.treeSize(), "the checkpoint");
  }

  /** Verifies and parses a note; {@code expectedSize} -1 for "any". Never throws. */
  private PendingCheckpoint readNote(String note, long expectedSize, String what) {
    NoteVerification verification = key.verify(note);
    if (verification instanceof NoteVerification.Rejected r) {
      String why = switch (r.problem()) {
        case NO_SIGNATURE_BY_KEY -> " is not signed by " + key.verifierKey() + " (" + r.detail() + ").";
        case INVALID_SIGNATURE -> "'s signature does not verify: its text or signature was altered ("
            + r.detail() + ").";
        case MALFORMED_NOTE -> " is not a signed note (" + r.detail() + ").";
      };
      return new PendingCheckpoint(expectedSize, null, capitalize(what) + why, note);
    }
    Checkpoint checkpoint;
    try {
      checkpoint = Checkpoint.parse(verification.textOrThrow());
    } catch (IllegalArgumentException e) {
      return new PendingCheckpoint(expectedSize, null,
          capitalize(what) + " is signed but is not a tlog-checkpoint (" + e.getMessage() + ").", note);
    }
    String mismatch = checkpoint.originMismatch(key);
    if (mismatch != null) return new PendingCheckpoint(expectedSize, null, capitalize(what) + ": " + mismatch + ".", note);
    if (expectedSize >= 0 && checkpoint.treeSize() != expectedSize) {
      return new PendingCheckpoint(expectedSize, null, capitalize(what) + " line says tree size "
          + expectedSize + " but its signed note says " + checkpoint.treeSize() + ".", note);
    }
    return new PendingCheckpoint(checkpoint.treeSize(), checkpoint.rootHash(), null, note);
  }

  private void fail(Where where, long position, String what) {
    fail(where, position, what, -1);
  }

  private void fail(Where where, long position, String what, long changedBelow) {
    if (failure == null) {
      failure = new Failure(where, position, what, changedBelow);
    }
  }

  // ---- helpers ----

  /**
   * Epoch milliseconds of exactly {@code uuuu-MM-ddTHH:mm:ss.SSSZ} (what {@link Times#format}
   * writes), or Long.MIN_VALUE. Hand-parsed: java.time's parser costs more than the rest of a record.
   */
  static long parseTimeMs(String t) {
    if (t.length() != 24 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T'
        || t.charAt(13) != ':' || t.charAt(16) != ':' || t.charAt(19) != '.' || t.charAt(23) != 'Z') {
      return Long.MIN_VALUE;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 2);
    int day = digits(t, 8, 2);
    int hour = digits(t, 11, 2);
    int minute = digits(t, 14, 2);
    int second = digits(t, 17, 2);
    int milli = digits(t, 20, 3);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0) {
      return Long.MIN_VALUE;
    }
    long days = daysFromCivil(year, month, day);
    return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + milli;
  }

  private static int digits(String s, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      value = value * 10 + d;
    }
    return value;
  }

  private static int daysInMonth(int year, int month) {
    if (month == 2) {
      boolean leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
      return leap ? 29 : 28;
    }
    return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
  }

  /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible date algorithms"). */
  private static long daysFromCivil(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = Math.floorDiv(y, 400);
    int yearOfEra = y - era * 400;
    int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097L + dayOfEra - 719_468L;
  }

  private static boolean isStrictUtf8(byte[] bytes, int offset, int length) {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, offset, length));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static int firstDifference(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      if (a.charAt(i) != b.charAt(i)) {
        return i;
      }
    }
    return n;
  }

  private static int indexOf(byte[] bytes, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** A checkpoint read and signature-checked: its size and root, or why it cannot count. */
  private record PendingCheckpoint(long size, byte[] rootHash, String problem, String note) {}

  /** Configures an {@link AuditVerifier}. */
  public static final class Builder {
    private final NoteVerifier key;
    private Iterator<String> checkpointLines = Collections.emptyIterator();
    private String trustedCheckpointNote;
    private long progressEveryRecords = Long.MAX_VALUE;
    private LongConsumer onProgress;
    private WitnessQuorum witnesses;

    private Builder(NoteVerifier key) {
      this.key = Objects.requireNonNull(key, "key");
    }

    /**
     * The lines of the checkpoints file ({@link CheckpointLine}), in file order, which must be
     * non-decreasing tree size. Consumed lazily, one line ahead of the records.
     */
    public Builder checkpointLines(Iterator<String> lines) {
      this.checkpointLines = Objects.requireNonNull(lines, "lines");
      return this;
    }

    /** A signed checkpoint note kept outside the log; the log must reach its size and agree. */
    public Builder trustedCheckpoint(String signedNote) {
      this.trustedCheckpointNote = Objects.requireNonNull(signedNote, "signedNote");
      return this;
    }

    /** Calls {@code onProgress} with the record count after every {@code everyRecords} records. */
    public Builder progress(long everyRecords, LongConsumer onProgress) {
      if (everyRecords <= 0) {
        throw new IllegalArgumentException("everyRecords <= 0: " + everyRecords);
      }
      this.progressEveryRecords = everyRecords;
      this.onProgress = Objects.requireNonNull(onProgress, "onProgress");
      return this;
    }

    /**
     * Also requires witness cosignatures (c2sp.org/tlog-cosignature): a trusted witness's line that
     * fails on any checkpoint is a failure, and the latest checkpoint must carry the quorum.
     */
    public Builder witnesses(WitnessQuorum quorum) {
      this.witnesses = Objects.requireNonNull(quorum, "quorum");
      return this;
    }

    public AuditVerifier build() {
      return new AuditVerifier(this);
    }
  }
}
