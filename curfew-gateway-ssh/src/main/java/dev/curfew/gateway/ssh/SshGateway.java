package dev.curfew.gateway.ssh;

import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.gateway.db.LoginGuard;
import dev.curfew.gateway.db.RefusalLimit;
import java.io.IOException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.keyboard.DefaultKeyboardInteractiveAuthenticator;
import org.apache.sshd.server.auth.keyboard.UserAuthKeyboardInteractiveFactory;
import org.apache.sshd.server.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.server.auth.pubkey.RejectAllPublickeyAuthenticator;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.session.ServerUserAuthServiceFactory;

/**
 * The SSH gateway (spec/protocol-gateways.md, SSH): clients log in as {@code SUBJECT@TARGET} with a
 * Curfew session token, and their shells and commands are relayed to the target, where Curfew logs
 * in with its own key. Keystrokes are the session's activity, output never; the session's warning
 * and end are written into the terminal; every connection is in the audit trail.
 *
 * <p>Only session channels exist here: port forwarding (local and remote), agent and X11 forwarding
 * and every other channel type are refused, so nothing reaches the network behind the gateway
 * except the relayed shell.
 */
public final class SshGateway implements AutoCloseable {
  private static final AttributeRepository.AttributeKey<GatewayConnection> CONNECTION = new AttributeRepository.AttributeKey<>();
  private static final SecureRandom IDS = new SecureRandom();

  private final SshGatewaySettings settings;
  private final SessionStore sessions;
  /** The open connections of each session, for its warning and ending. */
  private final Map<String, Set<GatewayConnection>> bySession = new ConcurrentHashMap<>();
  private final Upstreams upstreams;
  private final SshServer server;
  private final ScheduledExecutorService scheduler;
  private final AtomicInteger connections = new AtomicInteger();

  private final LoginGuard guard;
  /** The bound on the connection.refused records of logins turned away by the guard. */
  private final RefusalLimit refusalLimit = new RefusalLimit(System::nanoTime);

