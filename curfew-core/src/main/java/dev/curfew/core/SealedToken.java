package dev.curfew.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The new token of a rotation, kept during the {@link RotationGrace} in a form that only a holder of
 * the previous token can open: the server stores token hashes only, so it cannot keep the new token
 * in plain text to hand it to the previous token's late requests.
 *
 * <p>AES-256-GCM (NIST SP 800-38D) under the key SHA-256({@value #DOMAIN} || previous token). The
 * domain tag keeps this key apart from the token's stored hash, which is SHA-256(token) alone: the
 * stored hash (in memory, in Redis) does not open the sealed token. Each previous token seals one
 * new token, under a fresh random 96-bit nonce. The sealed form is base64url(nonce || ciphertext ||
 * tag); it is never written to the audit log or a snapshot.
 */
public final class SealedToken {
  private static final String DOMAIN = "curfew rotation grace v1\n";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64_IN = Base64.getUrlDecoder();

  private SealedToken() {}

  /** {@code next} sealed under a key derived from {@code previous}. */
  public static String seal(String next, String previous) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, previous, nonce);
      byte[] ct = c.doFinal(next.getBytes(StandardCharsets.US_ASCII));
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + ct.length);
      System.arraycopy(ct, 0, out, NONCE_BYTES, ct.length);
      return B64.encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is missing from the JDK", e);
    }
  }

  /** The token sealed in {@code sealed}, or null when {@code previous} does not open it (or it was altered). */
  public static String open(String sealed, String previous) {
    if (sealed == null || sealed.isEmpty() || previous == null) return null;
    byte[] in;
    try {
      in = B64_IN.decode(sealed);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (in.length <= NONCE_BYTES + TAG_BITS / 8) return null;
    try {
      Cipher c = cipher(Cipher.DECRYPT_MODE, previous, Arrays.copyOf(in, NONCE_BYTES));
      String next = new String(c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.US_ASCII);
      return Tokens.wellFormed(next) ? next : null;
    } catch (javax.crypto.AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is missing from the JDK", e);
    }
  }

  private static Cipher cipher(int mode, String previous, byte[] nonce) throws GeneralSecurityException {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update(DOMAIN.getBytes(StandardCharsets.US_ASCII));
    byte[] key = sha256.digest(previous.getBytes(StandardCharsets.US_ASCII));
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    return c;
  }
}
