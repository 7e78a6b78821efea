package dev.curfew.bench.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The crash loop's verdicts can fail: each kind of violation is caught. */
class JudgeTest {
  private final Judge judge = new Judge();

  /** A session opened at 1,000 (answered at 1,010) under a 2 s idle, 6 s absolute policy. */
  private static Tracked session() {
    return new Tracked("s_1", "cft_x", "short", 2_000, 6_000, 1_000, 1_010);
  }

  @Test
  void validAfterAnAcknowledgedLogout_isARevival() {
    Tracked t = session();
    t.acknowledgedEnd = "logged_out";
    judge.answer(t, true, null, 1_500, "read");
    assertThat(judge.first()).singleElement().asString().startsWith("revived");
  }

  @Test
  void validAfterTheServerSaidItEnded_isARevival() {
    Tracked t = session();
    judge.answer(t, false, "idle_timeout", 3_100, "read");
    assertThat(judge.count()).isZero();
    judge.answer(t, true, null, 3_200, "after restart");
    assertThat(judge.first()).singleElement().asString().startsWith("revived");
  }

  @Test
  void validPastTheLatestPossibleDeadline_outlivedIt() {
    Tracked t = session();
    judge.answer(t, true, null, 1_010 + 2_000 + Judge.MARGIN_MS, "read");
    assertThat(judge.count()).isZero();
    judge.answer(t, true, null, 1_010 + 2_000 + Judge.MARGIN_MS + 1, "read");
    assertThat(judge.first()).singleElement().asString().startsWith("outlived");
  }

  @Test
  void endedBeforeTheDeadlineOfAnAcknowledgedExtension_isALostChange() {
    Tracked t = session();
    t.durableActivitySentMs = 2_500; // an acknowledged extension: idle deadline at least 4,500
    t.lastContactMs = 2_600;
    judge.answer(t, false, "idle_timeout", 4_000, "after restart");
    assertThat(judge.first()).singleElement().asString().startsWith("lost");
  }

  @Test
  void endedAfterALostTouch_isAllowed_theTouchWasNeverDurable() {
    Tracked t = session();
    t.lastContactMs = 2_500; // a touch answered 200, then a crash before the next snapshot
    judge.answer(t, false, "idle_timeout", 3_100, "after restart");
    assertThat(judge.count()).isZero();
  }

  @Test
  void unknownAfterRestart_orEndedForAReasonNobodyGave_isALostChange() {
    judge.answer(session(), false, "unknown", 1_100, "after restart");
    judge.answer(session(), false, "revoked", 1_100, "after restart");
    assertThat(judge.first()).hasSize(2).allSatisfy(v -> assertThat(v).startsWith("lost"));
  }

  @Test
  void aLogoutWhoseAnswerWasLost_mayHaveHappened() {
    Tracked t = session();
    t.possibleEnd = "logged_out";
    judge.answer(t, false, "logged_out", 1_100, "after restart");
    assertThat(judge.count()).isZero();
  }

  @Test
  void anAcknowledgedRevocation_mustKeepItsReason() {
    Tracked t = session();
    t.acknowledgedEnd = "revoked";
    judge.answer(t, false, "revoked", 1_100, "after restart");
    assertThat(judge.count()).isZero();
    judge.answer(t, false, "idle_timeout", 9_000, "after restart");
    assertThat(judge.first()).singleElement().asString().startsWith("wrong reason");
  }
}
