package dev.curfew.server.config;

import io.vertx.core.transport.Transport;
import java.util.List;
import java.util.Locale;

/**
 * {@code server.transport}: the network transport of every listener and client of {@code curfew
 * serve} (the API, the gateways, the database and SSH gateways' relays, Redis and PostgreSQL).
 * {@code auto} takes the first of io_uring, epoll and NIO that this machine can run; naming one
 * makes a machine that cannot run it a start-up error rather than a silent fallback.
 */
public enum NetTransport {
  AUTO("auto"),
  IO_URING("io_uring"),
  EPOLL("epoll"),
  NIO("nio");

  private final String key;

  NetTransport(String key) {
    this.key = key;
  }

  /** The word of the configuration file. */
  public String key() {
    return key;
  }

  static NetTransport parse(String configKey, String value) {
    for (NetTransport t : values()) {
      if (t.key.equals(value.toLowerCase(Locale.ROOT))) return t;
    }
    throw new ConfigException(configKey, "\"" + value + "\" is not a transport (auto | io_uring | epoll | nio)");
  }

  /**
   * The Vert.x transport to build on: for {@code auto} the first available of io_uring, epoll and
   * NIO; otherwise this one, or a {@link ConfigException} naming {@code server.transport} and why
   * the machine cannot run it (a kernel without io_uring, a container that forbids it, not Linux).
   */
  public Transport resolve() {
    if (this == AUTO) {
      for (Transport t : List.of(Transport.IO_URING, Transport.EPOLL)) {
        if (t.available()) return t;
      }
      return Transport.NIO;
    }
    Transport t = switch (this) {
      case IO_URING -> Transport.IO_URING;
      case EPOLL -> Transport.EPOLL;
      default -> Transport.NIO;
    };
    if (!t.available()) {
      Throwable cause = t.unavailabilityCause();
      throw new ConfigException("server.transport", key + " is not available on this machine"
          + (cause == null ? "" : ": " + cause.getMessage()) + " (auto picks the first that is)");
    }
    return t;
  }

  /** How the log names a resolved transport: {@code io_uring}, {@code epoll}, {@code NIO}. */
  public static String describe(Transport t) {
    return t == Transport.IO_URING ? "io_uring" : t == Transport.EPOLL ? "epoll" : t == Transport.NIO ? "NIO" : t.name();
  }
}
