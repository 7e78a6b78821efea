package dev.curfew.sample;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sign-in's {@code return} parameter leads only to this app's own pages. */
class ReturnToPageTest {
  @Test
  void onlyPathsOfThisAppAreFollowed() {
    assertThat(ReturnToPage.local("/")).isTrue();
    assertThat(ReturnToPage.local("/orders/7?tab=notes")).isTrue();
    for (String away : new String[] {null, "", "https://evil.example/", "//evil.example", "/\\evil.example",
        "/\t/evil.example", "/\n/evil.example", "\t//evil.example", "evil.example"}) {
      assertThat(ReturnToPage.local(away)).as(String.valueOf(away)).isFalse();
    }
  }
}
