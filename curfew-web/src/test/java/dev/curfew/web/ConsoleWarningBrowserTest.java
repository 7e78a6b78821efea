package dev.curfew.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.curfew.core.Policy;
import dev.curfew.server.console.ConsolePolicy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's own session is governed like any other: curfew.js warns the operator before it
 * ends, "Stay signed in" extends it (audited), and when it ends the console goes to the sign-in
 * page. The console policy is replaced by a short one here (idle 12 s, warned 8 s before), which
 * a configuration may do by defining a policy named curfew-console; production policies must warn
 * at least 20 s ahead (WCAG 2.2 SC 2.2.1).
 */
class ConsoleWarningBrowserTest {
  private static ConsoleServer server;
  private static Browser b;
  private static WebDriver d;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Browser.available() || System.getenv("CI") != null, "chromedriver is not installed");
    server = new ConsoleServer(Policy.of(ConsolePolicy.NAME, Duration.ofSeconds(12), Duration.ofMinutes(10),
        Duration.ofSeconds(8), 10));
    b = new Browser(1440, 900);
    d = b.driver;
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) b.close();
    if (server != null) server.close();
  }

  @Test
  void theConsoleWarnsBeforeItsSessionEnds_staysSignedInOnRequest_thenEndsAtItsDeadline() throws Exception {
    d.manage().deleteAllCookies(); // signed out, whatever the other test left
    d.get(server.url("/console/login?return=%2Fconsole%2Faudit"));
    WebElement key = d.findElement(By.id("api_key"));
    key.sendKeys(ConsoleServer.ADMIN_KEY);
    key.submit();
    within(Duration.ofSeconds(10), x -> path().equals("/console/audit") ? true : null);

    WebElement dialog = within(Duration.ofSeconds(12), x -> visible(By.cssSelector("[role=alertdialog]")));
    assertThat(d.findElement(By.id(dialog.getDomAttribute("aria-labelledby"))).getText()).isEqualTo("Your session is about to end");
    assertThat(d.switchTo().activeElement().getText()).isEqualTo("Stay signed in");
    within(Duration.ofSeconds(2), x -> d.findElement(By.id("session-clock")).getDomAttribute("class").contains("is-warning") ? true : null);
    b.fullPageScreenshot(ConsoleBrowserTest.SHOTS, "09-console-session-warning");

    new Actions(d).sendKeys(Keys.ENTER).perform();
    within(Duration.ofSeconds(5), x -> visible(By.cssSelector("[role=alertdialog]")) == null ? true : null);
    within(Duration.ofSeconds(5), x -> server.lines().stream().anyMatch(l -> l.contains("\"session.extended\"")
        && l.contains("\"subject\":\"console:admin\"")) ? true : null);
    // curfew.js acknowledges the warning once the extension is answered: a request of its own, after it
    within(Duration.ofSeconds(10), x -> server.lines().stream().anyMatch(l -> l.contains("\"session.warning_acknowledged\"")
        && l.contains("console:admin")) ? true : null);

    // Left alone, the session ends at its idle deadline and the console goes to the sign-in page.
    within(Duration.ofSeconds(25), x -> path().equals("/console/login") ? true : null);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("return=/console/audit");
    assertThat(server.lines()).anyMatch(l -> l.contains("\"session.expired\"") && l.contains("console:admin"));
    assertThat(d.manage().getCookieNamed("__Host-curfew-console")).isNull();
  }

  /**
   * The revocation dialog is a modal {@code <dialog>}: the warning must come above it (the top
   * layer), be usable by keyboard, and give the dialog back with the reason typed so far.
   */
  @Test
  void theWarningComesAboveAnOpenRevocationDialog_andTheTypedReasonSurvivesStayingSignedIn() {
    d.manage().deleteAllCookies(); // signed out, whatever the other test left
    String bob = server.open("bob", "standard").get("session_id").asText();
    d.get(server.url("/console/login?return=%2Fconsole%2Fsessions%3Fq%3Dbob"));
    WebElement key = d.findElement(By.id("api_key"));
    key.sendKeys(ConsoleServer.ADMIN_KEY);
    key.submit();
    within(Duration.ofSeconds(10), x -> path().equals("/console/sessions") ? true : null);
    within(Duration.ofSeconds(5), x -> visible(By.cssSelector("button[data-key='revoke-" + bob + "']"))).click();
    WebElement reason = within(Duration.ofSeconds(5), x -> visible(By.id("dlg-reason")));
    reason.sendKeys("Laptop stolen, ticket SEC-1");
    long extendedBefore = extensions();

    WebElement warning = within(Duration.ofSeconds(12), x -> visible(By.cssSelector("[role=alertdialog]")));
    assertThat(d.switchTo().activeElement().getText()).as("focus on Stay, above the revocation dialog")
        .isEqualTo("Stay signed in");
    assertThat(b.js("return arguments[0].closest('[inert]') === null && arguments[0].matches(':modal')", warning))
        .isEqualTo(true);
    b.fullPageScreenshot(ConsoleBrowserTest.SHOTS, "10-console-warning-over-revocation");
    new Actions(d).sendKeys(Keys.ENTER).perform();

    within(Duration.ofSeconds(5), x -> visible(By.cssSelector("[role=alertdialog]")) == null ? true : null);
    within(Duration.ofSeconds(5), x -> extensions() > extendedBefore ? true : null);
    assertThat(d.findElement(By.id("dlg-reason")).getDomProperty("value")).isEqualTo("Laptop stolen, ticket SEC-1");
    assertThat(d.switchTo().activeElement().getDomAttribute("id")).as("focus back in the revocation dialog")
        .isEqualTo("dlg-reason");
    assertThat(server.send("GET", "/v1/sessions/" + bob, null, ConsoleServer.ADMIN_KEY).status()).as("not revoked")
        .isEqualTo(200);
  }

  /** How many times a console session was extended. */
  private static long extensions() {
    return server.lines().stream().filter(l -> l.contains("\"session.extended\"") && l.contains("\"subject\":\"console:admin\""))
        .count();
  }

  private static String path() {
    return URI.create(d.getCurrentUrl()).getPath();
  }

  private static WebElement visible(By by) {
    List<WebElement> found = d.findElements(by);
    return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
  }

  private static <T> T within(Duration limit, Function<WebDriver, T> condition) {
    WebDriverWait wait = new WebDriverWait(d, limit, Duration.ofMillis(100));
    wait.withMessage(() -> "in " + limit + "; the browser is at " + d.getCurrentUrl());
    return wait.until(x -> {
      try {
        return condition.apply(x);
      } catch (java.io.UncheckedIOException | org.openqa.selenium.StaleElementReferenceException e) {
        return null;
      }
    });
  }
}
