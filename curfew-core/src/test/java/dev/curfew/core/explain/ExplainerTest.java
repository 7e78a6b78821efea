package dev.curfew.core.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainerTest {
  private static final Policy STANDARD =
      Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 10);

  @Test
  void noActivity_warnsAtThirteenMinutesAndEndsAtFifteen() {
    Explanation e = Explainer.explain(STANDARD, List.of());
    assertThat(e.events()).extracting(Explanation.Event::type)
        .containsExactly("session.created", "session.warning_sent", "session.expired");
    assertThat(e.events().get(1).offsetMs()).isEqualTo(Duration.ofMinutes(13).toMillis());
    assertThat(e.endOffsetMs()).isEqualTo(Duration.ofMinutes(15).toMillis());
    assertThat(e.endReason()).isEqualTo("idle_timeout");
  }

  @Test
  void theWarningsLeadIsInItsNaturalUnit() {
    // STANDARD warns 2 minutes before the end: "2m from now", not "120 s from now".
    assertThat(Explainer.text(Explainer.explain(STANDARD, List.of()))).contains("(2m from now)").doesNotContain(" s from now");
  }

  @Test
  void activityTrace_movesTheIdleDeadline() {
    Explanation e = Explainer.explain(STANDARD, Explanation.parseTrace("0s,5m,9m"));
    assertThat(e.endOffsetMs()).isEqualTo(Duration.ofMinutes(24).toMillis());
    assertThat(e.events()).filteredOn(ev -> ev.type().equals("session.warning_sent"))
        .extracting(Explanation.Event::offsetMs).containsExactly(Duration.ofMinutes(22).toMillis());
    assertThat(Explainer.text(e)).contains("+22m", "+24m", "idle_timeout", "an extension is possible now (10 left)");
  }

  @Test
  void text_namesTheConcurrencyLimit_whenThePolicyHasOne() {
    Explanation plain = Explainer.explain(STANDARD, Explanation.parseTrace("0s"));
    assertThat(Explainer.text(plain)).doesNotContain("concurrent");
    Policy limited = STANDARD.withConcurrency(dev.curfew.core.ConcurrencyLimit.of(3, "end_oldest", null));
    assertThat(Explainer.text(Explainer.explain(limited, Explanation.parseTrace("0s"))).lines().findFirst().orElseThrow())
        .endsWith(", concurrent sessions: 3 per subject, end_oldest");
  }

  @Test
  void extensionsInTheTraceAreCountedAndCapped() {
    Policy p = Policy.of("p", Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofMinutes(1), 1);
    Explanation e = Explainer.explain(p, Explanation.parseTrace("9m:extend,18m:extend"));
    assertThat(e.events()).extracting(Explanation.Event::type).contains("session.extended", "session.extension_refused");
    assertThat(e.endOffsetMs()).isEqualTo(Duration.ofMinutes(19).toMillis());
  }

  @Test
  void absoluteDeadlineEndsAnActiveSession() {
    Policy p = Policy.of("p", Duration.ofMinutes(10), Duration.ofMinutes(25), Duration.ofMinutes(1), 5);
    Explanation e = Explainer.explain(p, Explanation.parseTrace("5m,10m,15m,20m,24m"));
    assertThat(e.endReason()).isEqualTo("absolute_timeout");
    assertThat(e.endOffsetMs()).isEqualTo(Duration.ofMinutes(25).toMillis());
    assertThat(Explainer.text(e)).contains("no extension can help: this is the absolute deadline");
  }

  @Test
  void traceAfterTheEndIsIgnored_andLogoutEnds() {
    Explanation e = Explainer.explain(STANDARD, Explanation.parseTrace("1m:logout,5m"));
    assertThat(e.endReason()).isEqualTo("logged_out");
    assertThat(e.endOffsetMs()).isEqualTo(60_000);
  }

  @Test
  void badTraces() {
    assertThatThrownBy(() -> Explanation.parseTrace("5m,1m")).hasMessageContaining("time order");
    assertThatThrownBy(() -> Explanation.parseTrace("5x")).hasMessageContaining("not a duration");
    assertThatThrownBy(() -> Explanation.parseTrace("5m:dance")).hasMessageContaining("unknown trace step");
  }
}
