package dev.curfew.core.audit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One line of the checkpoints file: {@code {"note":"<signed note, verbatim>","tree_size":N}} in
 * canonical JSON (RFC 8785), one per line, in the order they were signed (so by tree size). The
 * tree size is repeated outside the note so that a reader can find a checkpoint without verifying
 * every signature; a verifier checks that it equals the size inside the signed note.
 *
 * @param treeSize the tree size the note commits to, {@code >= 0}
 * @param note the C2SP signed note over the tlog-checkpoint body, as {@link NoteSigner#sign} made it
 */
public record CheckpointLine(long treeSize, String note) {

  /** Limit on one line of the checkpoints file (a checkpoint note is ~200 bytes). */
  public static final int MAX_LINE_CHARS = 64 * 1024;

  public CheckpointLine {
    Objects.requireNonNull(note, "note");
    if (treeSize < 0 || treeSize > CanonicalJson.MAX_SAFE_INTEGER) {
      throw new IllegalArgumentException("treeSize not in 0..2^53-1: " + treeSize);
    }
  }

  /**
   * Parses one line of the checkpoints file.
   *
   * @throws IllegalArgumentException saying what is wrong with the line
   */
  public static CheckpointLine parse(String line) {
    Objects.requireNonNull(line, "line");
    if (line.length() > MAX_LINE_CHARS) {
      throw new IllegalArgumentException("checkpoint line longer than " + MAX_LINE_CHARS + " chars: " + line.length());
    }
    Map<String, Object> object = Json.parseObject(line);
    if (!(object.get("tree_size") instanceof Long size)) {
      throw new IllegalArgumentException("checkpoint line has no integer \"tree_size\"");
    }
    if (!(object.get("note") instanceof String note)) {
      throw new IllegalArgumentException("checkpoint line has no string \"note\"");
    }
    if (object.size() != 2) {
      throw new IllegalArgumentException("checkpoint line has fields other than \"tree_size\" and \"note\"");
    }
    return new CheckpointLine(size, note);
  }

  /** The line in canonical JSON, without the line feed. */
  public String toJson() {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("tree_size", treeSize);
    object.put("note", note);
    return CanonicalJson.write(object);
  }
}
