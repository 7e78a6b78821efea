package dev.curfew.server.gateway;

import dev.curfew.server.http.RequestTarget;
import dev.curfew.server.security.ClientAddresses;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Objects;

/**
 * The forwarding headers of a request the gateway sends upstream: who the client is, which host it
 * asked for, over which scheme. The app behind the gateway reads them (for its links, its logs, its
 * own limits), so they say what the gateway saw; a client's own are dropped, since anyone can send
 * {@code X-Forwarded-For: 10.0.0.1} (issue 12, item 5). Only when the connection's peer is one of
 * {@code gateway.trusted_proxies} (a load balancer in front) are its headers kept, and the gateway
 * appends its own hop: the peer to {@code X-Forwarded-For}, an element to {@code Forwarded}.
 *
 * <p>{@code X-Original-URL} and {@code X-Rewrite-URL}, which some frameworks (Symfony, IIS URL
 * Rewrite) let override the request path, are always removed: the path the gateway checked is the
 * path the app serves.
 */
final class ForwardedHeaders {
  /** The de facto headers (no RFC) and {@code Forwarded} (RFC 7239): set by the gateway, or kept from a trusted proxy. */
  private static final List<String> HOP_HEADERS = List.of("X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
      "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Server", "X-Real-IP", "Forwarded");
  /** Headers that replace the request path in some frameworks: never forwarded from anyone. */
  private static final List<String> PATH_OVERRIDES = List.of("X-Original-URL", "X-Rewrite-URL");

  private final ClientAddresses proxies;

  ForwardedHeaders(ClientAddresses proxies) {
    this.proxies = Objects.requireNonNull(proxies, "proxies");
  }

  /**
   * Sets {@code h} (the headers going upstream) from {@code in} (the request as the gateway received
   * it). A name that reads as one of these headers with its underscores taken for hyphens ({@code
   * X_Forwarded_For}) is removed, from anyone: CGI, wsgiref and PHP give an app both spellings as the
   * same variable ({@code HTTP_X_FORWARDED_FOR}), and no proxy sends it so.
   */
  void apply(MultiMap h, HttpServerRequest in) {
    removeUnderscoredSpellings(h);
    PATH_OVERRIDES.forEach(h::remove);
    String peer = in.remoteAddress() == null ? null : in.remoteAddress().hostAddress();
    boolean trusted = peer != null && proxies.trusts(peer);
    String client = peer == null ? "unknown" : peer;
    String proto = in.isSSL() ? "https" : "http";
    String host = in.authority() == null ? null : in.authority().toString();
    if (!trusted) HOP_HEADERS.forEach(h::remove);

    List<String> chain = h.getAll("X-Forwarded-For");
    h.set("X-Forwarded-For", chain.isEmpty() ? client : String.join(", ", chain) + ", " + client);
    String sentProto = h.get("X-Forwarded-Proto");
    if (!"http".equals(sentProto) && !"https".equals(sentProto)) h.set("X-Forwarded-Proto", proto);
    List<String> sentHost = h.getAll("X-Forwarded-Host");
    if (sentHost.size() != 1 || RequestTarget.hostRefusal(true, sentHost) != null) {
      if (host == null) {
        h.remove("X-Forwarded-Host");
      } else {
        h.set("X-Forwarded-Host", host);
      }
    }
    String element = element(client, host, proto);
    List<String> forwarded = h.getAll("Forwarded");
    h.set("Forwarded", forwarded.isEmpty() ? element : String.join(", ", forwarded) + ", " + element);
  }

  private static void removeUnderscoredSpellings(MultiMap h) {
    List<String> names = null;
    for (String name : h.names()) {
      if (name.indexOf('_') < 0) continue;
      String hyphens = name.replace('_', '-');
      if (HOP_HEADERS.stream().anyMatch(hyphens::equalsIgnoreCase) || PATH_OVERRIDES.stream().anyMatch(hyphens::equalsIgnoreCase)) {
        if (names == null) names = new java.util.ArrayList<>();
        names.add(name);
      }
    }
    if (names != null) names.forEach(h::remove);
  }

  /** One RFC 7239 forwarded-element; an IPv6 node and any host with a port are quoted strings (§4, §6). */
  static String element(String client, String host, String proto) {
    String node = client.contains(":") ? "\"[" + client + "]\"" : client.equals("unknown") ? "unknown" : client;
    return "for=" + node + (host == null ? "" : ";host=\"" + host + "\"") + ";proto=" + proto;
  }
}
