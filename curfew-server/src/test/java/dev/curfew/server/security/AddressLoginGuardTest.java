package dev.curfew.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import dev.curfew.gateway.db.LoginGuard;
import dev.curfew.server.security.RateLimiter.Rate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The protocol gateways' guard is the bucket {@code failed_checks_per_address} of {@link
 * RateLimits}: 3 a minute here, on a clock moved by hand. Failures at a gateway and at the HTTP
 * side (which charges {@link RateLimits#failedCheckFrom} under the key of the request's peer) use
 * up one budget; another address keeps its own; time gives tries back.
 */
class AddressLoginGuardTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-12-04T00:00:00Z"));
  private final RateLimits limits = new RateLimits(limit(Rate.of(3, Duration.ofMinutes(1))), clock);
  private final AddressLoginGuard guard = new AddressLoginGuard(limits);

  private static RateLimits.Settings limit(Rate perAddress) {
    RateLimits.Settings d = RateLimits.Settings.defaults();
    return new RateLimits.Settings(true, d.openPerKey(), d.openPerSubject(), d.extendPerSubject(), d.failedChecksPerKey(),
        perAddress, d.maxTracked(), List.of());
  }

  @Test
  void theFourthFailureFromOneAddress_isRefused_anotherAddressIsNot_andTimeGivesTriesBack() {
    for (int i = 0; i < 3; i++) {
      assertThat(guard.admit("192.0.2.7").join()).as("try %d", i).isNull();
      guard.failed("192.0.2.7");
    }
    LoginGuard.Refusal r = guard.admit("192.0.2.7").join();
    assertThat(r).isNotNull();
    assertThat(r.limit()).isEqualTo("failed_checks_per_address");
    assertThat(r.retryAfterSeconds()).isEqualTo(20); // one try back every 20 s at 3 a minute
    assertThat(r.detail()).contains("3").contains("retry in 20 s");
    assertThat(guard.admit("192.0.2.8").join()).as("another address").isNull();

    clock.advance(Duration.ofSeconds(20));
    assertThat(guard.admit("192.0.2.7").join()).as("a try is back").isNull();
  }

  @Test
  void failuresAtTheHttpSideAndAtAGateway_shareOneBudgetPerAddress() {
    String httpKey = limits.clientKey("192.0.2.9", List.of());
    limits.failedCheckFrom(httpKey); // as Throttle charges an unknown token at /v1/session
    limits.failedCheckFrom(httpKey);
    guard.failed("192.0.2.9");
    assertThat(guard.admit("192.0.2.9").join()).as("the gateway sees the HTTP failures").isNotNull();
    assertThat(limits.failedChecksFrom(httpKey)).as("and the HTTP side the gateway's").isNotNull();
    assertThat(limits.failedChecksFrom(limits.clientKey("192.0.2.10", List.of()))).isNull();
  }

  @Test
  void unlimited_refusesNothing() {
    AddressLoginGuard open = new AddressLoginGuard(RateLimits.unlimited());
    for (int i = 0; i < 1000; i++) open.failed("192.0.2.7");
    assertThat(open.admit("192.0.2.7").join()).isNull();
  }
}
