package dev.curfew.core.audit;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/*
 * C2SP signed-note (https://c2sp.org/signed-note), Ed25519 only, the format golang.org/x/mod/sumdb/note
 * reads and writes:
 *
 *   <text, ending in "\n">          what is signed, final newline included
 *   "\n"                             a blank line: the LAST "\n\n" separates text from signatures
 *   "— " <key name> " " base64(key id (4 bytes, big-endian) || Ed25519 signature (64 bytes)) "\n"
 *   ... one line per signature; the dash is U+2014 EM DASH
 *
 *   key id       = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]   (0x01: Ed25519)
 *   verifier key = <name>+<key id, 8 lowercase hex>+base64(0x01 || 32-byte public key)
 *
 * Key names are non-empty and contain no Unicode space and no '+'. A note is valid UTF-8 with no
 * control character but newline. Per the spec, signatures from other keys are ignored; a signature
 * from this key (name and id both match) that fails rejects the whole note; at least one must
 * verify.
 */

/** Verifies C2SP signed notes with one Ed25519 public key. Immutable and thread-safe. */
public final class NoteVerifier {

  static final byte ALGORITHM_ED25519 = 0x01;
  static final String SIGNATURE_PREFIX = "\u2014 ";
  /** Limit on signature lines (Go's sumdb/note refuses more than 100; the spec asks at least 16). */
  static final int MAX_SIGNATURES = 100;
  /** Limit on a whole note: checkpoints are ~150 bytes; a megabyte is generous and bounded. */
  static final int MAX_NOTE_CHARS = 1 << 20;

  private final String name;
  private final int keyId;
  private final byte[] rawPublicKey;
  private final PublicKey publicKey;

  private NoteVerifier(String name, byte[] rawPublicKey) {
    this.name = requireName(name);
    this.rawPublicKey = rawPublicKey.clone();
    this.publicKey = Ed25519Keys.publicKey(this.rawPublicKey);
    this.keyId = keyId(name, this.rawPublicKey);
  }

  /** A verifier for key {@code name} with the raw 32-byte Ed25519 public key. */
  public static NoteVerifier of(String name, byte[] rawPublicKey) {
    return new NoteVerifier(name, Objects.requireNonNull(rawPublicKey, "rawPublicKey"));
  }

  /** A verifier for key {@code name} with a JDK Ed25519 public key. */
  public static NoteVerifier of(String name, PublicKey publicKey) {
    return new NoteVerifier(name, Ed25519Keys.rawPublicKey(publicKey));
  }

  /**
   * Parses a verifier key {@code <name>+<hex8 key id>+<base64(0x01 || public key)>}.
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static NoteVerifier parse(String verifierKey) {
    Objects.requireNonNull(verifierKey, "verifierKey");
    String[] parts = verifierKey.split("\\+", 3); // the base64 key may itself contain '+'
    if (parts.length != 3) {
      throw new IllegalArgumentException("verifier key is not <name>+<key id>+<key>: " + parts.length + " parts");
    }
    byte[] key = decodeKey(parts[2], "verifier key");
    NoteVerifier verifier = new NoteVerifier(parts[0], key);
    if (parseKeyId(parts[1]) != verifier.keyId) {
      throw new IllegalArgumentException("verifier key id " + parts[1] + " does not match its name and key ("
          + verifier.keyIdHex() + ")");
    }
    return verifier;
  }

  /**
   * The key among {@code keys} that {@code verifierKey} names: the same name and the same key id,
   * which is how a signed note identifies its key (two keys may share a name). Only the name and
   * key id of {@code verifierKey} are read; null when it is not {@code <name>+<hex8>+...} or no key
   * of {@code keys} is it.
   */
  public static NoteVerifier lookup(java.util.List<NoteVerifier> keys, String verifierKey) {
    Objects.requireNonNull(keys, "keys");
    String[] parts = verifierKey == null ? new String[0] : verifierKey.split("\\+", 3);
    if (parts.length < 2) return null;
    int id;
    try {
      id = parseKeyId(parts[1]);
    } catch (IllegalArgumentException e) {
      return null;
    }
    for (NoteVerifier k : keys) {
      if (k.name.equals(parts[0]) && k.keyId == id) return k;
    }
    return null;
  }

