package dev.curfew.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A witness's Ed25519 signing key, making c2sp.org/tlog-cosignature "cosignature/v1" lines (see
 * {@link Cosignature}). The key string is the signer-key form of signed notes with the cosignature
 * algorithm byte: {@code PRIVATE+KEY+<name>+<hex8>+base64(0x04 || 32-byte seed)}; it is a secret
 * and {@link #toString()} never shows it. Immutable and thread-safe.
 */
public final class WitnessSigner {
  private static final String PRIVATE_KEY_PREFIX = "PRIVATE+KEY+";

  private final String name;
  private final byte[] seed;
  private final PrivateKey privateKey;
  private final WitnessKey key;

  private WitnessSigner(String name, KeyPair pair) {
    this.name = NoteVerifier.requireName(name);
    this.privateKey = pair.getPrivate();
    this.seed = Ed25519Keys.rawSeed(pair.getPrivate());
    this.key = WitnessKey.of(name, Ed25519Keys.rawPublicKey(pair.getPublic()));
  }

  /** A new key for {@code name}. */
  public static WitnessSigner generate(String name) {
    return new WitnessSigner(name, Ed25519Keys.generate());
  }

  /** The key for {@code name} with this raw 32-byte seed. */
  public static WitnessSigner fromSeed(String name, byte[] seed) {
    return new WitnessSigner(name, Ed25519Keys.fromSeed(Objects.requireNonNull(seed, "seed")));
  }

  /**
   * Parses {@code PRIVATE+KEY+<name>+<hex8>+base64(0x04 || seed)}.
   *
   * @throws IllegalArgumentException naming the part that is wrong (never echoing the key)
   */
  public static WitnessSigner parse(String signerKey) {
    Objects.requireNonNull(signerKey, "signerKey");
    String s = signerKey.strip();
    if (!s.startsWith(PRIVATE_KEY_PREFIX)) {
      throw new IllegalArgumentException("witness signer key does not start with " + PRIVATE_KEY_PREFIX);
    }
    String[] parts = s.substring(PRIVATE_KEY_PREFIX.length()).split("\\+", 3);
    if (parts.length != 3) throw new IllegalArgumentException("witness signer key is not PRIVATE+KEY+<name>+<id>+<key>");
    int keyId = NoteVerifier.parseKeyId(parts[1]);
    WitnessSigner signer = fromSeed(parts[0], NoteVerifier.decodeKey(parts[2], Cosignature.ALGORITHM, "witness signer key"));
    if (signer.key.keyId() != keyId) {
      throw new IllegalArgumentException("witness signer key id " + parts[1] + " does not match its name and seed");
    }
    return signer;
  }

  public String name() {
    return name;
  }

  /** The public half, to give to verifiers. */
  public WitnessKey key() {
    return key;
  }

  /** The signer key string (secret). */
  public String signerKey() {
    byte[] typed = new byte[1 + Ed25519Keys.KEY_BYTES];
    typed[0] = Cosignature.ALGORITHM;
    System.arraycopy(seed, 0, typed, 1, Ed25519Keys.KEY_BYTES);
    try {
      return PRIVATE_KEY_PREFIX + name + "+" + key.keyIdHex() + "+" + Base64.getEncoder().encodeToString(typed);
    } finally {
      Arrays.fill(typed, (byte) 0);
    }
  }

  /** The cosignature of {@code checkpointText} (note text, final newline included) at {@code timestampSeconds}. */
  public Cosignature cosign(String checkpointText, long timestampSeconds) {
    byte[] message = Cosignature.message(checkpointText, timestampSeconds).getBytes(StandardCharsets.UTF_8);
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(message);
      return new Cosignature(name, key.keyId(), timestampSeconds, s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  @Override
  public String toString() {
    return "WitnessSigner[" + key.verifierKey() + "]";
  }
}
