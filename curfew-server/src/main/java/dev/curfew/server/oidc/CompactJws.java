package dev.curfew.server.oidc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A JWS in compact serialization (RFC 7515 §7.1): {@code header.payload.signature}, each part
 * base64url without padding, the signature over the ASCII of {@code header.payload}. Parsing checks
 * the form only; {@link #verifiedWith} checks the signature. Duplicate JSON members are refused
 * (RFC 7515 §5.2 allows a parser to; two {@code sub} values must not be read two ways).
 */
public record CompactJws(Map<String, Object> header, Map<String, Object> claims, String signingInput, byte[] signature) {
  /** Longest token accepted: generous for an RSA-4096 signature and any claims a logout needs. */
  public static final int MAX_CHARS = 16 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final TypeReference<LinkedHashMap<String, Object>> OBJECT = new TypeReference<>() {};

  /** Parses {@code token}; IllegalArgumentException says what is malformed. */
  public static CompactJws parse(String token) {
    if (token == null || token.isEmpty()) throw new IllegalArgumentException("no token");
    if (token.length() > MAX_CHARS) throw new IllegalArgumentException("token longer than " + MAX_CHARS + " characters");
    String[] parts = token.split("\\.", -1);
    if (parts.length == 5) throw new IllegalArgumentException("an encrypted JWT (JWE) is not accepted");
    if (parts.length != 3) throw new IllegalArgumentException("not a compact JWS (three dot-separated parts)");
    Map<String, Object> header = object("header", parts[0]);
    Map<String, Object> claims = object("claims", parts[1]);
    byte[] sig = decode("signature", parts[2]);
    return new CompactJws(header, claims, parts[0] + "." + parts[1], sig);
  }

  /** The {@code alg} of the header, if Curfew accepts it ({@code none} and {@code HS*} never). */
  public JwsAlgorithm algorithm() {
    Object alg = header.get("alg");
    return JwsAlgorithm.named(alg instanceof String s ? s : null)
        .orElseThrow(() -> new IllegalArgumentException("signature algorithm " + alg + " is not accepted"));
  }

  /** Whether the signature verifies with {@code key} under the header's algorithm. */
  public boolean verifiedWith(PublicKey key) {
    JwsAlgorithm alg = algorithm();
    if (!alg.fits(key)) return false;
    try {
      Signature v = Signature.getInstance(alg.jca());
      v.initVerify(key);
      v.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return v.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false; // a signature of the wrong length or encoding is simply not valid
    }
  }

  /** Signs {@code claims} under {@code header} (which names the algorithm) with {@code key}: the compact JWS. */
  public static String sign(Map<String, Object> header, Map<String, Object> claims, JwsAlgorithm alg, PrivateKey key) {
    try {
      String input = Jwk.b64(JSON.writeValueAsBytes(header)) + "." + Jwk.b64(JSON.writeValueAsBytes(claims));
      Signature s = Signature.getInstance(alg.jca());
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + Jwk.b64(s.sign());
    } catch (GeneralSecurityException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(alg + " signing failed", e);
    }
  }

  private static Map<String, Object> object(String part, String b64) {
    try {
      Map<String, Object> m = JSON.readValue(decode(part, b64), OBJECT);
      if (m == null) throw new IllegalArgumentException("the " + part + " is not a JSON object");
      return m;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("the " + part + " is not a JSON object");
    }
  }

  private static byte[] decode(String part, String b64) {
    try {
      return Base64.getUrlDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the " + part + " is not base64url");
    }
  }
}
