package dev.curfew.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.curfew.client.CurfewClient;
import dev.curfew.client.CurfewProblem;
import dev.curfew.client.CurfewServerProcess;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample end to end: a real {@code curfew serve}, the sample app with the starter, and a real
 * Chromium running curfew.js. The policy is short so the test is: the warning 8 s before a 12 s
 * idle timeout. Outside CI a machine without chromedriver skips; in CI (CI=true) it fails.
 */
@SpringBootTest(classes = SampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleBrowserTest {
  static final String APP_KEY = "sample-app-key-for-browser-tests-01";
  private static final By DIALOG = By.cssSelector("[role=alertdialog]");
  private static final By STAY = By.xpath("//button[normalize-space()='Stay signed in']");
  static CurfewServerProcess curfew;
  static CurfewClient admin;

  @LocalServerPort
  int port;
  Chromium chromium;
  WebDriver d;

  @DynamicPropertySource
  static void curfew(DynamicPropertyRegistry registry) throws Exception {
    curfew = CurfewServerProcess.start(Files.createTempDirectory("curfew-sample-test"), """
        default_policy: sample
        policies:
          sample:
            idle_timeout: 12s
            absolute_timeout: 1h
            warn_before: 8s
            max_extensions: 3
        api_keys:
          - name: sample
            key_env: CURFEW_TEST_SAMPLE_KEY
            scopes: [app]
        """, Map.of("CURFEW_TEST_SAMPLE_KEY", APP_KEY));
    admin = CurfewClient.builder(curfew.uri()).apiKey(CurfewServerProcess.ADMIN_KEY).build();
    registry.add("curfew.url", () -> curfew.uri().toString());
    registry.add("curfew.api-key", () -> APP_KEY);
  }

  @AfterAll
  static void stopCurfew() throws Exception {
    if (curfew != null) curfew.close();
  }

  @BeforeEach
  void browser() {
    assumeTrue(Chromium.available() || System.getenv("CI") != null, "chromedriver is not installed");
    chromium = new Chromium();
    d = chromium.driver;
  }

  @AfterEach
  void closeBrowser() {
    if (chromium != null) chromium.close();
  }

  private String url(String path) {
    return "http://localhost:" + port + path;
  }

  /** Signs in through the app's login page and answers the Curfew session id the page shows. */
  private String signIn() {
    d.get(url("/"));
    within(Duration.ofSeconds(30), x -> d.getCurrentUrl().contains("/login") ? true : null);
    d.findElement(By.name("username")).sendKeys("alice");
    d.findElement(By.name("password")).sendKeys("wonderland");
    d.findElement(By.cssSelector("form[action='/login'] button[type=submit]")).click();
    WebElement session = within(Duration.ofSeconds(30), x -> first(By.id("session")));
    assertThat(d.findElement(By.id("user")).getText()).isEqualTo("alice");
    return session.getText();
  }

  @Test
  void theWarningAppears_stayingSignedInExtends_andIdlenessEndsTheSessionInThePage() {
    String sessionId = signIn();
    assertThat(admin.sessionById(sessionId).policy()).isEqualTo("sample");

    within(Duration.ofSeconds(30), x -> visible(DIALOG));
    d.findElement(STAY).click();
    within(Duration.ofSeconds(30), x -> visible(DIALOG) == null ? true : null);
    assertThat(admin.sessionById(sessionId).extensionsUsed()).isEqualTo(1);

    // No more activity: the warning again, then the end, and the page goes to the login page.
    within(Duration.ofSeconds(30), x -> visible(DIALOG));
    // Exactly /login?return=%2F: never a login page that returns to the login page (/login?return=%2Flogin%3F...).
    within(Duration.ofSeconds(30), x -> d.getCurrentUrl().contains("/login?") ? true : null);
    assertThat(d.getCurrentUrl()).isEqualTo(url("/login?return=%2F"));
    assertThat(d.findElement(By.id("note")).getText()).isEqualTo("Your session has ended. Sign in to continue.");
    assertThat(ended(sessionId)).isEqualTo("idle_timeout");

    // Signing in from there goes back to the page, with a Curfew session of its own.
    d.findElement(By.name("username")).sendKeys("alice");
    d.findElement(By.name("password")).sendKeys("wonderland");
    d.findElement(By.cssSelector("form[action='/login'] button[type=submit]")).click();
    WebElement again = within(Duration.ofSeconds(30), x -> first(By.id("session")));
    assertThat(d.getCurrentUrl()).isEqualTo(url("/"));
    assertThat(again.getText()).isNotEqualTo(sessionId);
    assertThat(admin.sessionById(again.getText()).subject()).isEqualTo("alice");
  }

  @Test
  void aPageOnTheLoginPathIsNotSentToTheLoginPathAgain_whenItsSessionHasEnded() {
    String sessionId = signIn();
    admin.revokeSession(sessionId); // Curfew ended it; the app has not heard yet
    d.get(url("/login?return=%2F"));
    assertThat(d.getCurrentUrl()).isEqualTo(url("/login?return=%2F"));
    d.get(url("/"));
    within(Duration.ofSeconds(30), x -> d.getCurrentUrl().contains("/login?") ? true : null);
    assertThat(d.getCurrentUrl()).isEqualTo(url("/login?return=%2F")); // the app's session ended at its next page
  }

  @Test
  void signingOutOfTheAppEndsTheCurfewSession() {
    String sessionId = signIn();
    d.findElement(By.id("logout")).click();
    // The app's answer (/login?logout) or curfew.js, told by the event stream, may take the page there first.
    within(Duration.ofSeconds(30), x -> d.getCurrentUrl().contains("/login?") ? true : null);
    assertThat(ended(sessionId)).isEqualTo("logged_out");
  }

  private static String ended(String sessionId) {
    try {
      admin.sessionById(sessionId);
    } catch (CurfewProblem p) {
      assertThat(p.status()).isEqualTo(410);
      return p.reason().orElseThrow();
    }
    throw new AssertionError("session " + sessionId + " is still live");
  }

  private WebElement visible(By by) {
    List<WebElement> found = d.findElements(by);
    return found.stream().filter(WebElement::isDisplayed).findFirst().orElse(null);
  }

  private WebElement first(By by) {
    List<WebElement> found = d.findElements(by);
    return found.isEmpty() ? null : found.get(0);
  }

  private <T> T within(Duration limit, Function<WebDriver, T> condition) {
    try {
      return new WebDriverWait(d, limit).until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("waited " + limit + " at " + d.getCurrentUrl() + " for: " + e.getMessage().lines().findFirst().orElse("")
          + "\npage: " + d.getPageSource().substring(0, Math.min(2000, d.getPageSource().length())), e);
    }
  }
}
