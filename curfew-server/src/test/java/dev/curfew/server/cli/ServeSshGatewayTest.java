package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.curfew.gateway.ssh.OpenSshTerminal;
import dev.curfew.gateway.ssh.PrivateSshd;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code curfew serve} with an {@code ssh:} section in front of a private OpenSSH server, driven by
 * Debian's OpenSSH client; then {@code curfew audit verify-recording} on what it recorded.
 */
class ServeSshGatewayTest {
  @TempDir Path dir;

  private static String config(PrivateSshd sshd, int port) {
    return "policies:\n  ops:\n    idle_timeout: 60s\n    absolute_timeout: 1h\n    warn_before: 10s\n"
        + "ssh:\n  listen: 127.0.0.1:" + port + "\n  record: true\n  targets:\n"
        + "    - name: build-box\n      upstream: 127.0.0.1:" + sshd.port + "\n      user: " + sshd.user + "\n"
        + "      identity_file: " + sshd.curfewKey + "\n      host_key: \"" + sshd.hostPublicKey + "\"\n"
        + "      policy: ops\n";
  }

  @Test
  void aRecordedShellThroughServeIsProvenByTheTrailAndATamperedCopyIsNot() throws Exception {
    boolean here = PrivateSshd.available();
    if (!here && "true".equals(System.getenv("CI"))) throw new IllegalStateException("OpenSSH tools missing (see .ci/run)");
    Assumptions.assumeTrue(here, "openssh-server, sshpass or script missing: skipped outside CI");
    Path data = dir.resolve("data");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (PrivateSshd sshd = new PrivateSshd(Files.createDirectories(dir.resolve("sshd")))) {
      int port = PrivateSshd.freePort();
      CurfewConfig cfg = CurfewConfig.parse(config(sshd, port)).withOverrides(0, data);
      ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(log, true, StandardCharsets.UTF_8));
      try {
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("curfew: SSH gateway listening on 127.0.0.1:" + port);
        assertThat(Files.getPosixFilePermissions(data.resolve("ssh_host_ed25519_key")))
            .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        String web = running.sessions.open("alice", "ops", Map.of(), dev.curfew.core.Audience.route("/"), "gateway:/").join().token();
        try (OpenSshTerminal t = OpenSshTerminal.open(port, "alice@build-box", web, List.of(), null)) {
          await().atMost(Duration.ofSeconds(30)).until(() -> t.screen().contains("curfew: login refused (wrong_audience)"));
        }
        recordedShell(running, port, data);
        // while the server runs: once a checkpoint (written within a second) covers the record
        Path live;
        try (var files = Files.list(data.resolve("recordings"))) {
          live = files.findFirst().orElseThrow();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          Run r = run("audit", "verify-recording", live.toString(), "--data", data.toString());
          assertThat(r.exit).as(r.out).isZero();
          assertThat(r.out).contains("curfew audit verify-recording: OK");
        });
      } finally {
        running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
    }
    Path recording;
    try (var files = Files.list(data.resolve("recordings"))) {
      recording = files.findFirst().orElseThrow();
    }
    assertThat(Files.readString(recording)).contains("proven-42");

    Run ok = run("audit", "verify-recording", recording.toString(), "--data", data.toString());
    assertThat(ok.exit).as(ok.out).isZero();
    assertThat(ok.out).contains("curfew audit verify-recording: OK");

    Files.writeString(recording, "[9.9,\"o\",\"rm -rf /\"]\n", StandardOpenOption.APPEND);
    Run tampered = run("audit", "verify-recording", recording.toString(), "--data", data.toString());
    assertThat(tampered.exit).as(tampered.out).isEqualTo(1);
    assertThat(tampered.out).contains("FAILED: the file was changed");

