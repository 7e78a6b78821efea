package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ids of the gateway's greetings ({@link MyConnectionIds}): never two alike among live connections. */
class MyConnectionIdsTest {

  @Test
  void idsCountUpFromOne_andAreNeverGivenTwiceWhileLive() {
    MyConnectionIds<String> ids = new MyConnectionIds<>();
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) assertThat(seen.add(ids.register("c" + i))).isTrue();
    assertThat(seen).contains(1L, 2L, 3L, 10_000L).allMatch(id -> id >= 1 && id <= MyConnectionIds.MAX);
    assertThat(ids.get(3)).isEqualTo("c2");
  }

  @Test
  void atTheEndOfTheRange_idsWrap_steppingOverThoseStillLive() {
    MyConnectionIds<String> ids = new MyConnectionIds<>(3);
    assertThat(ids.register("a")).isEqualTo(1);
    assertThat(ids.register("b")).isEqualTo(2);
    assertThat(ids.register("c")).isEqualTo(3);
    ids.release(2, "b");
    assertThat(ids.register("d")).isEqualTo(2); // 1 is still a's
    ids.release(3, "c");
    assertThat(ids.register("e")).isEqualTo(3);
    assertThat(ids.get(1)).isEqualTo("a");
    assertThat(ids.get(2)).isEqualTo("d");
  }

  @Test
  void aReleasedIdIsFree_andOnlyItsOwnerReleasesIt() {
    MyConnectionIds<String> ids = new MyConnectionIds<>();
    long id = ids.register("a");
    ids.release(id, "someone else");
    assertThat(ids.get(id)).isEqualTo("a");
    ids.release(id, "a");
    assertThat(ids.get(id)).isNull();
    assertThat(ids.get(0)).isNull();
    assertThat(ids.get(-1)).isNull();
    assertThat(ids.get(MyConnectionIds.MAX + 1)).isNull();
  }
}
