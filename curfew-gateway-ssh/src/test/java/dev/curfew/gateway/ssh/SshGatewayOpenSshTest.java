package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Audience;
import dev.curfew.core.Policy;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's OpenSSH client, in a pseudo-terminal, through the gateway to a private OpenSSH server:
 * what a person at a terminal sees and what the audit trail says.
 */
class SshGatewayOpenSshTest {
  static PrivateSshd sshd;
  static Path sshdDir;
  GatewayFixture f;
  @TempDir Path data;

  @BeforeAll
  static void startSshd() throws Exception {
    boolean here = PrivateSshd.available();
    if (!here && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("openssh-server, openssh-client, sshpass and script are needed (see .ci/run)");
    }
    Assumptions.assumeTrue(here, "openssh-server, sshpass or script missing: skipped outside CI");
    sshdDir = Files.createTempDirectory("curfew-sshd");
    sshd = new PrivateSshd(sshdDir);
  }

  @AfterAll
  static void stopSshd() {
    if (sshd != null) sshd.close();
  }

  @BeforeEach
  void start() throws Exception {
    f = new GatewayFixture(data, List.of(sshd.target("build-box", true), sshd.target("batch-box", false),
        sshd.target("ops-box", true, "ops")), true);
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  private OpenSshTerminal ssh(String login, String token, String command, String... sshArgs) throws Exception {
    return OpenSshTerminal.open(f.gateway.port(), login, token, List.of(sshArgs), command);
  }

  /** Waits for the target's shell prompt: what is typed before it would reach no shell. */
  private static void awaitPrompt(OpenSshTerminal t) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .untilAsserted(() -> assertThat(t.screen()).matches("(?s).*[#$] $"));
  }