  /**
   * The first key among {@code keys} whose name and key id a signature line of {@code note} carries,
   * without checking any signature (the caller verifies the note with the key found); null when
   * the note cannot be split or names none of them.
   */
  public static NoteVerifier signerOf(java.util.List<NoteVerifier> keys, String note) {
    Objects.requireNonNull(keys, "keys");
    SignedNote split;
    try {
      split = SignedNote.parse(Objects.requireNonNull(note, "note"));
    } catch (IllegalArgumentException e) {
      return null;
    }
    for (String line : split.signatureLines()) {
      int space = line.indexOf(' ', SIGNATURE_PREFIX.length());
      if (!line.startsWith(SIGNATURE_PREFIX) || space < 0) continue;
      byte[] signature = decodeCanonical(line.substring(space + 1));
      if (signature == null || signature.length < 4) continue;
      String named = line.substring(SIGNATURE_PREFIX.length(), space) + "+"
          + HexFormat.of().toHexDigits(ByteBuffer.wrap(signature).getInt());
      NoteVerifier k = lookup(keys, named);
      if (k != null) return k;
    }
    return null;
  }

  /** The key name. */
  public String name() {
    return name;
  }

  /** The key id: the first four bytes of SHA-256(name || 0x0A || 0x01 || public key), big-endian. */
  public int keyId() {
    return keyId;
  }

  /** The key id as 8 lowercase hex digits, as in key strings. */
  public String keyIdHex() {
    return HexFormat.of().toHexDigits(keyId);
  }

  /** The raw 32-byte Ed25519 public key. */
  public byte[] rawPublicKey() {
    return rawPublicKey.clone();
  }

  /** The JDK public key. */
  public PublicKey publicKey() {
    return publicKey;
  }

  /** This key as a verifier key string: {@code <name>+<hex8>+<base64(0x01 || public key)>}. */
  public String verifierKey() {
    byte[] typed = new byte[1 + Ed25519Keys.KEY_BYTES];
    typed[0] = ALGORITHM_ED25519;
    System.arraycopy(rawPublicKey, 0, typed, 1, Ed25519Keys.KEY_BYTES);
    return name + "+" + keyIdHex() + "+" + Base64.getEncoder().encodeToString(typed);
  }

