package dev.curfew.gateway.db;

import java.nio.file.Path;

/**
 * {@code upstream_tls}: Curfew's own connection to the upstream database runs over TLS, started the
 * protocol's way (PostgreSQL: {@code SSLRequest}; MySQL: the {@code CLIENT_SSL} capability), and an
 * upstream that does not offer it is not logged in to ({@link UpstreamTlsClient}). With {@code
 * verify} the upstream's certificate must chain to {@code ca} (null: the JDK's trust store) and
 * name {@code serverName} (null: the upstream's host); without it the connection is encrypted
 * only, as libpq's {@code sslmode=require}.
 */
public record UpstreamTls(boolean verify, Path ca, String serverName) {
  /** The name the upstream's certificate must carry, and the SNI sent. */
  public String serverName(String upstreamHost) {
    return serverName != null ? serverName : upstreamHost;
  }
}
