package dev.curfew.core.fuzz;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one {@code @FuzzTest} method through JUnit in this JVM: with {@code JAZZER_FUZZ=1} Jazzer
 * fuzzes it (one fuzz test per JVM is all Jazzer allows), for {@code JAZZER_MAX_DURATION}.
 * Usage: {@code FuzzMain CLASS#METHOD}. Exit 0 when it passed, 1 on a finding or failure.
 */
public final class FuzzMain {
  public static void main(String[] args) {
    if (args.length != 1 || !args[0].contains("#")) {
      System.err.println("usage: FuzzMain CLASS#METHOD");
      System.exit(2);
    }
    // As in the ordinary build (the parent POM's surefire configuration): no jqwik run database.
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectMethod(args[0]))
        .configurationParameter("jqwik.database", "").build();
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    TestExecutionSummary s = listener.getSummary();
    s.printFailuresTo(new java.io.PrintWriter(System.out, true), 30);
    System.out.printf("fuzz %s: %d tests, %d failed%n", args[0], s.getTestsFoundCount(), s.getTotalFailureCount());
    System.exit(s.getTotalFailureCount() == 0 && s.getTestsFoundCount() > 0 ? 0 : 1);
  }

  private FuzzMain() {}
}
