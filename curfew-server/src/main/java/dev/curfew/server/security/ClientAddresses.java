package dev.curfew.server.security;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which client a request comes from, for the per-address rate limit. The peer of the connection,
 * unless that peer is a configured trusted proxy: then {@code X-Forwarded-For} is read from the
 * right, skipping trusted proxies, and the first address not trusted is the client (the rightmost
 * entries are the ones the trusted proxies wrote; anything to their left came from the client and
 * may be forged). An unparseable entry stops the walk at the last address known.
 *
 * <p>An IPv6 client is counted by its /64 prefix: one subscriber holds at least a whole /64 (RFC
 * 6177 advises giving end sites more than a single /64), so counting single IPv6 addresses would
 * let one client take a fresh limit for every request.
 */
public final class ClientAddresses {
  /** One trusted network: an address and a prefix length. */
  private record Network(byte[] address, int prefixBits) {
    boolean contains(byte[] a) {
      if (a.length != address.length) return false;
      int full = prefixBits / 8;
      for (int i = 0; i < full; i++) if (a[i] != address[i]) return false;
      int rest = prefixBits % 8;
      if (rest == 0) return true;
      int mask = 0xff << (8 - rest) & 0xff;
      return (a[full] & mask) == (address[full] & mask);
    }
  }

  private final List<Network> trusted;

  private ClientAddresses(List<Network> trusted) {
    this.trusted = List.copyOf(trusted);
  }

  /** No trusted proxies: the connection's peer is the client. */
  public static ClientAddresses direct() {
    return new ClientAddresses(List.of());
  }

  /**
   * Trusted proxies as IP addresses or CIDR networks ({@code 10.0.0.0/8}, {@code ::1}, {@code
   * fd00::/8}); a malformed entry is an IllegalArgumentException that quotes it.
   */
  public static ClientAddresses trusting(List<String> proxies) {
    List<Network> out = new ArrayList<>();
    for (String p : proxies) out.add(network(p));
    return new ClientAddresses(out);
  }

  private static Network network(String cidr) {
    Objects.requireNonNull(cidr, "proxy");
    int slash = cidr.indexOf('/');
    byte[] a = parse(slash < 0 ? cidr : cidr.substring(0, slash));
    if (a == null) throw new IllegalArgumentException("not an IP address or CIDR network: \"" + cidr + "\"");
    int bits = a.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(cidr.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > a.length * 8) {
        throw new IllegalArgumentException("prefix length not in 0-" + a.length * 8 + ": \"" + cidr + "\"");
      }
    }
    return new Network(a, bits);
  }

  /**
   * The key that the per-address limit counts {@code peer} (the connection's remote address) under,
   * given the request's {@code X-Forwarded-For} values (null or empty: none).
   */
  public String clientKey(String peer, List<String> forwardedFor) {
    byte[] client = parse(peer);
    if (client == null) return peer == null ? "unknown" : peer;
    if (trusted(client) && forwardedFor != null && !forwardedFor.isEmpty()) {
      List<String> hops = new ArrayList<>();
      for (String header : forwardedFor) {
        for (String hop : header.split(",")) hops.add(hop.trim());
      }
      for (int i = hops.size() - 1; i >= 0 && trusted(client); i--) {
        byte[] hop = parse(hops.get(i));
        if (hop == null) break;
        client = hop;
      }
    }
    return key(client);
  }

  /**
   * Whether {@code peer} (a connection's remote address, an IP literal) is a trusted proxy, whose
   * forwarding headers are believed: the one rule for reading them, on every port.
   */
  public boolean trusts(String peer) {
    byte[] a = parse(peer);
    return a != null && trusted(a);
  }

  private boolean trusted(byte[] address) {
    for (Network n : trusted) if (n.contains(address)) return true;
    return false;
  }

  /** An IP literal's bytes (never a DNS lookup), an IPv4-mapped IPv6 address as IPv4; null if not a literal. */
  private static byte[] parse(String literal) {
    byte[] a = literal == null ? null : NetUtil.createByteArrayFromIpAddressString(literal.trim());
    if (a == null || a.length == 4) return a;
    boolean mapped = a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    for (int i = 0; i < 10; i++) mapped &= a[i] == 0;
    return mapped ? java.util.Arrays.copyOfRange(a, 12, 16) : a;
  }

  /** IPv4 as is; IPv6 by its /64 prefix. */
  static String key(byte[] a) {
    if (a.length == 4) return NetUtil.bytesToIpAddress(a);
    byte[] prefix = java.util.Arrays.copyOf(a, 16);
    java.util.Arrays.fill(prefix, 8, 16, (byte) 0);
    return NetUtil.bytesToIpAddress(prefix) + "/64";
  }
}
