package dev.curfew.core.audit;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The body of a c2sp.org/tlog-witness {@code add-checkpoint} request (§add-checkpoint):
 *
 * <pre>
 * old &lt;size of the previous checkpoint, decimal, no leading zeros&gt;\n
 * &lt;base64 hash&gt;\n              zero to 63 lines: the RFC 6962 §2.1.2 consistency proof
 * \n                               an empty line
 * &lt;the signed checkpoint note&gt;   which may carry several signatures
 * </pre>
 *
 * @param oldSize the tree size the client believes the witness holds, {@code >= 0}
 * @param proof the consistency proof from {@code oldSize} to the checkpoint's size
 * @param checkpointNote the signed note, verbatim
 */
public record AddCheckpointRequest(long oldSize, List<byte[]> proof, String checkpointNote) {

  /** "The client MUST NOT send more than 63 consistency proof lines" (tlog-witness §add-checkpoint). */
  public static final int MAX_PROOF_LINES = 63;
  /** Limit on a request body: a checkpoint with a hundred signatures and 63 hashes is under 16 KiB. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  public AddCheckpointRequest {
    Objects.requireNonNull(checkpointNote, "checkpointNote");
    proof = List.copyOf(proof);
    if (oldSize < 0) throw new IllegalArgumentException("old size < 0: " + oldSize);
    if (proof.size() > MAX_PROOF_LINES) throw new IllegalArgumentException("more than 63 proof lines: " + proof.size());
  }

  /**
   * Parses a request body.
   *
   * @throws IllegalArgumentException saying what is malformed (a 400 for the witness)
   */
  public static AddCheckpointRequest parse(byte[] body) {
    Objects.requireNonNull(body, "body");
    if (body.length > MAX_BODY_BYTES) throw new IllegalArgumentException("body longer than " + MAX_BODY_BYTES + " bytes");
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("body is not UTF-8");
    }
    int end = text.indexOf('\n');
    if (end < 0 || !text.startsWith("old ")) throw new IllegalArgumentException("the first line is not \"old <size>\"");
    long old = Checkpoint.parseSize(text.substring(4, end));
    List<byte[]> proof = new ArrayList<>();
    int at = end + 1;
    while (true) {
      int nl = text.indexOf('\n', at);
      if (nl < 0) throw new IllegalArgumentException("no empty line before the checkpoint");
      if (nl == at) {
        at = nl + 1;
        break;
      }
      if (proof.size() == MAX_PROOF_LINES) throw new IllegalArgumentException("more than 63 proof lines");
      byte[] hash = NoteVerifier.decodeCanonical(text.substring(at, nl));
      if (hash == null || hash.length != HashStore.HASH_BYTES) {
        throw new IllegalArgumentException("proof line " + (proof.size() + 1) + " is not base64 of 32 bytes");
      }
      proof.add(hash);
      at = nl + 1;
    }
    return new AddCheckpointRequest(old, proof, text.substring(at));
  }

  /** The request body. */
  public String body() {
    StringBuilder sb = new StringBuilder("old ").append(oldSize).append('\n');
    for (byte[] h : proof) sb.append(Base64.getEncoder().encodeToString(h)).append('\n');
    return sb.append('\n').append(checkpointNote).toString();
  }
}
