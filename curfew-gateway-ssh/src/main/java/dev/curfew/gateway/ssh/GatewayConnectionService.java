package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.sshd.common.Service;
import org.apache.sshd.common.ServiceFactory;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.session.AbstractServerSession;
import org.apache.sshd.server.session.ServerConnectionService;

/**
 * MINA SSHD's connection service (RFC 4254) with one addition: what the gateway refuses at this level
 * is told to the client's {@link GatewayConnection} before MINA refuses it as usual, so that it is
 * audited. That is every channel type but {@code session} (port forwarding {@code direct-tcpip},
 * X11's and the agent's channels, any made-up type), and the global requests that ask the gateway to
 * listen ({@code tcpip-forward}, {@code streamlocal-forward@openssh.com}: {@code ssh -R}). Nothing
 * here grants anything: the refusal itself is still MINA's (no factory for the channel type, the
 * reject-all forwarding filter).
 */
final class GatewayConnectionService extends ServerConnectionService {
  /** The channel type relayed; every other one is refused. */
  static final String SESSION = "session";
  /** Global requests that ask the gateway to listen for the client: remote forwarding. */
  private static final Set<String> LISTEN_REQUESTS = Set.of("tcpip-forward", "streamlocal-forward@openssh.com");

  private final GatewayConnection connection;

  private GatewayConnectionService(AbstractServerSession session, GatewayConnection connection) throws IOException {
    super(session);
    this.connection = connection;
  }

  /** The factory MINA asks for {@code ssh-connection}, finding each session's connection with {@code connections}. */
  static ServiceFactory factory(Function<Session, GatewayConnection> connections) {
    return new ServiceFactory() {
      @Override
      public String getName() {
        return "ssh-connection";
      }

      @Override
      public Service create(Session session) throws IOException {
        return new GatewayConnectionService((AbstractServerSession) session, connections.apply(session));
      }
    };
  }

  @Override
  protected void channelOpen(Buffer buffer) throws Exception {
    int start = buffer.rpos();
    try {
      String type = buffer.getString();
      if (!SESSION.equalsIgnoreCase(type)) {
        buffer.getUInt(); // sender channel
        buffer.getUInt(); // initial window size
        buffer.getUInt(); // maximum packet size
        connection.refusedRequest(whyOf(type), type, details(type, buffer));
      }
    } catch (RuntimeException malformed) {
      // MINA reads the same bytes again below and answers the malformed message itself
    } finally {
      buffer.rpos(start);
    }
    super.channelOpen(buffer);
  }

  @Override
  protected IoWriteFuture globalRequest(Buffer buffer) throws Exception {
    int start = buffer.rpos();
    try {
      String request = buffer.getString();
      if (LISTEN_REQUESTS.contains(request)) {
        buffer.getBoolean(); // want reply
        String address = buffer.getString();
        Map<String, Object> details = request.equals("tcpip-forward")
            ? Map.of("host", address, "port", buffer.getUInt()) : Map.of("path", address);
        connection.refusedRequest("port_forwarding", request, details);
      }
    } catch (RuntimeException malformed) {
      // as above: MINA answers it
    } finally {
      buffer.rpos(start);
    }
    return super.globalRequest(buffer);
  }

  private static String whyOf(String channelType) {
    return switch (channelType) {
      case "direct-tcpip", "forwarded-tcpip", "direct-streamlocal@openssh.com", "forwarded-streamlocal@openssh.com" ->
          "port_forwarding";
      case "x11" -> "x11_forwarding";
      case "auth-agent@openssh.com", "auth-agent" -> "agent_forwarding";
      default -> "channel_type";
    };
  }

  /** Where a forwarding channel was to lead (RFC 4254 section 7.2: host to connect, port). */
  private static Map<String, Object> details(String channelType, Buffer buffer) {
    if (channelType.equals("direct-tcpip")) return Map.of("host", buffer.getString(), "port", buffer.getUInt());
    if (channelType.equals("direct-streamlocal@openssh.com")) return Map.of("path", buffer.getString());
    return Map.of();
  }
}