  /** Checks a signed note given as bytes, which must be valid UTF-8. */
  public NoteVerification verify(byte[] note) {
    Objects.requireNonNull(note, "note");
    if (note.length > MAX_NOTE_CHARS) {
      return malformed("note longer than " + MAX_NOTE_CHARS + " bytes: " + note.length);
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(note))
          .toString();
      return verify(text);
    } catch (CharacterCodingException e) {
      return malformed("note is not valid UTF-8");
    }
  }

  /** Checks a signed note: its text if a signature by this key verifies, else what is wrong. */
  public NoteVerification verify(String note) {
    Objects.requireNonNull(note, "note");
    if (note.length() > MAX_NOTE_CHARS) {
      return malformed("note longer than " + MAX_NOTE_CHARS + " chars: " + note.length());
    }
    for (int i = 0; i < note.length(); i++) {
      char c = note.charAt(i);
      if (c < 0x20 && c != '\n') {
        return malformed("control character 0x" + HexFormat.of().toHexDigits((byte) c) + " at offset " + i);
      }
      if (Character.isSurrogate(c) && !isPairedSurrogate(note, i)) {
        return malformed("unpaired surrogate at offset " + i);
      }
    }
    int split = note.lastIndexOf("\n\n");
    if (split < 0) {
      return malformed("no blank line before the signatures");
    }
    String text = note.substring(0, split + 1);
    String signatures = note.substring(split + 2);
    if (signatures.isEmpty() || !signatures.endsWith("\n")) {
      return malformed("signature block is empty or does not end with a newline");
    }
    return checkSignatures(text, signatures.substring(0, signatures.length() - 1).split("\n", -1));
  }

  private NoteVerification checkSignatures(String text, String[] lines) {
    if (lines.length > MAX_SIGNATURES) {
      return malformed("more than " + MAX_SIGNATURES + " signature lines: " + lines.length);
    }
    byte[] message = text.getBytes(StandardCharsets.UTF_8);
    boolean verifiedOne = false;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int space = line.indexOf(' ', SIGNATURE_PREFIX.length());
      if (!line.startsWith(SIGNATURE_PREFIX) || space < 0) {
        return malformed("signature line " + (i + 1) + " is not \"\u2014 <name> <base64>\"");
      }
      String lineName = line.substring(SIGNATURE_PREFIX.length(), space);
      byte[] signature = decodeCanonical(line.substring(space + 1));
      if (!isValidName(lineName) || signature == null || signature.length < 5) {
        return malformed("signature line " + (i + 1) + " has a bad key name or signature encoding");
      }
      if (!lineName.equals(name) || ByteBuffer.wrap(signature).getInt() != keyId) {
        continue; // another key's signature: ignored, as the spec requires
      }
      byte[] ed25519 = Arrays.copyOfRange(signature, 4, signature.length);
      if (!verifySignature(message, ed25519)) {
        return new NoteVerification.Rejected(NoteVerification.Problem.INVALID_SIGNATURE,
            "signature line " + (i + 1) + " by " + name + "+" + keyIdHex() + " does not verify");
      }
      verifiedOne = true;
    }
    if (!verifiedOne) {
      return new NoteVerification.Rejected(NoteVerification.Problem.NO_SIGNATURE_BY_KEY,
          "no signature by " + name + "+" + keyIdHex());
    }
    return new NoteVerification.Verified(text);
  }

  /** Whether {@code signature} (64 bytes) is this key's Ed25519 signature of {@code message}. */
  public boolean verifySignature(byte[] message, byte[] signature) {
    if (message == null || signature == null || signature.length != Ed25519Keys.SIGNATURE_BYTES) {
      return false;
    }
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(publicKey);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // a malformed signature is a failed one
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoteVerifier v && v.name.equals(name) && Arrays.equals(v.rawPublicKey, rawPublicKey);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + keyId;
  }

  @Override
  public String toString() {
    return verifierKey();
  }

  // ---- shared with NoteSigner ----

  static int keyId(String name, byte[] rawPublicKey) {
    return keyId(name, ALGORITHM_ED25519, rawPublicKey);
  }

  /** SHA-256(name || 0x0A || algorithm || public key)[:4], the key id of c2sp.org/signed-note. */
  static int keyId(String name, byte algorithm, byte[] rawPublicKey) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(name.getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) '\n');
      sha256.update(algorithm);
      sha256.update(rawPublicKey);
      return ByteBuffer.wrap(sha256.digest()).getInt();
    } catch (GeneralSecurityException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** Key names: non-empty, no Unicode space, no '+' (and, being in a note, no control character). */
  static boolean isValidName(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    return name.codePoints().noneMatch(cp -> cp == '+' || cp < 0x20 || cp == 0x7f || cp == 0x85
        || Character.isWhitespace(cp) || Character.isSpaceChar(cp) || (cp >= 0xd800 && cp <= 0xdfff));
  }

  static String requireName(String name) {
    Objects.requireNonNull(name, "name");
    if (!isValidName(name)) {
      throw new IllegalArgumentException("key name must be non-empty, without spaces or '+': \"" + name + "\"");
    }
    return name;
  }

  static int parseKeyId(String hex8) {
    if (hex8.length() != 8 || !hex8.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new IllegalArgumentException("key id is not 8 hex digits: \"" + hex8 + "\"");
    }
    return (int) Long.parseLong(hex8, 16);
  }

  /** Decodes base64(0x01 || 32 bytes) of a key string; names {@code what} in errors. */
  static byte[] decodeKey(String base64, String what) {
    return decodeKey(base64, ALGORITHM_ED25519, what);
  }

  /** Decodes base64(algorithm || 32 bytes) of a key string; names {@code what} in errors. */
  static byte[] decodeKey(String base64, byte algorithm, String what) {
    byte[] typed = decodeCanonical(base64);
    if (typed == null || typed.length == 0) {
      throw new IllegalArgumentException(what + " is not base64");
    }
    if (typed[0] != algorithm) {
      String want = algorithm == ALGORITHM_ED25519 ? "Ed25519 (0x01)" : "cosignature/v1 Ed25519 (0x04)";
      throw new IllegalArgumentException(what + " algorithm is not " + want + ": 0x"
          + HexFormat.of().toHexDigits(typed[0]));
    }
    if (typed.length != 1 + Ed25519Keys.KEY_BYTES) {
      throw new IllegalArgumentException(what + " is not 32 bytes: " + (typed.length - 1));
    }
    return Arrays.copyOfRange(typed, 1, typed.length);
  }

  /** Standard base64 with padding, in its one canonical spelling; null if not. */
  static byte[] decodeCanonical(String base64) {
    try {
      byte[] bytes = Base64.getDecoder().decode(base64);
      return Base64.getEncoder().encodeToString(bytes).equals(base64) ? bytes : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isPairedSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private static NoteVerification malformed(String detail) {
    return new NoteVerification.Rejected(NoteVerification.Problem.MALFORMED_NOTE, detail);
  }
}
