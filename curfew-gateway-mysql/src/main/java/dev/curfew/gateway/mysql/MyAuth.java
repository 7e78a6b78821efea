package dev.curfew.gateway.mysql;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import javax.crypto.Cipher;

/**
 * The authentication answers Curfew computes for its own upstream login. Sources: MySQL Source
 * Code Documentation, "Native Authentication" (SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))))
 * and "Caching_sha2_password information" (fast path: SHA256(password) XOR SHA256(SHA256(SHA256(password))
 * + nonce); full path: the password, NUL-terminated, XORed with the nonce and encrypted with the
 * server's RSA key, OAEP padding, or sent in clear over TLS).
 */
final class MyAuth {
  private MyAuth() {}

  static byte[] nativePassword(String password, byte[] nonce) {
    if (password == null || password.isEmpty()) return new byte[0];
    byte[] p1 = digest("SHA-1", password.getBytes(StandardCharsets.UTF_8));
    byte[] p2 = digest("SHA-1", p1);
    byte[] p3 = digest("SHA-1", concat(nonce20(nonce), p2));
    return xor(p1, p3);
  }

  static byte[] cachingSha2Fast(String password, byte[] nonce) {
    if (password == null || password.isEmpty()) return new byte[0];
    byte[] p1 = digest("SHA-256", password.getBytes(StandardCharsets.UTF_8));
    byte[] p2 = digest("SHA-256", p1);
    byte[] p3 = digest("SHA-256", concat(p2, nonce20(nonce)));
    return xor(p1, p3);
  }

  /** The full path without TLS: (password + NUL) XOR nonce, RSA/OAEP with the server's public key (PEM). */
  static byte[] rsaEncryptedPassword(String password, byte[] nonce, String publicKeyPem) {
    byte[] plain = (password == null ? "" : password).getBytes(StandardCharsets.UTF_8);
    byte[] withNul = new byte[plain.length + 1];
    System.arraycopy(plain, 0, withNul, 0, plain.length);
    byte[] n = nonce20(nonce);
    for (int i = 0; i < withNul.length; i++) withNul[i] ^= n[i % n.length];
    try {
      String base64 = publicKeyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
      c.init(Cipher.ENCRYPT_MODE, key);
      return c.doFinal(withNul);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("the server's RSA public key cannot be used: " + e.getMessage(), e);
    }
  }

  /** The scramble is 20 bytes; servers send it NUL-terminated. */
  private static byte[] nonce20(byte[] nonce) {
    if (nonce.length <= 20) return nonce;
    byte[] n = new byte[20];
    System.arraycopy(nonce, 0, n, 0, 20);
    return n;
  }

  private static byte[] digest(String algorithm, byte[] in) {
    try {
      return MessageDigest.getInstance(algorithm).digest(in);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm + " is part of every JDK", e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] xor(byte[] a, byte[] b) {
    byte[] out = new byte[a.length];
    for (int i = 0; i < a.length; i++) out[i] = (byte) (a[i] ^ b[i]);
    return out;
  }
}
