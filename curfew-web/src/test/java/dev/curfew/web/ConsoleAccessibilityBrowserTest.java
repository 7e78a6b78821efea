package dev.curfew.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * Every console page checked by axe-core (Deque's accessibility engine, the copy bundled in its
 * Selenium package) against its WCAG 2.0, 2.1 and 2.2 level A and AA rules, in a real headless
 * Chromium at 1280 × 800, with sessions and filtered audit records on show. A violation names its
 * rule and the elements.
 */
class ConsoleAccessibilityBrowserTest {
  /** axe-core's tags for WCAG 2.x levels A and AA (axe-core's rule descriptions). */
  static final List<String> WCAG_A_AA = List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa");
  /**
   * axe-core's rules for WCAG A/AA criteria that it tags "experimental" as well: a run by tags
   * leaves them out unless they are named (label-content-name-mismatch, SC 2.5.3 Label in Name,
   * is one). Named here so that they run too (axe-core 4.10).
   */
  static final List<String> WCAG_A_AA_EXPERIMENTAL = List.of("label-content-name-mismatch", "css-orientation-lock",
      "p-as-heading", "table-fake-caption", "td-has-header");

  private static ConsoleServer server;
  private static Browser b;
  private static WebDriver d;
  private static ConsolePages pages;
  private static String axe;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Browser.available() || System.getenv("CI") != null, "chromedriver is not installed");
    try (InputStream in = ConsoleAccessibilityBrowserTest.class.getClassLoader().getResourceAsStream("axe.min.js")) {
      if (in == null) throw new IllegalStateException("axe.min.js is not on the test class path (com.deque.html.axe-core:selenium)");
      axe = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server = new ConsoleServer(null);
    b = new Browser(1280, 800);
    d = b.driver;
    pages = new ConsolePages(d, server);
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) b.close();
    if (server != null) server.close();
  }

  @Test
  void everyPageMeetsWcagLevelsAAndAA_asAxeCoreChecksThem() {
    d.get(server.url("/console/login"));
    assertThat(violations()).as("/console/login").isEmpty();

    String id = server.open("nora@example.com", "standard").get("session_id").asText();
    server.open("oscar@example.com", "demo");
    WebElement field = d.findElement(By.id("api_key"));
    field.sendKeys(ConsoleServer.ADMIN_KEY);
    field.submit();
    pages.within(x -> !pages.path().startsWith("/console/login") ? true : null);
    for (String page : List.of("/console", "/console/sessions", "/console/sessions/" + id, "/console/audit", "/console/policies")) {
      pages.open(page);
      pages.within(x -> page.equals("/console/policies") && d.findElements(By.id("compliance-status")).isEmpty() ? null : true);
      pages.within(x -> page.equals("/console/audit") && d.findElements(By.cssSelector("[aria-labelledby=a-recent] tbody tr")).isEmpty()
          ? null : true);
      assertThat(violations()).as(page).isEmpty();
    }
    // The audit trail filtered, with an error shown.
    d.get(server.url("/console/audit"));
    pages.within(x -> d.findElements(By.cssSelector("[aria-labelledby=a-recent] tbody tr")).isEmpty() ? null : true);
    b.js("document.getElementById('r-from').value = '2026-12-03T12:00:00'; document.getElementById('r-to').value = '2026-12-03T11:00:00';");
    d.findElement(By.xpath("//form[@aria-label='Filter records']//button[normalize-space()='Show']")).click();
    pages.within(x -> d.findElement(By.id("r-error")).isDisplayed() ? true : null);
    assertThat(violations()).as("/console/audit, a refused range").isEmpty();

    // The engine does find what it looks for: a field without a label.
    b.js("const i = document.createElement('input'); i.id = 'axe-probe'; document.getElementById('main').append(i);");
    assertThat(violations()).anyMatch(v -> v.startsWith("label ") && v.contains("#axe-probe"));
    // ... and its experimental WCAG rules run: a visible label that the accessible name does not contain.
    b.js("const a = document.createElement('a'); a.id = 'axe-probe-name'; a.href = '#'; a.textContent = 'Open';"
        + "a.setAttribute('aria-label', 'Something else'); document.getElementById('main').append(a);");
    assertThat(violations()).anyMatch(v -> v.startsWith("label-content-name-mismatch ") && v.contains("#axe-probe-name"));
  }

  /** axe-core's WCAG A/AA violations on the page as it is: "rule: element, element". */
  @SuppressWarnings("unchecked")
  private static List<String> violations() {
    b.js(axe);
    d.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
    Object found = b.driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        const rules = Object.fromEntries(arguments[1].map((id) => [id, { enabled: true }]));
        axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, rules, resultTypes: ['violations'] })
          .then((r) => done(r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.help + ': '
              + v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', '))))
          .catch((e) => done(['axe failed: ' + e]));""", WCAG_A_AA, WCAG_A_AA_EXPERIMENTAL);
    return (List<String>) found;
  }
}
