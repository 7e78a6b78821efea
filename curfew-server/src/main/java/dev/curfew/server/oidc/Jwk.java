package dev.curfew.server.oidc;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Public keys as JSON Web Keys (RFC 7517) and back: RSA ({@code n}, {@code e}; RFC 7518 §6.3.1),
 * EC P-256/P-384 ({@code crv}, {@code x}, {@code y}; RFC 7518 §6.2.1) and Ed25519 ({@code OKP},
 * {@code x}; RFC 8037 §2). Only the JDK's own key factories are used.
 */
public final class Jwk {
  private Jwk() {}

  /** The JWK of {@code key}, with {@code kid}, {@code use: sig} and {@code alg}. */
  public static Map<String, Object> of(PublicKey key, String kid, JwsAlgorithm alg) {
    Map<String, Object> k = new LinkedHashMap<>();
    if (key instanceof RSAPublicKey rsa) {
      k.put("kty", "RSA");
      k.put("n", b64(unsigned(rsa.getModulus())));
      k.put("e", b64(unsigned(rsa.getPublicExponent())));
    } else if (key instanceof ECPublicKey ec) {
      int size = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
      k.put("kty", "EC");
      k.put("crv", size == 32 ? "P-256" : "P-384");
      k.put("x", b64(fixed(ec.getW().getAffineX(), size)));
      k.put("y", b64(fixed(ec.getW().getAffineY(), size)));
    } else if (key instanceof EdECPublicKey ed) {
      k.put("kty", "OKP");
      k.put("crv", "Ed25519");
      k.put("x", b64(dev.curfew.core.audit.Ed25519Keys.rawPublicKey(ed)));
    } else {
      throw new IllegalArgumentException("not an RSA, EC or Ed25519 key: " + key.getAlgorithm());
    }
    k.put("kid", kid);
    k.put("use", "sig");
    k.put("alg", alg.name());
    return k;
  }

  /** The public key a JWK describes; IllegalArgumentException names what is wrong with it. */
  public static PublicKey toKey(Map<String, Object> jwk) {
    String kty = text(jwk, "kty");
    try {
      switch (kty) {
        case "RSA" -> {
          return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
              new BigInteger(1, bytes(jwk, "n")), new BigInteger(1, bytes(jwk, "e"))));
        }
        case "EC" -> {
          String crv = text(jwk, "crv");
          String name = switch (crv) {
            case "P-256" -> "secp256r1";
            case "P-384" -> "secp384r1";
            default -> throw new IllegalArgumentException("unsupported EC curve " + crv);
          };
          AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
          params.init(new ECGenParameterSpec(name));
          ECPoint w = new ECPoint(new BigInteger(1, bytes(jwk, "x")), new BigInteger(1, bytes(jwk, "y")));
          return KeyFactory.getInstance("EC").generatePublic(
              new ECPublicKeySpec(w, params.getParameterSpec(ECParameterSpec.class)));
        }
        case "OKP" -> {
          if (!"Ed25519".equals(jwk.get("crv"))) throw new IllegalArgumentException("unsupported OKP curve " + jwk.get("crv"));
          byte[] x = bytes(jwk, "x");
          if (x.length != 32) throw new IllegalArgumentException("Ed25519 x is not 32 bytes");
          return dev.curfew.core.audit.Ed25519Keys.publicKey(x);
        }
        default -> throw new IllegalArgumentException("unsupported key type " + kty);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a valid " + kty + " key: " + e.getMessage(), e);
    }
  }

  private static String text(Map<String, Object> jwk, String name) {
    Object v = jwk.get(name);
    if (!(v instanceof String s) || s.isEmpty()) throw new IllegalArgumentException("JWK member \"" + name + "\" missing");
    return s;
  }

  private static byte[] bytes(Map<String, Object> jwk, String name) {
    try {
      return Base64.getUrlDecoder().decode(text(jwk, name));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("JWK member \"" + name + "\" is not base64url");
    }
  }

  private static byte[] unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    return b.length > 1 && b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static byte[] fixed(BigInteger v, int size) {
    byte[] b = unsigned(v);
    byte[] out = new byte[size];
    System.arraycopy(b, 0, out, size - b.length, b.length);
    return out;
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
