package dev.curfew.core.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * Signs C2SP signed notes (https://c2sp.org/signed-note) with one Ed25519 key; see {@link
 * NoteVerifier} for the format. The signer key string is the one golang.org/x/mod/sumdb/note uses:
 * {@code PRIVATE+KEY+<name>+<hex8 key id>+<base64(0x01 || 32-byte seed)>}. It is a secret:
 * {@link #toString()} never shows it. Immutable and thread-safe.
 */
public final class NoteSigner {

  private static final String PRIVATE_KEY_PREFIX = "PRIVATE+KEY+";

  private final String name;
  private final byte[] seed;
  private final PrivateKey privateKey;
  private final NoteVerifier verifier;

  private NoteSigner(String name, KeyPair pair) {
    this.name = NoteVerifier.requireName(name);
    this.privateKey = pair.getPrivate();
    this.seed = Ed25519Keys.rawSeed(pair.getPrivate());
    this.verifier = NoteVerifier.of(name, pair.getPublic());
  }

  /** A signer with a new key for {@code name}, from the JDK's default secure random source. */
  public static NoteSigner generate(String name) {
    return new NoteSigner(name, Ed25519Keys.generate());
  }

  /** A signer for {@code name} with the raw 32-byte Ed25519 private seed. */
  public static NoteSigner fromSeed(String name, byte[] seed) {
    return new NoteSigner(name, Ed25519Keys.fromSeed(Objects.requireNonNull(seed, "seed")));
  }

  /** A signer for {@code name} with a JDK Ed25519 private key. */
  public static NoteSigner of(String name, PrivateKey privateKey) {
    return fromSeed(name, Ed25519Keys.rawSeed(privateKey));
  }

  /**
   * Parses a signer key {@code PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>}; the key id must
   * match the public key derived from the seed.
   *
   * @throws IllegalArgumentException naming the part that is wrong (never echoing the key)
   */
  public static NoteSigner parse(String signerKey) {
    Objects.requireNonNull(signerKey, "signerKey");
    if (!signerKey.startsWith(PRIVATE_KEY_PREFIX)) {
      throw new IllegalArgumentException("signer key does not start with " + PRIVATE_KEY_PREFIX);
    }
    // Three parts at most: the base64 seed may itself contain '+'.
    String[] parts = signerKey.substring(PRIVATE_KEY_PREFIX.length()).split("\\+", 3);
    if (parts.length != 3) {
      throw new IllegalArgumentException("signer key is not PRIVATE+KEY+<name>+<key id>+<key>");
    }
    int keyId = NoteVerifier.parseKeyId(parts[1]);
    NoteSigner signer = fromSeed(parts[0], NoteVerifier.decodeKey(parts[2], "signer key"));
    if (signer.keyId() != keyId) {
      throw new IllegalArgumentException("signer key id " + parts[1]
          + " does not match its name and the public key of its seed");
    }
    return signer;
  }

  /** The key name. */
  public String name() {
    return name;
  }

  /** The key id (of the public key): see {@link NoteVerifier#keyId()}. */
  public int keyId() {
    return verifier.keyId();
  }

  /** The verifier for this key, to publish. */
  public NoteVerifier verifier() {
    return verifier;
  }

  /** The raw 32-byte private seed (secret). */
  public byte[] rawSeed() {
    return seed.clone();
  }

  /** The JDK private key (secret). */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The signer key string (secret): {@code PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>}. */
  public String signerKey() {
    byte[] typed = new byte[1 + Ed25519Keys.KEY_BYTES];
    typed[0] = NoteVerifier.ALGORITHM_ED25519;
    System.arraycopy(seed, 0, typed, 1, Ed25519Keys.KEY_BYTES);
    try {
      return PRIVATE_KEY_PREFIX + name + "+" + verifier.keyIdHex() + "+"
          + Base64.getEncoder().encodeToString(typed);
    } finally {
      Arrays.fill(typed, (byte) 0);
    }
  }

  /**
   * Signs {@code text} and returns the signed note: text, blank line, one signature line.
   *
   * @param text non-empty, ending in a newline, without control characters but newline
   */
  public String sign(String text) {
    return text + "\n" + signatureLine(text);
  }

  /** The signature line for {@code text}, newline included, to add to a note's signatures. */
  public String signatureLine(String text) {
    requireSignableText(text);
    byte[] signature = signRaw(text.getBytes(StandardCharsets.UTF_8));
    byte[] keyIdAndSignature = ByteBuffer.allocate(4 + signature.length)
        .putInt(keyId()).put(signature).array();
    return NoteVerifier.SIGNATURE_PREFIX + name + " "
        + Base64.getEncoder().encodeToString(keyIdAndSignature) + "\n";
  }

  /** The 64-byte Ed25519 signature of {@code message} (RFC 8032, deterministic). */
  public byte[] signRaw(byte[] message) {
    Objects.requireNonNull(message, "message");
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(privateKey);
      signer.update(message);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  @Override
  public String toString() {
    return "NoteSigner[" + verifier.verifierKey() + "]"; // the public half only
  }

  private static void requireSignableText(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty() || !text.endsWith("\n")) {
      throw new IllegalArgumentException("note text must be non-empty and end with a newline");
    }
    if (text.length() > NoteVerifier.MAX_NOTE_CHARS / 2) {
      throw new IllegalArgumentException("note text longer than " + NoteVerifier.MAX_NOTE_CHARS / 2
          + " chars: " + text.length());
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\n') {
        throw new IllegalArgumentException("note text has control character 0x"
            + Integer.toHexString(c) + " at offset " + i);
      }
    }
  }
}
