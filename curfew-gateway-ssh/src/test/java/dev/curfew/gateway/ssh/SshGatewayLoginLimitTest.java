package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.gateway.db.testing.CountingLoginGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH gateway asks its {@link dev.curfew.gateway.db.LoginGuard} before it looks at a login's
 * token: with 3 failures allowed, the 4th login from one address fails even with the right token,
 * and OpenSSH (typed into by sshpass) shows the disconnect naming the limit and the retry time.
 */
class SshGatewayLoginLimitTest {
  static PrivateSshd sshd;
  @TempDir Path data;

  @BeforeAll
  static void start() throws Exception {
    sshd = PrivateSshd.startOrSkip();
  }

  @AfterAll
  static void stop() throws Exception {
    if (sshd != null) sshd.close();
  }

  @Test
  void afterThreeGuessesFromOneAddress_evenTheRightTokenFails_andOpenSshShowsTheLimit() throws Exception {
    CountingLoginGuard guard = new CountingLoginGuard(3, 42_000);
    try (GatewayFixture f = new GatewayFixture(data, List.of(sshd.target("build-box", true)), false, s -> s, guard)) {
      String token = f.open("alice", "long");
      Result ok = ssh(f, "alice@build-box", token);
      assertThat(ok.exit).as(ok.out).isZero();
      assertThat(ok.out).contains("in-42");

      assertThat(ssh(f, "alice@build-box", "cft_" + "x".repeat(43)).out).contains("curfew: login refused (unknown)");
      assertThat(ssh(f, "alice@build-box", "not a token").out).contains("curfew: login refused (unknown)");
      assertThat(ssh(f, "mallory@build-box", token).out).contains("curfew: login refused (wrong_subject)");
      assertThat(guard.told).containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1");

      Result limited = ssh(f, "alice@build-box", token);
      assertThat(limited.exit).isNotZero();
      assertThat(limited.out).contains("curfew: too many unknown session tokens from this address "
          + "(failed_checks_per_address); retry in 42 s").doesNotContain("in-42");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !refused(f, "rate_limited").isEmpty());
      assertThat(refused(f, "rate_limited").get(0).data()).containsEntry("limit", "failed_checks_per_address")
          .containsEntry("retry_after_s", 42L).containsEntry("client_address", "127.0.0.1")
          .containsEntry("protocol", "ssh").containsEntry("repeats", 0L);
      assertThat(guard.told).as("a refused login is not looked at, so not counted again").hasSize(3);
    }
  }

  private static List<AuditRecord> refused(GatewayFixture f, String why) {
    return f.records(RecordTypes.CONNECTION_REFUSED).stream().filter(r -> why.equals(r.data().get("why"))).toList();
  }

  private record Result(int exit, String out) {}

  /** One OpenSSH login with {@code token} as the password, running a command; stdout and stderr together. */
  private static Result ssh(GatewayFixture f, String user, String token) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sshpass", "-e", "ssh", "-p", Integer.toString(f.gateway.port()),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=20",
        "-l", user, "127.0.0.1", "echo in-$((6*7))").redirectErrorStream(true);
    pb.environment().put("SSHPASS", token);
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("ssh did not finish");
    }
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