  private SshGateway(SshGatewaySettings settings, SessionStore sessions, LoginGuard guard) throws IOException {
    this.settings = settings;
    this.sessions = sessions;
    this.guard = guard;
    // A target's login may not outlast the client's: a client whose login timed out waits for nothing.
    Duration upstreamLogin = settings.loginTimeout().compareTo(Upstreams.LOGIN_TIMEOUT) < 0 ? settings.loginTimeout()
        : Upstreams.LOGIN_TIMEOUT;
    this.upstreams = new Upstreams(settings.targets(), upstreamLogin);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "curfew-ssh-gateway-ticks");
      t.setDaemon(true);
      return t;
    });
    this.server = server(SshKeys.hostKey(settings.hostKeyFile()));
  }

  /**
   * Starts listening; the host key is created on first start. Give {@link #events()} every session
   * event (the server's fan-out, which also carries other nodes' events), or warnings and endings
   * reach the terminals only on the next keystroke.
   */
  public static SshGateway start(SshGatewaySettings settings, SessionStore sessions) throws IOException {
    return start(settings, sessions, LoginGuard.NONE);
  }

  /**
   * As above, with {@code guard} asked before every login's token is looked at and told of every
   * guess (the server hands it its {@code failed_checks_per_address}).
   */
  public static SshGateway start(SshGatewaySettings settings, SessionStore sessions, LoginGuard guard) throws IOException {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(guard, "guard");
    SshGateway g = new SshGateway(settings, sessions, guard);
    try {
      g.server.start();
    } catch (IOException | RuntimeException e) {
      g.close();
      throw e;
    }
    return g;
  }

  /** The port listened on (the configured one, or the one chosen for port 0). */
  public int port() {
    return server.getPort();
  }

  /** Client connections held now. */
  public int connections() {
    return connections.get();
  }

  SshGatewaySettings settings() {
    return settings;
  }

  SessionStore sessions() {
    return sessions;
  }

  LoginGuard guard() {
    return guard;
  }

  RefusalLimit refusalLimit() {
    return refusalLimit;
  }

  /**
   * Where session events go in (a follower of every session): a warning is written into the
   * session's terminals, an ending cuts its connections. Hands off and returns at once.
   */
  public SessionEvents events() {
    return (sessionId, event, data) -> {
      Set<GatewayConnection> held = bySession.get(sessionId);
      if (held == null) return 0;
      int delivered = 0;
      for (GatewayConnection c : held) delivered += c.publish(sessionId, event, data);
      return delivered;
    };
  }

  /** Follows {@code sessionId}'s events for {@code c} until the returned action runs. */
  Runnable follow(String sessionId, GatewayConnection c) {
    bySession.computeIfAbsent(sessionId, id -> ConcurrentHashMap.newKeySet()).add(c);
    return () -> bySession.computeIfPresent(sessionId, (id, set) -> {
      set.remove(c);
      return set.isEmpty() ? null : set;
    });
  }

  Upstreams upstreams() {
    return upstreams;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  private SshServer server(KeyPair hostKey) {
    SshServer s = SshServer.setUpDefaultServer();
    s.setHost(settings.host());
    s.setPort(settings.port());
    s.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
    s.setUserAuthFactories(List.of(UserAuthPasswordFactory.INSTANCE, UserAuthKeyboardInteractiveFactory.INSTANCE));
    s.setPasswordAuthenticator((user, password, session) -> connection(session).login(user, password));
    s.setKeyboardInteractiveAuthenticator(new DefaultKeyboardInteractiveAuthenticator() {
      @Override
      protected String getInteractionPrompt(ServerSession session) {
        // OpenSSH tries keyboard-interactive before password; tools that type a password (sshpass)
        // recognise a prompt by "assword", so the prompt names both.
        return "Password (Curfew session token): ";
      }
    });
    s.setPublickeyAuthenticator(RejectAllPublickeyAuthenticator.INSTANCE);
    s.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
    // MINA's connection service, telling each connection what it refuses (for the audit trail)
    s.setServiceFactories(List.of(ServerUserAuthServiceFactory.INSTANCE,
        GatewayConnectionService.factory(session -> connection((ServerSession) session))));
    s.setChannelFactories(List.<ChannelFactory>of(new ChannelFactory() {
      @Override
      public String getName() {
        return "session";
      }

      @Override
      public org.apache.sshd.common.channel.Channel createChannel(Session session) {
        return new RelayChannelSession();
      }
    }));
    s.setShellFactory(channel -> relay(channel.getServerSession(), null));
    s.setCommandFactory((channel, command) -> relay(channel.getServerSession(), command));
    s.setSubsystemFactories(List.of());
    // Curfew decides when a session is idle, on keystrokes: the transport's own idle cut is off.
    CoreModuleProperties.IDLE_TIMEOUT.set(s, Duration.ZERO);
    CoreModuleProperties.AUTH_TIMEOUT.set(s, settings.loginTimeout());
    s.addSessionListener(new SessionListener() {
      @Override
      public void sessionCreated(Session session) {
        if (connections.incrementAndGet() > settings.maxConnections()) {
          session.close(true); // over the limit: no connection state, nothing to audit

          return;
        }
        session.setAttribute(CONNECTION, new GatewayConnection(SshGateway.this, (ServerSession) session,
            "ssh_" + HexFormat.of().formatHex(randomBytes(8)), System.currentTimeMillis()));
      }

      @Override
      public void sessionClosed(Session session) {
        connections.decrementAndGet();
        GatewayConnection c = session.getAttribute(CONNECTION);
        if (c != null) c.closed();
      }
    });
    return s;
  }

  private Relay relay(ServerSession session, String command) {
    GatewayConnection c = connection(session);
    return new Relay(c, command, c.nextChannelNumber());
  }

  static GatewayConnection connection(ServerSession session) {
    GatewayConnection c = session.getAttribute(CONNECTION);
    if (c == null) throw new IllegalStateException("connection refused at its start");
    return c;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    IDS.nextBytes(b);
    return b;
  }

  @Override
  public void close() throws IOException {
    try {
      server.stop(true);
    } finally {
      scheduler.shutdownNow();
      upstreams.close();
    }
  }
}
