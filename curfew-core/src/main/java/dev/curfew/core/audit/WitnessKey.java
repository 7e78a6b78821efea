package dev.curfew.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A witness's public key, to check its cosignatures (c2sp.org/tlog-cosignature, Ed25519
 * "cosignature/v1"). Written as a signed-note verifier key with the cosignature algorithm byte:
 * {@code <name>+<hex8 key id>+base64(0x04 || 32-byte public key)} (tlog-cosignature §Format:
 * "Ed25519 public keys MAY be encoded as vkeys with signature type 0x04"). Immutable.
 */
public final class WitnessKey {

  /** What one signature line is, for this key. */
  public enum Check {
    /** Another key's signature (name or key id differ), or not a cosignature: ignored. */
    NOT_THIS_KEY,
    /** This key's cosignature, and it verifies. */
    VALID,
    /** Carries this key's name and id but does not verify: the note or the line was altered. */
    INVALID
  }

  private final String name;
  private final byte[] rawPublicKey;
  private final PublicKey publicKey;
  private final int keyId;

  private WitnessKey(String name, byte[] rawPublicKey) {
    this.name = NoteVerifier.requireName(name);
    this.rawPublicKey = rawPublicKey.clone();
    this.publicKey = Ed25519Keys.publicKey(this.rawPublicKey);
    this.keyId = NoteVerifier.keyId(name, Cosignature.ALGORITHM, this.rawPublicKey);
  }

  /** The key {@code name} with the raw 32-byte Ed25519 public key. */
  public static WitnessKey of(String name, byte[] rawPublicKey) {
    return new WitnessKey(name, Objects.requireNonNull(rawPublicKey, "rawPublicKey"));
  }

  /**
   * Parses {@code <name>+<hex8>+base64(0x04 || key)}.
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static WitnessKey parse(String verifierKey) {
    Objects.requireNonNull(verifierKey, "verifierKey");
    String[] parts = verifierKey.strip().split("\\+", 3);
    if (parts.length != 3) {
      throw new IllegalArgumentException("witness key is not <name>+<key id>+<key>: " + parts.length + " parts");
    }
    WitnessKey key = new WitnessKey(parts[0], NoteVerifier.decodeKey(parts[2], Cosignature.ALGORITHM, "witness key"));
    if (NoteVerifier.parseKeyId(parts[1]) != key.keyId) {
      throw new IllegalArgumentException("witness key id " + parts[1] + " does not match its name and key ("
          + key.keyIdHex() + ")");
    }
    return key;
  }

  public String name() {
    return name;
  }

  /** SHA-256(name || 0x0A || 0x04 || public key)[:4], big-endian (tlog-cosignature §Format). */
  public int keyId() {
    return keyId;
  }

  public String keyIdHex() {
    return HexFormat.of().toHexDigits(keyId);
  }

  public byte[] rawPublicKey() {
    return rawPublicKey.clone();
  }

  /** {@code <name>+<hex8>+base64(0x04 || public key)}. */
  public String verifierKey() {
    byte[] typed = new byte[1 + Ed25519Keys.KEY_BYTES];
    typed[0] = Cosignature.ALGORITHM;
    System.arraycopy(rawPublicKey, 0, typed, 1, Ed25519Keys.KEY_BYTES);
    return name + "+" + keyIdHex() + "+" + Base64.getEncoder().encodeToString(typed);
  }

  /** Whether {@code line} is this key's cosignature of {@code checkpointText}, another's, or a bad one. */
  public Check check(String checkpointText, String line) {
    Cosignature c = Cosignature.parseLine(line);
    if (c == null || !c.name().equals(name) || c.keyId() != keyId) return Check.NOT_THIS_KEY;
    return verify(checkpointText, c) ? Check.VALID : Check.INVALID;
  }

  /** Whether {@code c} (assumed to name this key) is a valid cosignature of {@code checkpointText}. */
  public boolean verify(String checkpointText, Cosignature c) {
    byte[] message = Cosignature.message(checkpointText, c.timestampSeconds()).getBytes(StandardCharsets.UTF_8);
    try {
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(publicKey);
      v.update(message);
      return v.verify(c.signature());
    } catch (GeneralSecurityException e) {
      return false; // a malformed signature is a failed one
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WitnessKey k && k.name.equals(name) && Arrays.equals(k.rawPublicKey, rawPublicKey);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + keyId;
  }

  @Override
  public String toString() {
    return verifierKey();
  }
}
