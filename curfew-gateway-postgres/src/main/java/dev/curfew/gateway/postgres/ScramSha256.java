package dev.curfew.gateway.postgres;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM-SHA-256 (RFC 5802 with SHA-256, RFC 7677) as PostgreSQL speaks it
 * (PostgreSQL documentation 55.3.1, "SCRAM-SHA-256 Authentication"): no channel binding ("n,,"),
 * an empty user name in the client-first message (the server takes the startup packet's user).
 * One instance per login; the JDK's HMAC and PBKDF2 do the arithmetic.
 */
final class ScramSha256 {
  static final String MECHANISM = "SCRAM-SHA-256";
  private static final String GS2_HEADER = "n,,";

  private final String password;
  private final String clientNonce;
  private String clientFirstBare;
  private byte[] expectedServerSignature;

  ScramSha256(String password, SecureRandom random) {
    this.password = password;
    byte[] nonce = new byte[18];
    random.nextBytes(nonce);
    this.clientNonce = Base64.getEncoder().encodeToString(nonce);
  }

  /** The client-first message. */
  byte[] clientFirst() {
    clientFirstBare = "n=,r=" + clientNonce;
    return (GS2_HEADER + clientFirstBare).getBytes(StandardCharsets.UTF_8);
  }

  /** The client-final message for the server-first message; throws when the server's answer is unusable. */
  byte[] clientFinal(byte[] serverFirstBytes) throws GeneralSecurityException {
    String serverFirst = new String(serverFirstBytes, StandardCharsets.UTF_8);
    Map<Character, String> attrs = attributes(serverFirst);
    String nonce = attrs.get('r');
    String salt = attrs.get('s');
    String iterations = attrs.get('i');
    if (nonce == null || salt == null || iterations == null || !nonce.startsWith(clientNonce)) {
      throw new GeneralSecurityException("SCRAM: unusable server-first message");
    }
    int i;
    try {
      i = Integer.parseInt(iterations);
    } catch (NumberFormatException e) {
      throw new GeneralSecurityException("SCRAM: iteration count is not a number");
    }
    if (i < 1 || i > 10_000_000) throw new GeneralSecurityException("SCRAM: iteration count out of range: " + i);
    byte[] salted = pbkdf2(password, Base64.getDecoder().decode(salt), i);
    byte[] clientKey = hmac(salted, "Client Key");
    byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
    String withoutProof = "c=" + Base64.getEncoder().encodeToString(GS2_HEADER.getBytes(StandardCharsets.UTF_8))
        + ",r=" + nonce;
    String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    byte[] signature = hmac(storedKey, authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int k = 0; k < proof.length; k++) proof[k] = (byte) (clientKey[k] ^ signature[k]);
    expectedServerSignature = hmac(hmac(salted, "Server Key"), authMessage);
    return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the server-final message proves that the server knows the password too. */
  boolean serverFinalValid(byte[] serverFinalBytes) {
    if (expectedServerSignature == null) return false;
    String v = attributes(new String(serverFinalBytes, StandardCharsets.UTF_8)).get('v');
    if (v == null) return false;
    try {
      return MessageDigest.isEqual(Base64.getDecoder().decode(v), expectedServerSignature);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Map<Character, String> attributes(String message) {
    Map<Character, String> out = new HashMap<>();
    for (String part : message.split(",")) {
      if (part.length() >= 2 && part.charAt(1) == '=') out.putIfAbsent(part.charAt(0), part.substring(2));
    }
    return out;
  }

  private static byte[] pbkdf2(String password, byte[] salt, int iterations) throws GeneralSecurityException {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } finally {
      spec.clearPassword();
    }
  }

  private static byte[] hmac(byte[] key, String text) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
  }
}
