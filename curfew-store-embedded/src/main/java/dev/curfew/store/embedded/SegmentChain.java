package dev.curfew.store.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The segments a reader of the whole log walked, to name the segment files it did not walk. The
 * log is a chain: each segment starts at the seq after the last record of the one before it
 * (Segments). A reader follows the chain by the next expected seq, so a file named by a seq that
 * an earlier segment already holds (a copy of part of the log, perhaps edited) or by a seq after
 * the log's end is never read, and would be passed over in silence; {@code serve} refuses to start
 * on either ({@code FileAuditLog}). A reader tells this what it read ({@link #read}, {@link
 * #summarized}) and asks {@link #strays} at the end.
 */
public final class SegmentChain {
  private final NavigableMap<Long, Path> listed;
  private final TreeMap<Long, Long> walked = new TreeMap<>(); // segment's first seq -> end seq read (exclusive)

  /** @param listed the segment files the reader listed, by the seq in their names (AuditFiles.segments) */
  public SegmentChain(NavigableMap<Long, Path> listed) {
    this.listed = Objects.requireNonNull(listed, "listed");
  }

  /** The reader read record {@code seq} from the segment named {@code segmentFirstSeq}. */
  public void read(long segmentFirstSeq, long seq) {
    walked.merge(segmentFirstSeq, seq + 1, Math::max);
  }

  /** The reader took [firstSeq, endSeq) as an archived segment's subtree hashes (its file absent). */
  public void summarized(long firstSeq, long endSeq) {
    walked.merge(firstSeq, endSeq, Math::max);
  }

  /**
   * One sentence per listed segment file that is not part of the chain the reader walked.
   *
   * @param reached the seq after the last record the reader took
   * @param toTheEnd whether the reader walked to the log's end (not stopped by a failure or a limit):
   *     then a file named by a seq after {@code reached} is not in the chain either
   */
  public List<String> strays(long reached, boolean toTheEnd) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<Long, Path> e : listed.entrySet()) {
      long first = e.getKey();
      if (walked.containsKey(first)) continue;
      Map.Entry<Long, Long> holder = walked.floorEntry(first);
      if (holder != null && first < holder.getValue()) {
        out.add(e.getValue() + " is not part of the log: it is named as starting at seq " + first + ", but seq "
            + holder.getKey() + ".." + (holder.getValue() - 1) + " were read from " + describe(holder.getKey())
            + ", which holds them in the log: a segment the log never wrote (a copy, perhaps edited)");
      } else if (first > reached && toTheEnd) {
        out.add(e.getValue() + " is not part of the log: it is named as starting at seq " + first + ", but the log"
            + " ends at seq " + (reached - 1) + " (seq " + reached + ".." + (first - 1) + " are in no segment)");
      }
    }
    return out;
  }

  private String describe(long segmentFirstSeq) {
    Path p = listed.get(segmentFirstSeq);
    return p != null ? p.toString() : "the archived segment from seq " + segmentFirstSeq + " (audit/archived.jsonl)";
  }
}
