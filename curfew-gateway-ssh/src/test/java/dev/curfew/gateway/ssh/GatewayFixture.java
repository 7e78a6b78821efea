package dev.curfew.gateway.ssh;

import dev.curfew.core.Audience;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.Decision;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A gateway in front of a private sshd, on an embedded engine with a real clock and its deadline
 * driver (warnings and expiries fire on time), recording into memory.
 */
final class GatewayFixture implements AutoCloseable {
  /** The policy of the tests: idle 3 s, the warning 2 s before (1 s after the last keystroke). */
  static final Policy OPS = Policy.of("ops", Duration.ofSeconds(3), Duration.ofHours(1), Duration.ofSeconds(2), 0);

  /** For tests that need time more than idleness: idle 60 s. */
  static final Policy LONG = Policy.of("long", Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10), 0);

  final MemoryAuditSink audit = new MemoryAuditSink();
  final Followers events = new Followers();
  final SessionEngine engine;
  final SessionStore sessions;
  final DeadlineDriver driver;
  final SshGateway gateway;
  final Path dataDir;
  /** Every target's place: what a session the tests open may be used at by default. */
  final Audience everyTarget;

  GatewayFixture(Path dataDir, List<SshTarget> targets, boolean record) throws Exception {
    this(dataDir, targets, record, settings -> settings);
  }

  /** As above, with the gateway's settings changed by {@code adjust} (a shorter login timeout, say). */
  GatewayFixture(Path dataDir, List<SshTarget> targets, boolean record, UnaryOperator<SshGatewaySettings> adjust)
      throws Exception {
    this(dataDir, targets, record, adjust, dev.curfew.gateway.db.LoginGuard.NONE);
  }

  /** As above, with {@code guard} bounding the guesses of one address. */
  GatewayFixture(Path dataDir, List<SshTarget> targets, boolean record, UnaryOperator<SshGatewaySettings> adjust,
      dev.curfew.gateway.db.LoginGuard guard) throws Exception {
    this.dataDir = dataDir;
    everyTarget = Audience.of(targets.stream().map(t -> "ssh:" + t.name()).toList());
    engine = new SessionEngine(new SystemClock(), "test-node", new Policies(List.of(OPS, LONG), "ops"), audit, events, null, null);
    sessions = SessionStore.of(engine);
    driver = new DeadlineDriver(engine).start();
    gateway = SshGateway.start(adjust.apply(SshGatewaySettings.of("127.0.0.1", 0, dataDir.resolve("ssh_host_ed25519_key"),
        record, dataDir.resolve("recordings"), targets)), sessions, guard);
    events.follower = gateway.events();
  }

  /** Opens a session for {@code subject}, usable at every target of the fixture: its token. */
  String open(String subject) throws Exception {
    return open(subject, "ops");
  }

  String open(String subject, String policy) throws Exception {
    return open(subject, policy, everyTarget);
  }

  /** Opens a session for {@code audience}, as a portal would ({@code POST /v1/sessions}): its token. */
  String open(String subject, String policy, Audience audience) throws Exception {
    Decision d = sessions.open(subject, policy, Map.of(), audience, "portal").get();
    if (!d.allowed()) throw new IllegalStateException("open refused: " + d);
    return d.token();
  }

  String sessionIdOf(String token) throws Exception {
    return sessions.check(token, false).get().status().sessionId();
  }

  List<AuditRecord> records(String type) {
    return audit.records().stream().filter(r -> r.type().equals(type)).toList();
  }

  @Override
  public void close() throws Exception {
    gateway.close();
    driver.close();
  }

  /** What the server's fan-out is to a gateway: it hands every event to the gateway's follower. */
  static final class Followers implements SessionEvents {
    volatile SessionEvents follower = SessionEvents.NONE;

    @Override
    public int publish(String sessionId, String event, Map<String, Object> data) {
      return follower.publish(sessionId, event, data);
    }
  }
}
