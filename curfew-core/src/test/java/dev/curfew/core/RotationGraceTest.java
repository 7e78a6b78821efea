package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Token rotation with a grace: the requests that were already under way with the previous token
 * when it rotated get the new token instead of ending the session; a reuse after the grace is a
 * replay (issue 12, item 6).
 */
class RotationGraceTest {
  static final Policy ROTATING = Policy.builder("rotating").renewEvery(Duration.ofMinutes(5)).build();

  @Test
  void previousTokenWithinTheGraceGetsTheNewToken_toTheMillisecond() {
    EngineFixture f = new EngineFixture(ROTATING);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(5));
    Decision rotated = f.engine.check(t1, true);
    String t2 = rotated.token();
    assertThat(t2).isNotNull().isNotEqualTo(t1);
    long grace = RotationGrace.DEFAULT.duration().toMillis();

    f.clock.advance(Duration.ofMillis(grace - 1));
    for (boolean touch : new boolean[] {true, false}) {
      Decision late = f.engine.check(t1, touch);
      assertThat(late.allowed()).as("the previous token 1 ms before the grace ends").isTrue();
      assertThat(late.token()).isEqualTo(t2);
      assertThat(late.status().sessionId()).isEqualTo(rotated.status().sessionId());
    }
    assertThat(f.types()).doesNotContain("session.revoked");

    f.clock.advance(Duration.ofMillis(1));
    Decision replayed = f.engine.check(t1, true);
    assertThat(replayed.reason()).as("the previous token at the instant the grace ends").isEqualTo(EndReason.REPLAYED);
    assertThat(f.engine.check(t2, true).reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(f.types().stream().filter("session.revoked"::equals)).hasSize(1);
  }

  @Test
  void aTouchWithThePreviousTokenWithinTheGraceCountsAsActivityAndNeverRotatesAgain() {
    EngineFixture f = new EngineFixture(ROTATING);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(5));
    String t2 = f.engine.check(t1, true).token();
    f.clock.advance(Duration.ofSeconds(1));
    Decision d = f.engine.check(t1, true);
    assertThat(d.token()).isEqualTo(t2);
    assertThat(d.status().lastActivityAtMs()).isEqualTo(f.clock.millis());
    assertThat(f.types().stream().filter("session.rotated"::equals)).hasSize(1);
    assertThat(f.engine.check(t2, true).token()).as("t2 is the current token, not due yet").isNull();
  }

  @Test
  void theGraceIsNeverLongerThanRenewEvery_soOnlyTheCurrentTokenIsEverHandedOut() {
    Policy fast = Policy.builder("fast").renewEvery(Duration.ofSeconds(2)).build();
    EngineFixture f = new EngineFixture(fast);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofSeconds(2));
    String t2 = f.engine.check(t1, true).token();
    f.clock.advance(Duration.ofMillis(1_999));
    assertThat(f.engine.check(t1, false).token()).isEqualTo(t2);
    f.clock.advance(Duration.ofMillis(1));
    assertThat(f.engine.check(t1, false).reason()).isEqualTo(EndReason.REPLAYED);
  }

  @Test
  void otherOperationsWithThePreviousTokenWithinTheGraceActOnTheSession() {
    EngineFixture f = new EngineFixture(ROTATING);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(5));
    String t2 = f.engine.check(t1, true).token();
    assertThat(f.engine.extend(t1).allowed()).isTrue();
    assertThat(f.engine.logout(t1).allowed()).isTrue();
    assertThat(f.engine.check(t2, false).reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(f.types()).doesNotContain("session.revoked");
  }

  @Test
  void aZeroGraceKeepsTheStrictReplayRule() {
    EngineFixture f = new EngineFixture(RotationGrace.of(Duration.ZERO), ROTATING);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(5));
    assertThat(f.engine.check(t1, true).token()).isNotNull();
    assertThat(f.engine.check(t1, true).reason()).isEqualTo(EndReason.REPLAYED);
  }

  @Test
  void theGraceIsBounded() {
    assertThat(RotationGrace.DEFAULT.duration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(RotationGrace.of(RotationGrace.MAX).duration()).isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> RotationGrace.of(Duration.ofSeconds(31))).hasMessage("must be at most 30s, not 31s");
    assertThatThrownBy(() -> RotationGrace.of(Duration.ofMillis(-1))).hasMessage("must not be negative, not -1ms");
    assertThat(RotationGrace.of(Duration.ofSeconds(10)).windowMs(4_000)).isEqualTo(4_000);
    assertThat(RotationGrace.of(Duration.ofSeconds(10)).windowMs(60_000)).isEqualTo(10_000);
  }

  @Test
  void noAuditRecordEverHoldsTheNewTokenOrItsSealedForm() {
    EngineFixture f = new EngineFixture(ROTATING);
    String t1 = f.open("alice").token();
    f.clock.advance(Duration.ofMinutes(5));
    String t2 = f.engine.check(t1, true).token();
    f.engine.check(t1, true);
    for (String line : f.sink.lines()) {
      assertThat(line).doesNotContain(t1).doesNotContain(t2).doesNotContain(t2.substring(4));
    }
    assertThat(f.engine.snapshot().toString()).doesNotContain(t2);
  }

  @Test
  void sealedTokenOpensOnlyWithThePreviousToken() {
    String previous = Tokens.newToken();
    String next = Tokens.newToken();
    String sealed = SealedToken.seal(next, previous);
    assertThat(sealed).doesNotContain(next.substring(4));
    assertThat(SealedToken.open(sealed, previous)).isEqualTo(next);
    assertThat(SealedToken.open(sealed, Tokens.newToken())).isNull();
    assertThat(SealedToken.open(sealed.substring(0, sealed.length() - 2) + "AA", previous)).isNull();
    assertThat(SealedToken.open("not base64 !", previous)).isNull();
    assertThat(SealedToken.seal(next, previous)).as("a fresh nonce every time").isNotEqualTo(sealed);
  }
}
