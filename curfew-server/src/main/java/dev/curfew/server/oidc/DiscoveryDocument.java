package dev.curfew.server.oidc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Curfew's OpenID provider metadata at {@code /.well-known/openid-configuration}, so that a relying
 * party can register Curfew by its issuer as the sender of back-channel logout tokens. Curfew issues
 * logout tokens only (no ID tokens, no authorization endpoint), so it states only what holds:
 * <ul>
 *   <li>{@code issuer}, {@code jwks_uri}, {@code subject_types_supported}, {@code
 *       response_types_supported} (empty: it answers no authorization request) and {@code
 *       id_token_signing_alg_values_supported} (the algorithm its JWTs are signed with): OpenID
 *       Connect Discovery 1.0 §3;</li>
 *   <li>{@code backchannel_logout_supported} and {@code backchannel_logout_session_supported}
 *       (every token carries {@code sid}): OpenID Connect Back-Channel Logout 1.0 §2.1.</li>
 * </ul>
 * The issuer must be the URL this document is served under, without {@code /.well-known/...}
 * (Discovery §4.1, §4.3).
 */
public final class DiscoveryDocument {
  private DiscoveryDocument() {}

  public static Map<String, Object> of(String issuer, List<String> signingAlgorithms) {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("issuer", issuer);
    m.put("jwks_uri", base + "/.well-known/jwks.json");
    m.put("response_types_supported", List.of());
    m.put("subject_types_supported", List.of("public"));
    m.put("id_token_signing_alg_values_supported", List.copyOf(signingAlgorithms));
    m.put("backchannel_logout_supported", true);
    m.put("backchannel_logout_session_supported", true);
    return m;
  }
}
