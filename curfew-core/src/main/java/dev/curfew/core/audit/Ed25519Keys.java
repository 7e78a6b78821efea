package dev.curfew.core.audit;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Objects;

/**
 * Ed25519 keys (RFC 8032) as the JDK's {@code "Ed25519"} provider holds them and as raw bytes, the
 * form signed notes use: a 32-byte public key and a 32-byte private seed.
 *
 * <p>The JDK encodes the public key as X.509 SubjectPublicKeyInfo and the private key as PKCS#8
 * (RFC 8410): for Ed25519 both are a fixed DER header followed by the raw 32 bytes, so conversion
 * is a prefix, not an ASN.1 library.
 */
public final class Ed25519Keys {

  /** Bytes in a raw public key, a seed, and half a signature. */
  public static final int KEY_BYTES = 32;
  /** Bytes in a signature. */
  public static final int SIGNATURE_BYTES = 64;

  /** SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33 bytes, 0 unused bits) }, RFC 8410 §4. */
  private static final byte[] X509_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };
  /**
   * SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } },
   * RFC 8410 §7 (the CurvePrivateKey is itself an OCTET STRING inside the privateKey field).
   */
  private static final byte[] PKCS8_PREFIX = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
  };

  private Ed25519Keys() {}

  /** A new key pair from the JDK's default secure random source. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK has no Ed25519 (needs Java 15+)", e);
    }
  }

  /** The raw 32-byte public key of a JDK Ed25519 public key. */
  public static byte[] rawPublicKey(PublicKey key) {
    return stripPrefix(Objects.requireNonNull(key, "key").getEncoded(), X509_PREFIX, "X.509 Ed25519 public key");
  }

  /** The raw 32-byte seed of a JDK Ed25519 private key. */
  public static byte[] rawSeed(PrivateKey key) {
    return stripPrefix(Objects.requireNonNull(key, "key").getEncoded(), PKCS8_PREFIX, "PKCS#8 Ed25519 private key");
  }

  /** The JDK public key for a raw 32-byte public key. */
  public static PublicKey publicKey(byte[] rawPublicKey) {
    requireLength(rawPublicKey, "public key");
    try {
      return KeyFactory.getInstance("Ed25519")
          .generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, rawPublicKey)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /** The JDK private key for a raw 32-byte seed. */
  public static PrivateKey privateKey(byte[] seed) {
    requireLength(seed, "seed");
    try {
      return KeyFactory.getInstance("Ed25519")
          .generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, seed)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 seed: " + e.getMessage(), e);
    }
  }

  /**
   * The key pair of a seed. The JDK has no public "derive the public key" call, but its generator
   * draws exactly the 32 seed bytes from the random source it is given (RFC 8032 §5.1.5), so we hand
   * it the seed; the result is checked, so a JDK that draws differently fails loudly here.
   */
  public static KeyPair fromSeed(byte[] seed) {
    requireLength(seed, "seed");
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
      generator.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
      pair = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK has no Ed25519 (needs Java 15+)", e);
    }
    if (!Arrays.equals(rawSeed(pair.getPrivate()), seed)) {
      throw new IllegalStateException("this JDK's Ed25519 generator does not draw the seed as expected");
    }
    return pair;
  }

  private static byte[] stripPrefix(byte[] encoded, byte[] prefix, String what) {
    if (encoded == null || encoded.length != prefix.length + KEY_BYTES
        || !Arrays.equals(encoded, 0, prefix.length, prefix, 0, prefix.length)) {
      throw new IllegalArgumentException("not a " + what + " (unexpected encoding)");
    }
    return Arrays.copyOfRange(encoded, prefix.length, encoded.length);
  }

  private static void requireLength(byte[] key, String what) {
    Objects.requireNonNull(key, what);
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException(what + " length != " + KEY_BYTES + ": " + key.length);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A "random" source that yields one given seed, then refuses. */
  private static final class SeedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] seed;
    private boolean used;

    SeedRandom(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
      if (used || bytes.length != seed.length) {
        throw new IllegalStateException("seed source asked for " + bytes.length + " more bytes");
      }
      System.arraycopy(seed, 0, bytes, 0, seed.length);
      used = true;
    }
  }
}
