package dev.curfew.core.audit;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/*
 * A c2sp.org/tlog-cosignature Ed25519 cosignature ("cosignature/v1"): a witness's statement that,
 * as of a time, the checkpoint is the largest consistent tree head it has seen for the origin.
 *
 * It is a signed-note signature line (c2sp.org/signed-note):
 *
 *   "— " <witness name> " " base64(key id (4 bytes) || timestamp (u64, big-endian) || Ed25519 signature (64))
 *
 * (tlog-cosignature §Format: the signature is a timestamped_signature, serialized per RFC 8446 §3.3),
 * and the Ed25519 signature covers (tlog-cosignature §"Ed25519 signed message"):
 *
 *   "cosignature/v1\n" "time " <timestamp, decimal, no leading zeros> "\n" <the checkpoint note text>
 *
 * The key id is SHA-256(name || "\n" || 0x04 || public key)[:4]: algorithm byte 0x04, so a witness
 * key can never be mistaken for a log's note key (0x01).
 */

/**
 * One parsed cosignature line. Immutable; {@link #signature()} is copied in and out.
 *
 * @param name the witness's key name
 * @param keyId the key id (see {@link WitnessKey#keyId()})
 * @param timestampSeconds POSIX seconds when it was made, {@code 0..2^63-1}
 * @param signature the 64-byte Ed25519 signature of {@link #message}
 */
public record Cosignature(String name, int keyId, long timestampSeconds, byte[] signature) {

  /** The algorithm byte of cosignature/v1 Ed25519 keys (tlog-cosignature §Format). */
  public static final byte ALGORITHM = 0x04;
  static final String HEADER = "cosignature/v1\n";
  private static final int ENCODED_BYTES = 4 + 8 + Ed25519Keys.SIGNATURE_BYTES;

  public Cosignature {
    NoteVerifier.requireName(name);
    Objects.requireNonNull(signature, "signature");
    if (timestampSeconds < 0) throw new IllegalArgumentException("timestamp < 0: " + timestampSeconds);
    if (signature.length != Ed25519Keys.SIGNATURE_BYTES) {
      throw new IllegalArgumentException("signature length != 64: " + signature.length);
    }
    signature = signature.clone();
  }

  /**
   * The message a cosignature signs: the header line, the time line, then the checkpoint's note
   * text (final newline included, no signature lines).
   */
  public static String message(String checkpointText, long timestampSeconds) {
    Objects.requireNonNull(checkpointText, "checkpointText");
    if (timestampSeconds < 0) throw new IllegalArgumentException("timestamp < 0: " + timestampSeconds);
    return HEADER + "time " + timestampSeconds + "\n" + checkpointText;
  }

  /**
   * Parses a signature line ({@code "— name base64"}, with or without its final newline) as a
   * cosignature; null when it is not one (another kind of signature: ignore it, as the spec says).
   */
  public static Cosignature parseLine(String line) {
    Objects.requireNonNull(line, "line");
    String l = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
    if (!l.startsWith(NoteVerifier.SIGNATURE_PREFIX)) return null;
    int space = l.indexOf(' ', NoteVerifier.SIGNATURE_PREFIX.length());
    if (space < 0) return null;
    String name = l.substring(NoteVerifier.SIGNATURE_PREFIX.length(), space);
    byte[] bytes = NoteVerifier.decodeCanonical(l.substring(space + 1));
    if (!NoteVerifier.isValidName(name) || bytes == null || bytes.length != ENCODED_BYTES) return null;
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int keyId = b.getInt();
    long time = b.getLong();
    if (time < 0) return null; // "MUST NOT exceed 2^63 - 1"
    return new Cosignature(name, keyId, time, Arrays.copyOfRange(bytes, 12, bytes.length));
  }

  /** The signature line, final newline included. */
  public String line() {
    byte[] bytes = ByteBuffer.allocate(ENCODED_BYTES).putInt(keyId).putLong(timestampSeconds).put(signature).array();
    return NoteVerifier.SIGNATURE_PREFIX + name + " " + Base64.getEncoder().encodeToString(bytes) + "\n";
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cosignature c && c.name.equals(name) && c.keyId == keyId
        && c.timestampSeconds == timestampSeconds && Arrays.equals(c.signature, signature);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, keyId, timestampSeconds) * 31 + Arrays.hashCode(signature);
  }

  @Override
  public String toString() {
    return "Cosignature[" + name + "+" + java.util.HexFormat.of().toHexDigits(keyId) + " at " + timestampSeconds + "]";
  }
}
