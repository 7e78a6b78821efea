package dev.curfew.core.audit;

import dev.curfew.core.Clock;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/*
 * A transparency-log witness (c2sp.org/tlog-witness): it cosigns a log's checkpoint only when the
 * checkpoint is signed by a key it trusts for that origin and extends, by a verified RFC 6962
 * consistency proof, the latest checkpoint it cosigned for the origin. It keeps, per origin, that
 * one latest checkpoint (size and root), nothing else.
 *
 * The add-checkpoint rules, in the order the spec gives them (§add-checkpoint), and the status each
 * failure gets:
 *   malformed request                                       400
 *   origin not configured                                   404
 *   no signature verifies with a key trusted for the origin 403 (other keys' lines are ignored)
 *   old size > checkpoint size                              400
 *   old size != size of the latest cosigned checkpoint      409, body "<that size>\n",
 *                                                               Content-Type text/x.tlog.size
 *   old size 0 with a non-empty proof, or a proof that
 *   does not verify                                         422
 *   old size == checkpoint size but another root hash       409 (same body)
 * then: persist the new latest checkpoint, and only then answer 200 with the cosignature line.
 * Checking the old size and persisting the new state are one atomic step (the whole call holds
 * this object's lock), which rules out the rollback race the spec describes.
 *
 * Why it catches an operator who rewrites history: the witness compares against the root it
 * stored, not anything the log says now. A log rewritten below a size the witness cosigned has a
 * different root at that size, so no consistency proof from the stored root verifies (422), and
 * re-submitting at the same size gets 409: the rewritten log can never again be cosigned.
 */

/** The witness's decision for one {@code add-checkpoint} request. Thread-safe. */
public final class Witness {

  /** The content type of a 409's body (tlog-witness §add-checkpoint). */
  public static final String SIZE_CONTENT_TYPE = "text/x.tlog.size";
  public static final String TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";

  /** The latest checkpoint cosigned for one origin. */
  public record Latest(String origin, long treeSize, byte[] rootHash) {
    public Latest {
      Objects.requireNonNull(origin, "origin");
      if (treeSize < 0) throw new IllegalArgumentException("treeSize < 0: " + treeSize);
      if (rootHash == null || rootHash.length != HashStore.HASH_BYTES) throw new IllegalArgumentException("rootHash");
      rootHash = rootHash.clone();
    }

    @Override
    public byte[] rootHash() {
      return rootHash.clone();
    }
  }

  /** Where the witness keeps its latest checkpoint per origin; {@link #save} is durable when it returns. */
  public interface State {
    Optional<Latest> latest(String origin) throws IOException;

    void save(Latest latest) throws IOException;
  }

  /** The HTTP answer: status, content type, body. */
  public record Response(int status, String contentType, String body) {}

  private final WitnessSigner signer;
  private final Map<String, List<NoteVerifier>> logKeys;
  private final State state;
  private final Clock clock;

  /**
   * @param logKeys per origin, the log keys trusted to sign its checkpoints
   * @param clock the cosignatures' timestamps (POSIX seconds of its millis)
   */
  public Witness(WitnessSigner signer, Map<String, List<NoteVerifier>> logKeys, State state, Clock clock) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.logKeys = Map.copyOf(logKeys);
    this.state = Objects.requireNonNull(state, "state");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public WitnessKey key() {
    return signer.key();
  }

  /** Decides one request body; an I/O failure of the state is thrown (a 500 for the caller, nothing signed). */
  public synchronized Response addCheckpoint(byte[] body) throws IOException {
    AddCheckpointRequest request;
    SignedNote note;
    try {
      request = AddCheckpointRequest.parse(body);
      note = SignedNote.parse(request.checkpointNote());
    } catch (IllegalArgumentException e) {
      return text(400, "malformed add-checkpoint request: " + e.getMessage());
    }
    String origin = note.firstLine();
    List<NoteVerifier> keys = logKeys.get(origin);
    if (keys == null) return text(404, "unknown log origin: " + origin);
    if (keys.stream().noneMatch(k -> k.verify(request.checkpointNote()).verified())) {
      return text(403, "no signature by a key trusted for " + origin + " verifies");
    }
    Checkpoint checkpoint;
    try {
      checkpoint = Checkpoint.parse(note.text());
    } catch (IllegalArgumentException e) {
      return text(400, "not a checkpoint: " + e.getMessage());
    }
    if (request.oldSize() > checkpoint.treeSize()) {
      return text(400, "old size " + request.oldSize() + " is larger than the checkpoint size " + checkpoint.treeSize());
    }
    Optional<Latest> latest = state.latest(origin);
    long latestSize = latest.map(Latest::treeSize).orElse(0L);
    if (request.oldSize() != latestSize) return conflict(latestSize);
    Response refused = checkConsistency(request, checkpoint, latest);
    if (refused != null) return refused;
    state.save(new Latest(origin, checkpoint.treeSize(), checkpoint.rootHash()));
    long seconds = Math.floorDiv(clock.millis(), 1000L);
    return new Response(200, TEXT_CONTENT_TYPE, signer.cosign(note.text(), seconds).line());
  }

  /** The consistency of the new checkpoint with the stored one: null when it holds. */
  private static Response checkConsistency(AddCheckpointRequest request, Checkpoint checkpoint, Optional<Latest> latest) {
    if (latest.isEmpty()) { // never cosigned for this origin: old is 0, and the proof must be empty
      return request.proof().isEmpty() ? null : text(422, "the proof must be empty when the old size is 0");
    }
    Latest l = latest.get();
    if (l.treeSize() == checkpoint.treeSize()) {
      if (!MessageDigest.isEqual(l.rootHash(), checkpoint.rootHash())) return conflict(l.treeSize());
      return request.proof().isEmpty() ? null : text(422, "the proof must be empty between equal sizes");
    }
    if (l.treeSize() == 0) return request.proof().isEmpty() ? null : text(422, "the proof must be empty when the old size is 0");
    boolean consistent = MerkleProofs.verifyConsistency(l.treeSize(), checkpoint.treeSize(), request.proof(),
        l.rootHash(), checkpoint.rootHash());
    return consistent ? null : text(422, "the consistency proof from tree size " + l.treeSize() + " (root "
        + Base64.getEncoder().encodeToString(l.rootHash()) + ") to " + checkpoint.treeSize() + " does not verify");
  }

  private static Response conflict(long latestSize) {
    return new Response(409, SIZE_CONTENT_TYPE, latestSize + "\n");
  }

  private static Response text(int status, String message) {
    return new Response(status, TEXT_CONTENT_TYPE, message + "\n");
  }
}
