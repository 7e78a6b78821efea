package dev.curfew.server.oidc;

import java.security.Key;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.util.Optional;

/**
 * The JWS algorithms Curfew signs and verifies with (RFC 7518 §3.1 names, EdDSA from RFC 8037 §3.1),
 * each with its JDK signature algorithm. ECDSA signatures in JWS are the raw R‖S pair (RFC 7518
 * §3.4), which the JDK's {@code ...inP1363Format} algorithms read and write directly.
 *
 * <p>Absent on purpose: {@code none} and the HMAC family ({@code HS*}): a logout token must be signed
 * by the provider's private key, and an HMAC "signature" keyed with a public key is the classic
 * algorithm-confusion forgery (RFC 8725 §2.1, §3.1).
 */
public enum JwsAlgorithm {
  RS256("SHA256withRSA", "RSA"),
  RS384("SHA384withRSA", "RSA"),
  RS512("SHA512withRSA", "RSA"),
  ES256("SHA256withECDSAinP1363Format", "EC"),
  ES384("SHA384withECDSAinP1363Format", "EC"),
  EdDSA("Ed25519", "OKP");

  private final String jca;
  private final String keyType;

  JwsAlgorithm(String jca, String keyType) {
    this.jca = jca;
    this.keyType = keyType;
  }

  /** The JDK {@link java.security.Signature} algorithm. */
  public String jca() {
    return jca;
  }

  /** The JWK {@code kty} of its keys (RFC 7518 §6.1, RFC 8037 §2). */
  public String keyType() {
    return keyType;
  }

  /** Whether {@code key} is of the family this algorithm signs with (an RS256 header on an EC key is refused). */
  public boolean fits(Key key) {
    return switch (keyType) {
      case "RSA" -> key instanceof RSAKey;
      case "EC" -> key instanceof ECKey;
      default -> key instanceof EdECKey;
    };
  }

  /** The algorithm named {@code alg} in a JWS header, if it is one Curfew accepts. */
  public static Optional<JwsAlgorithm> named(String alg) {
    for (JwsAlgorithm a : values()) {
      if (a.name().equals(alg)) return Optional.of(a);
    }
    return Optional.empty();
  }
}
