package dev.curfew.gateway.db;

import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code upstream_tls}: Curfew's own connection to the upstream database runs over TLS, started the
 * protocol's way (PostgreSQL: {@code SSLRequest}; MySQL: the {@code CLIENT_SSL} capability), and an
 * upstream that does not offer it is not logged in to ({@link UpstreamTlsClient}). With {@code
 * verify} the upstream's certificate must chain to {@code ca} (null: the JDK's trust store) and
 * name {@code serverName} (null: the upstream's host); without it the connection is encrypted
 * only, as libpq's {@code sslmode=require}. With {@code clientCertificate} Curfew presents that
 * certificate when the upstream asks for one (PostgreSQL's {@code cert} authentication or {@code
 * clientcert=verify-full}, MySQL's {@code REQUIRE X509}).
 *
 * @param clientCertificate null: none presented
 */
public record UpstreamTls(boolean verify, Path ca, String serverName, ClientCertificate clientCertificate) {
  /** Without a client certificate. */
  public UpstreamTls(boolean verify, Path ca, String serverName) {
    this(verify, ca, serverName, null);
  }

  /** The name the upstream's certificate must carry, and the SNI sent. */
  public String serverName(String upstreamHost) {
    return serverName != null ? serverName : upstreamHost;
  }

  /**
   * A certificate (chain) and its private key, PEM files; the key unencrypted, PKCS #8 ({@code
   * BEGIN PRIVATE KEY}, what {@code openssl genpkey} writes).
   */
  public record ClientCertificate(Path cert, Path key) {
    public ClientCertificate {
      Objects.requireNonNull(cert, "cert");
      Objects.requireNonNull(key, "key");
    }
  }
}
