package dev.curfew.core.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A program or library a test drives (nginx, psql, openssl, libfaketime, chromium ...). {@code
 * .ci/run} installs every one of them, so in CI ({@code CI} set in the environment) a missing tool
 * fails the test: a skip there would let a submission land with the test never run. On a
 * developer's machine the test skips and says what to install.
 */
public final class RequiredTool {
  private RequiredTool() {}

  /** Fails in CI, skips elsewhere, when {@code present} is false. */
  public static void require(boolean present, String what) {
    if (present) return;
    if (inCi()) Assertions.fail(what + " is not installed; .ci/run installs it, and in CI a missing tool fails");
    Assumptions.assumeTrue(false, what + " is not installed: skipping (in CI this fails)");
  }

  public static boolean inCi() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
  }
}