  /**
   * Waits for the prompt while pressing Enter every half second, as a person waiting for a slow shell
   * does: under a short idle timeout, a target slow to start its shell (a busy machine) would
   * otherwise see the session end before the test begins. The keystrokes end once the prompt shows.
   */
  private static void awaitPromptTyping(OpenSshTerminal t) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (t.screen().matches("(?s).*[#$] $")) return true;
      t.type("\r");
      return false;
    });
  }

  private static void awaitScreen(OpenSshTerminal t, String text, int seconds) {
    await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50))
        .untilAsserted(() -> assertThat(t.screen()).contains(text));
  }

  @Test
  void aShellIsRelayedWithTheTargetsOwnLoginAndTheConnectionIsAudited() throws Exception {
    String token = f.open("alice", "long");
    try (OpenSshTerminal t = ssh("alice@build-box", token, null)) {
      awaitPrompt(t);
      t.type("echo relayed-$((6*7)) $(whoami)\r");
      awaitScreen(t, "relayed-42 " + sshd.user, 30);
      t.type("exit\r");
      awaitScreen(t, "[ssh exit 0]", 30);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> !f.records(RecordTypes.CONNECTION_CLOSED).isEmpty());
    AuditRecord opened = f.records(RecordTypes.CONNECTION_OPENED).get(0);
    assertThat(opened.subject()).isEqualTo("alice");
    assertThat(opened.data()).containsEntry("target", "build-box").containsEntry("protocol", "ssh")
        .containsEntry("client_address", "127.0.0.1").containsEntry("ssh_user", sshd.user);
    AuditRecord closed = f.records(RecordTypes.CONNECTION_CLOSED).get(0);
    assertThat(closed.data()).containsEntry("connection_id", opened.data().get("connection_id"))
        .containsEntry("why", "client_closed");
    assertThat((Long) closed.data().get("active_messages")).isGreaterThan(1);
    assertThat((Long) closed.data().get("bytes_out")).isGreaterThan(0);
  }

  @Test
  void theTokenIsAcceptedAsAPasswordToo() throws Exception {
    try (OpenSshTerminal t = ssh("alice@build-box", f.open("alice", "long"), "echo by-password-$((6*7))",
        "-o", "PreferredAuthentications=password")) {
      awaitScreen(t, "by-password-42", 30);
      awaitScreen(t, "[ssh exit 0]", 30);
    }
  }

  @Test
  void aTokenOfAnotherSubjectAnEndedTokenAndAnUnknownTargetAreRefusedWithTheReason() throws Exception {
    String token = f.open("alice");
    try (OpenSshTerminal t = ssh("bob@build-box", token, null)) {
      awaitScreen(t, "curfew: login refused (wrong_subject)", 30);
      awaitScreen(t, "[ssh exit 255]", 30);
    }
    AuditRecord refused = f.records(RecordTypes.CONNECTION_REFUSED).get(0);
    assertThat(refused.subject()).isEqualTo("alice");
    assertThat(refused.data()).containsEntry("why", "wrong_subject").containsEntry("target", "build-box")
        .containsEntry("protocol", "ssh");

    f.sessions.logout(token).get();
    try (OpenSshTerminal t = ssh("alice@build-box", token, null)) {
      awaitScreen(t, "curfew: login refused (logged_out)", 30);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> f.records(RecordTypes.CONNECTION_REFUSED).size() == 2);
    assertThat(f.records(RecordTypes.CONNECTION_REFUSED).get(1).data()).containsEntry("why", "logged_out");

    try (OpenSshTerminal t = ssh("alice@nowhere", f.open("alice"), null)) {
      awaitScreen(t, "curfew: login refused (unknown_target)", 30);
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();
  }

  @Test
  void aSessionForAnotherPlaceIsRefusedAsWrongAudienceUntouchedAndRecorded() throws Exception {
    String web = f.open("alice", "long", Audience.route("/"));
    String otherBox = f.open("alice", "long", Audience.of("ssh:batch-box"));
    for (String token : List.of(web, otherBox)) {
      long lastActivityAtMs = f.sessions.check(token, false).get().status().lastActivityAtMs();
      try (OpenSshTerminal t = ssh("alice@build-box", token, null)) {
        awaitScreen(t, "curfew: login refused (wrong_audience)", 30);
        awaitScreen(t, "[ssh exit 255]", 30);
      }
      // Refused, not ended and not touched: the session lives on for its own place.
      assertThat(f.sessions.check(token, false).get().allowed()).isTrue();
      assertThat(f.sessions.check(token, false).get().status().lastActivityAtMs()).isEqualTo(lastActivityAtMs);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> f.records(RecordTypes.CONNECTION_REFUSED).size() == 2);
    assertThat(f.records(RecordTypes.CONNECTION_REFUSED)).allSatisfy(r -> assertThat(r.data())
        .containsEntry("why", "wrong_audience").containsEntry("target", "build-box").containsEntry("protocol", "ssh"));
    await().atMost(Duration.ofSeconds(30)).until(() -> f.records(RecordTypes.REFUSED).size() == 2);
    assertThat(f.records(RecordTypes.REFUSED)).allSatisfy(r -> assertThat(r.data())
        .containsEntry("reason", "wrong_audience").containsEntry("used_at", List.of("ssh:build-box")));
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();

    // The same session at its own place logs in.
    try (OpenSshTerminal t = ssh("alice@batch-box", otherBox, "echo right-place-$((6*7))")) {
      awaitScreen(t, "right-place-42", 30);
      awaitScreen(t, "[ssh exit 0]", 30);
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("target", "batch-box"));
  }

  @Test
  void aSessionUnderAnotherPolicyThanTheTargetsIsRefusedUntouchedAndRecorded() throws Exception {
    String lax = f.open("alice", "long", Audience.of("ssh:ops-box")); // idle 60 s where the target says 3 s
    long lastActivityAtMs = f.sessions.check(lax, false).get().status().lastActivityAtMs();
    try (OpenSshTerminal t = ssh("alice@ops-box", lax, null)) {
      awaitScreen(t, "curfew: login refused (wrong_policy)", 30);
      awaitScreen(t, "[ssh exit 255]", 30);
    }
    assertThat(f.sessions.check(lax, false).get().allowed()).isTrue();
    assertThat(f.sessions.check(lax, false).get().status().lastActivityAtMs()).isEqualTo(lastActivityAtMs);
    await().atMost(Duration.ofSeconds(30)).until(() -> f.records(RecordTypes.CONNECTION_REFUSED).size() == 1);
    AuditRecord refused = f.records(RecordTypes.CONNECTION_REFUSED).get(0);
    assertThat(refused.subject()).isEqualTo("alice");
    assertThat(refused.policy()).isEqualTo("long");
    assertThat(refused.data()).containsEntry("why", "wrong_policy").containsEntry("target", "ops-box");
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();

    try (OpenSshTerminal t = ssh("alice@ops-box", f.open("alice", "ops", Audience.of("ssh:ops-box")),
        "echo right-policy-$((6*7))")) {
      awaitScreen(t, "right-policy-42", 30);
      awaitScreen(t, "[ssh exit 0]", 30);
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("target", "ops-box"));
  }

  @Test
  void outputNeverKeepsTheSessionAliveTheWarningAndTheEndAreInTheTerminal() throws Exception {
    String token = f.open("alice");
    try (OpenSshTerminal t = ssh("alice@build-box", token, null)) {
      awaitPromptTyping(t);
      t.type("while true; do echo tick; sleep 0.2; done\r");
      long lastKeyNanos = System.nanoTime();
      awaitScreen(t, "tick", 30);
      awaitScreen(t, "\u0007curfew: this session ends at ", 30);
      assertThat(t.screen()).containsPattern("this session ends at \\d\\d:\\d\\d:\\d\\dZ \\(idle timeout\\) in \\d+ s; ");
      awaitScreen(t, "curfew: session ended (idle_timeout)", 30);
      long endedAfterMs = (System.nanoTime() - lastKeyNanos) / 1_000_000;
      String screen = t.screen();
      int warning = screen.indexOf("this session ends at");
      assertThat(screen.substring(warning)).contains("tick"); // output kept flowing after the warning
      assertThat(endedAfterMs).isGreaterThanOrEqualTo(2_500); // idle 3 s from the last keystroke
      awaitScreen(t, "[ssh exit 255]", 30); // exit-signal HUP, then the disconnect
    }
    AuditRecord expired = f.records(RecordTypes.EXPIRED).get(0);
    assertThat(expired.data()).containsEntry("reason", "idle_timeout");
    await().atMost(Duration.ofSeconds(30)).until(() -> !f.records(RecordTypes.CONNECTION_CLOSED).isEmpty());
    assertThat(f.records(RecordTypes.CONNECTION_CLOSED).get(0).data()).containsEntry("why", "session_ended")
        .containsEntry("reason", "idle_timeout");
  }

  @Test
  void keystrokesKeepTheSessionAlive() throws Exception {
    String token = f.open("alice");
    try (OpenSshTerminal t = ssh("alice@build-box", token, null)) {
      awaitPromptTyping(t);
      t.type("echo started-$((6*7))\r");
      awaitScreen(t, "started-42", 30);
      long until = System.nanoTime() + Duration.ofSeconds(6).toNanos(); // twice the idle timeout
      while (System.nanoTime() < until) {
        t.type("\r");
        Thread.sleep(700);
      }
      assertThat(t.alive()).isTrue();
      t.type("echo still-here\r");
      awaitScreen(t, "still-here", 30);
      assertThat(t.screen()).doesNotContain("session ended");
      awaitScreen(t, "curfew: session ended (idle_timeout)", 30);
    }
  }

  @Test
  void revokeCutsEveryConnectionOfTheSessionAtOnce() throws Exception {
    String token = f.open("alice", "long");
    try (OpenSshTerminal one = ssh("alice@build-box", token, null);
         OpenSshTerminal two = ssh("alice@build-box", token, null)) {
      awaitPrompt(one);
      awaitPrompt(two);
      one.type("echo first-$((6*7))\r");
      two.type("echo second-$((6*7))\r");
      awaitScreen(one, "first-42", 20);
      awaitScreen(two, "second-42", 20);
      f.sessions.revoke(f.sessionIdOf(token), "test", "leaving").get();
      awaitScreen(one, "curfew: session ended (revoked)", 2);
      awaitScreen(two, "curfew: session ended (revoked)", 2);
      awaitScreen(one, "[ssh exit 255]", 5);
      awaitScreen(two, "[ssh exit 255]", 5);
    }
  }

  @Test
  void aRunningCommandKeepsTheSessionActiveUnlessTheTargetSaysOtherwise() throws Exception {
    String token = f.open("alice");
    try (OpenSshTerminal t = ssh("alice@build-box", token, "sleep 5; echo slept-through")) {
      awaitScreen(t, "slept-through", 30);
      awaitScreen(t, "[ssh exit 0]", 30);
    }
    String other = f.open("alice", "ops", Audience.of("ssh:batch-box"));
    try (OpenSshTerminal t = ssh("alice@batch-box", other, "sleep 6; echo slept-through")) {
      awaitScreen(t, "curfew: session ended (idle_timeout)", 30);
      assertThat(t.screen()).doesNotContain("slept-through");
    }
  }

  /**
   * A policy applied to the live session shortens its idle timeout while a command runs: the
   * touches that keep it active follow the new timeout. Before, they kept the old rate (every 15 s
   * for idle 60 s), and the session ended as idle 3 s after the change, the command still running.
   */
  @Test
  void aRunningCommandKeepsTheSessionActive_thoughAPolicyShortensTheIdleTimeoutUnderIt() throws Exception {
    String token = f.open("alice", "long");
    try (OpenSshTerminal t = ssh("alice@build-box", token, "echo started; sleep 7; echo slept-through")) {
      awaitScreen(t, "started", 30);
      var change = f.sessions.changePolicy(Policy.of("long", Duration.ofSeconds(3), Duration.ofHours(1),
          Duration.ofSeconds(1), 0), true, "test").get(30, java.util.concurrent.TimeUnit.SECONDS);
      change.durable().get(30, java.util.concurrent.TimeUnit.SECONDS);
      awaitScreen(t, "slept-through", 30);
      awaitScreen(t, "[ssh exit 0]", 30);
      assertThat(t.screen()).doesNotContain("session ended");
    }
  }

  @Test
  void portForwardingIsRefusedAndAuditedAndTheConnectionGoesOn() throws Exception {
    String token = f.open("alice", "long");
    try (OpenSshTerminal t = ssh("alice@build-box", token, null, "-N", "-o", "ExitOnForwardFailure=yes",
        "-R", "0:127.0.0.1:" + sshd.port)) {
      awaitScreen(t, "remote port forwarding failed", 30);
    }
    int local = PrivateSshd.freePort();
    try (OpenSshTerminal t = ssh("alice@build-box", f.open("alice", "long"), null, "-N",
        "-L", local + ":127.0.0.1:" + sshd.port)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> canConnect(local));
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", local)) {
        s.setSoTimeout(10_000);
        assertThat(s.getInputStream().read()).isEqualTo(-1); // closed: no byte of the sshd's banner
      }
      assertThat(t.alive()).isTrue(); // the refused channel did not end the connection
      await().atMost(Duration.ofSeconds(30)).until(() -> refusals("port_forwarding").size() >= 3);
    }
    List<AuditRecord> refused = refusals("port_forwarding");
    // -R: the request to listen; -L: the local probe's channel (canConnect) and the one read above
    assertThat(refused).anySatisfy(r -> assertThat(r.data()).containsEntry("request", "tcpip-forward")
        .containsEntry("port", 0L));
    assertThat(refused).filteredOn(r -> "direct-tcpip".equals(r.data().get("request"))).hasSizeGreaterThanOrEqualTo(2)
        .allSatisfy(r -> assertThat(r.data()).containsEntry("host", "127.0.0.1").containsEntry("port", (long) sshd.port)
            .containsEntry("target", "build-box").containsEntry("protocol", "ssh").containsKey("connection_id"));
    assertThat(refused).allSatisfy(r -> assertThat(r.subject()).isEqualTo("alice"));
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).hasSize(2); // both logged in: only the forwarding was refused
  }

  @Test
  void agentAndX11ForwardingAndSubsystemsAreRefusedAndAudited() throws Exception {
    Path agentSocket = data.resolve("agent.sock");
    Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", agentSocket.toString()).redirectErrorStream(true)
        .redirectOutput(data.resolve("agent.log").toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(agentSocket));
      try (OpenSshTerminal t = OpenSshTerminal.open(f.gateway.port(), "alice@build-box", f.open("alice", "long"),
          List.of("-A"), "echo agent=${SSH_AUTH_SOCK:-none}", Map.of("SSH_AUTH_SOCK", agentSocket.toString()))) {
        awaitScreen(t, "agent=none", 30); // the target's shell got no agent
        awaitScreen(t, "[ssh exit 0]", 30);
      }
    } finally {
      agent.destroy();
    }
    try (OpenSshTerminal t = OpenSshTerminal.open(f.gateway.port(), "alice@build-box", f.open("alice", "long"),
        List.of("-X"), "echo display=${DISPLAY:-none}", Map.of("DISPLAY", "127.0.0.1:99"))) {
      awaitScreen(t, "display=none", 30);
      awaitScreen(t, "[ssh exit 0]", 30);
    }
    try (OpenSshTerminal t = ssh("alice@build-box", f.open("alice", "long"), "sftp", "-s")) {
      awaitScreen(t, "subsystem request failed", 30);
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.records(RecordTypes.CONNECTION_REFUSED))
        .extracting(r -> r.data().get("why")).containsExactlyInAnyOrder("agent_forwarding", "x11_forwarding", "subsystem"));
    assertThat(refusals("agent_forwarding")).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("request", "auth-agent-req@openssh.com"));
    assertThat(refusals("x11_forwarding")).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("request", "x11-req").containsEntry("screen", 0L));
    assertThat(refusals("subsystem")).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("subsystem", "sftp"));
  }

  private List<AuditRecord> refusals(String why) {
    return f.records(RecordTypes.CONNECTION_REFUSED).stream().filter(r -> why.equals(r.data().get("why"))).toList();
  }

  private static boolean canConnect(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void eachChannelIsRecordedAndItsHashIsInTheClosedRecord() throws Exception {
    String token = f.open("alice", "long");
    try (OpenSshTerminal t = ssh("alice@build-box", token, null)) {
      awaitPrompt(t);
      t.type("echo recorded-$((6*7))\r");
      awaitScreen(t, "recorded-42", 30);
      t.type("exit\r");
      awaitScreen(t, "[ssh exit 0]", 30);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> !f.records(RecordTypes.CONNECTION_CLOSED).isEmpty());
    Map<String, Object> closed = f.records(RecordTypes.CONNECTION_CLOSED).get(0).data();
    @SuppressWarnings("unchecked")
    Map<String, Object> rec = ((List<Map<String, Object>>) closed.get("recordings")).get(0);
    Path file = data.resolve("recordings").resolve((String) rec.get("file"));
    byte[] bytes = Files.readAllBytes(file);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    assertThat(closed).containsEntry("recording_sha256", sha);
    assertThat(rec).containsEntry("sha256", sha);
    List<String> lines = Files.readAllLines(file);
    assertThat(lines.get(0)).contains("\"version\":2").contains("\"width\":").contains("\"TERM\":\"xterm\"");
    assertThat(lines.subList(1, lines.size())).allMatch(l -> l.matches("\\[\\d+\\.\\d{6},\"o\",\".*\"\\]"));
    assertThat(String.join("\n", lines)).contains("recorded-42");
    assertThat(Files.getPosixFilePermissions(file)).hasSize(2); // owner read and write only
  }
}
