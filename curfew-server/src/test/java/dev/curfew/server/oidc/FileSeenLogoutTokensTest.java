package dev.curfew.server.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logout tokens a node has acted on, remembered across a restart (the jti replay check). */
class FileSeenLogoutTokensTest {
  @TempDir Path dir;
  final ManualClock clock = new ManualClock(Instant.parse("2026-12-03T12:00:00Z"));

  private long inMinutes(int m) {
    return clock.millis() + Duration.ofMinutes(m).toMillis();
  }

  @Test
  void aTokenSeenBeforeARestartIsStillAReplayAfterIt() {
    Path file = dir.resolve("seen");
    FileSeenLogoutTokens before = new FileSeenLogoutTokens(file, clock);
    assertThat(before.firstSighting("keycloak:j-1", inMinutes(10)).join()).isTrue();
    assertThat(before.firstSighting("keycloak:j-1", inMinutes(10)).join()).isFalse();
    assertThat(before.firstSighting("okta:j-1", inMinutes(10)).join()).as("another provider's jti").isTrue();
    before.close();

    FileSeenLogoutTokens after = new FileSeenLogoutTokens(file, clock);
    assertThat(after.firstSighting("keycloak:j-1", inMinutes(10)).join()).isFalse();
    assertThat(after.firstSighting("okta:j-1", inMinutes(10)).join()).isFalse();
    assertThat(after.firstSighting("keycloak:j-2", inMinutes(10)).join()).isTrue();
    after.close();
  }

  @Test
  void aForgottenTokenMayComeAgain_evenAfterARestart_andAnExpiredOneIsDropped() {
    Path file = dir.resolve("seen");
    FileSeenLogoutTokens a = new FileSeenLogoutTokens(file, clock);
    a.firstSighting("kc:not-carried-out", inMinutes(10)).join();
    a.firstSighting("kc:short", inMinutes(1)).join();
    a.forget("kc:not-carried-out").join();
    a.close();

    clock.advance(Duration.ofMinutes(2));
    FileSeenLogoutTokens b = new FileSeenLogoutTokens(file, clock);
    assertThat(b.firstSighting("kc:not-carried-out", inMinutes(10)).join()).isTrue();
    assertThat(b.firstSighting("kc:short", inMinutes(10)).join()).as("past its window: nothing to remember").isTrue();
    b.close();
  }

  @Test
  void keysWithSpacesAndNewlinesSurvive_andALineCutShortByACrashIsIgnored() throws Exception {
    Path file = dir.resolve("seen");
    FileSeenLogoutTokens a = new FileSeenLogoutTokens(file, clock);
    a.firstSighting("kc:a b\nc", inMinutes(10)).join();
    a.close();
    Files.writeString(file, "99999999999999 not-base64-%%%\n123", StandardCharsets.US_ASCII, StandardOpenOption.APPEND);

    FileSeenLogoutTokens b = new FileSeenLogoutTokens(file, clock);
    assertThat(b.firstSighting("kc:a b\nc", inMinutes(10)).join()).isFalse();
    b.close();
  }

  @Test
  void manyDeadLinesAreRewrittenAway() throws Exception {
    Path file = dir.resolve("seen");
    FileSeenLogoutTokens a = new FileSeenLogoutTokens(file, clock);
    for (int i = 0; i < 3000; i++) a.firstSighting("kc:" + i, clock.millis() + 1).join();
    clock.advance(Duration.ofSeconds(1));
    a.firstSighting("kc:live", inMinutes(10)).join();
    for (int i = 0; i < 1100; i++) a.firstSighting("kc:x" + i, clock.millis() + 1).join();
    a.close();
    assertThat(Files.readAllLines(file).size()).as("lines after the rewrite").isLessThan(2000);
    FileSeenLogoutTokens b = new FileSeenLogoutTokens(file, clock);
    assertThat(b.firstSighting("kc:live", inMinutes(10)).join()).isFalse();
    b.close();
  }

  @Test
  void aMemoryThatCannotBeWrittenRefusesToActRatherThanForget() throws Exception {
    Path file = dir.resolve("seen");
    FileSeenLogoutTokens a = new FileSeenLogoutTokens(file, clock);
    a.close(); // its file channel is closed: every write fails
    FileSeenLogoutTokens broken = new FileSeenLogoutTokens(file, clock);
    java.lang.reflect.Field channel = FileSeenLogoutTokens.class.getDeclaredField("channel");
    channel.setAccessible(true);
    ((java.nio.channels.FileChannel) channel.get(broken)).close();
    assertThatThrownBy(() -> broken.firstSighting("kc:j", inMinutes(10)).join())
        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(SeenLogoutTokens.Unavailable.class);
    broken.close();
  }
}