    Path stranger = Files.writeString(dir.resolve("stranger.cast"), "{}\n");
    Run unknown = run("audit", "verify-recording", stranger.toString(), "--data", data.toString());
    assertThat(unknown.exit).isEqualTo(1);
    assertThat(unknown.out).contains("no connection.closed record names stranger.cast");
  }

  /** Logs in through the gateway as a person would, runs one command, leaves; waits for the recording and its record. */
  private static void recordedShell(ServeCommand.Running running, int port, Path data, String... exportArgs) throws Exception {
    String token = running.sessions.open("alice", "ops", Map.of(), dev.curfew.core.Audience.of("ssh:build-box"), "portal").join()
        .token();
    try (OpenSshTerminal t = OpenSshTerminal.open(port, "alice@build-box", token, List.of(), null)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> t.screen().matches("(?s).*[#$] $"));
      t.type("echo proven-$((6*7))\r");
      await().atMost(Duration.ofSeconds(30)).until(() -> t.screen().contains("proven-42"));
      t.type("exit\r");
      await().atMost(Duration.ofSeconds(30)).until(() -> t.screen().contains("[ssh exit 0]"));
    }
    String[] export = exportArgs.length > 0 ? exportArgs : new String[] {"--data", data.toString()};
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.list(data.resolve("recordings")).count() == 1
        && exportedTypes(export).contains("connection.closed"));
  }

  private static String exportedTypes(String... location) {
    List<String> args = new java.util.ArrayList<>(List.of("audit", "export"));
    args.addAll(List.of(location));
    return run(args.toArray(String[]::new)).out;
  }

  @Test
  void withThePostgresAuditStoreARecordingIsProvenByTheTrailThereAndATamperedCopyIsNot() throws Exception {
    boolean here = PrivateSshd.available();
    if (!here && "true".equals(System.getenv("CI"))) throw new IllegalStateException("OpenSSH tools missing (see .ci/run)");
    Assumptions.assumeTrue(here, "openssh-server, sshpass or script missing: skipped outside CI");
    Path data = dir.resolve("data");
    Path config = dir.resolve("curfew.yaml");
    try (TestDatabase database = TestDatabase.create("sshrec");
         PrivateSshd sshd = new PrivateSshd(Files.createDirectories(dir.resolve("sshd")))) {
      int port = PrivateSshd.freePort();
      Files.writeString(config, "node: node-a\ndata_dir: " + data + "\naudit: postgres\n"
          + "postgres: { url: \"jdbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/" + database.name()
          + "\", user: " + TestDatabase.USER + " }\n" + config(sshd, port));
      CurfewConfig cfg = CurfewConfig.load(config).withOverrides(0, null);
      ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      try {
        recordedShell(running, port, data, "--config", config.toString());
      } finally {
        running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
      Path recording;
      try (var files = Files.list(data.resolve("recordings"))) {
        recording = files.findFirst().orElseThrow();
      }
      Run ok = run("audit", "verify-recording", recording.toString(), "--config", config.toString());
      assertThat(ok.exit).as(ok.out).isZero();
      assertThat(ok.out).contains("curfew audit verify-recording: OK").contains("(node node-a");

      Path keys = Files.writeString(dir.resolve("keys.txt"),
          run("audit", "public-key", "--config", config.toString()).out);
      Run trusted = run("audit", "verify-recording", recording.toString(), "--config", config.toString(),
          "--public-key", keys.toString());
      assertThat(trusted.exit).as(trusted.out).isZero();

      String recorded = VerifyRecordingCommand.sha256(recording);
      Files.writeString(recording, "[9.9,\"o\",\"rm -rf /\"]\n", StandardOpenOption.APPEND);
      Run tampered = run("audit", "verify-recording", recording.toString(), "--config", config.toString());
      assertThat(tampered.exit).as(tampered.out).isEqualTo(1);
      assertThat(tampered.out).contains("FAILED: the file was changed");

      Path stranger = Files.writeString(dir.resolve("stranger.cast"), "{}\n");
      Run unknown = run("audit", "verify-recording", stranger.toString(), "--config", config.toString());
      assertThat(unknown.exit).isEqualTo(1);
      assertThat(unknown.out).contains("no connection.closed record names stranger.cast");

      // the edited file's hash written into the trail: caught, as the trail no longer verifies
      database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
          + " UPDATE audit_records SET line = replace(line, '" + recorded + "', '" + VerifyRecordingCommand.sha256(recording)
          + "') WHERE line LIKE '%connection.closed%'");
      Run edited = run("audit", "verify-recording", recording.toString(), "--config", config.toString());
      assertThat(edited.exit).as(edited.out).isEqualTo(1);
      assertThat(edited.out).contains("FAILED: the audit log does not verify");
    }
  }

  @Test
  void verifyRecordingHasHelp() {
    Run help = run("audit", "verify-recording", "--help");
    assertThat(help.exit).isZero();
    assertThat(help.out).contains("verify-recording").contains("--data").contains("--config");
  }

  @Test
  void theSshSectionIsReadStrictlyAndErrorsNameTheKey() {
    String target = "ssh:\n  targets:\n    - name: build-box\n      upstream: 127.0.0.1:22\n      user: deploy\n"
        + "      identity_file: /etc/curfew/deploy_ed25519\n";
    assertThat(keyOf(target)).isEqualTo("ssh.targets[0].known_hosts");
    assertThat(keyOf(target + "      known_hosts: /etc/ssh/ssh_known_hosts\n      policy: nope\n"))
        .isEqualTo("ssh.targets[0].policy");
    assertThat(keyOf(target + "      known_hosts: kh\n      bogus: 1\n")).isEqualTo("ssh.targets[0].bogus");
    assertThat(keyOf("ssh:\n  listen: 127.0.0.1\n  targets: []\n")).isEqualTo("ssh.listen");
    assertThat(keyOf("ssh:\n  listen: 127.0.0.1:2222\n")).isEqualTo("ssh.targets");
    assertThat(keyOf("ssh:\n  record: yes please\n")).isEqualTo("ssh.record");
    assertThat(keyOf(target.replace("upstream: 127.0.0.1:22", "upstream: 127.0.0.1:99999") + "      known_hosts: kh\n"))
        .isEqualTo("ssh.targets[0].upstream");
    CurfewConfig ok = CurfewConfig.parse(target + "      known_hosts: /etc/ssh/ssh_known_hosts\n");
    assertThat(ok.ssh().settings(Path.of("/var/lib/curfew")).hostKeyFile())
        .isEqualTo(Path.of("/var/lib/curfew/ssh_host_ed25519_key"));
    assertThat(ok.ssh().port()).isEqualTo(2222);
    assertThat(ok.ssh().targets().get(0).busyIsActivity()).isTrue();
    // a target that names no policy is governed by default_policy (spec: "omit: default_policy")
    assertThat(ok.ssh().targets().get(0).policy()).isEqualTo(ok.defaultPolicy()).isNotNull();
    CurfewConfig named = CurfewConfig.parse("policies:\n  ops: { idle_timeout: 5m, absolute_timeout: 1h }\n"
        + "  dba: { idle_timeout: 2m, absolute_timeout: 1h }\ndefault_policy: dba\n"
        + target + "      known_hosts: kh\n      policy: ops\n");
    assertThat(named.ssh().targets().get(0).policy()).isEqualTo("ops");
  }

  private static String keyOf(String yaml) {
    try {
      CurfewConfig.parse(yaml);
    } catch (ConfigException e) {
      return e.key();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  record Run(int exit, String out) {}

  static Run run(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    java.io.PrintWriter pw = new java.io.PrintWriter(bytes, true, StandardCharsets.UTF_8);
    CommandLine cl = Main.commandLine();
    cl.setOut(pw);
    cl.setErr(pw);
    int exit = cl.execute(args);
    pw.flush();
    return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
  }
}
