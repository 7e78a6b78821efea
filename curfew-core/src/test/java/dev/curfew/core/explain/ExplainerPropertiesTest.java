package dev.curfew.core.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The explained timeline agrees with a model of the policy written from its definition. */
class ExplainerPropertiesTest {
  private static final Policy P = Policy.of("p", Duration.ofMinutes(10), Duration.ofMinutes(45), Duration.ofMinutes(1), 0);

  @Property(tries = 200, seed = "20261128")
  void endsWhereTheDefinitionSays(@ForAll @Size(max = 12) List<@IntRange(min = 0, max = 15) Integer> gapsMinutes) {
    List<Explanation.TraceStep> trace = new ArrayList<>();
    long t = 0;
    for (int gap : gapsMinutes) {
      t += gap * 60_000L;
      trace.add(new Explanation.TraceStep(t, Explanation.TraceStep.Kind.ACTIVITY));
    }
    // Model: walk the activity; the session ends at the first instant that is >= min(idle, absolute).
    long idle = P.idleTimeoutMs();
    long absolute = P.absoluteTimeoutMs();
    long end = -1;
    for (Explanation.TraceStep s : trace) {
      if (s.offsetMs() >= Math.min(idle, absolute)) break;
      idle = s.offsetMs() + P.idleTimeoutMs();
    }
    end = Math.min(idle, absolute);
    String reason = absolute <= idle ? "absolute_timeout" : "idle_timeout";

    Explanation e = Explainer.explain(P, trace);
    assertThat(e.endOffsetMs()).isEqualTo(end);
    assertThat(e.endReason()).isEqualTo(reason);
    // every warning comes exactly warn_before ahead of the end it announces
    e.events().stream().filter(ev -> ev.type().equals("session.warning_sent"))
        .forEach(ev -> assertThat(ev.expiresAtOffsetMs() - ev.offsetMs()).isEqualTo(P.warnBeforeMs()));
  }
}
