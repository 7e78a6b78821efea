package dev.curfew.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.EndReason;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The connections of a session, added and removed from several event loops at once. */
class SessionConnectionsTest {
  /** A connection that remembers its end. */
  private static final class Recorded implements GovernedConnection {
    final AtomicReference<EndReason> ended = new AtomicReference<>();

    @Override
    public void warn(long expiresAtMs, long secondsLeft) {}

    @Override
    public void end(EndReason reason) {
      ended.set(reason);
    }
  }

  @Test
  void aConnectionAddedWhileAnotherOfItsSessionLeavesIsStillEndedWithTheSession() throws Exception {
    // One loop removes the session's last connection while another adds a new one: the new one must
    // stay reachable (a set emptied and dropped from the map between "find the set" and "add to it"
    // would hide it from the revocation).
    int rounds = 200_000;
    SessionConnections all = new SessionConnections();
    CyclicBarrier start = new CyclicBarrier(2);
    Recorded[] added = new Recorded[rounds];
    Recorded[] leaving = new Recorded[rounds];
    for (int i = 0; i < rounds; i++) {
      added[i] = new Recorded();
      leaving[i] = new Recorded();
    }
    Thread remover = new Thread(() -> {
      for (int i = 0; i < rounds; i++) {
        await(start);
        all.remove("s" + i, leaving[i]);
      }
    });
    remover.start();
    for (int i = 0; i < rounds; i++) {
      all.add("s" + i, leaving[i]);
      await(start);
      all.add("s" + i, added[i]);
    }
    remover.join();
    for (int i = 0; i < rounds; i++) {
      all.publish("s" + i, "revoked", Map.of("reason", "revoked"));
    }
    int lost = 0;
    for (Recorded r : added) if (r.ended.get() == null) lost++;
    assertThat(lost).as("connections hidden from their session's end").isZero();
    assertThat(all.count()).isZero();
  }

  private static void await(CyclicBarrier b) {
    try {
      b.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
