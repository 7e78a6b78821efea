package dev.curfew.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.EvidenceVerification;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin console in a real headless Chromium, as a security officer uses it: sign in with an API
 * key, find a session and revoke it, open a session's timeline and download its evidence, verify
 * the audit log, and design a policy. Screenshots of every page are left in
 * target/console-screenshots/ (build artefacts, never committed).
 */
class ConsoleBrowserTest {
  static final Path SHOTS = Path.of("target", "console-screenshots");
  static final Path DOWNLOADS = Path.of("target", "console-downloads");

  private static ConsoleServer server;
  private static Browser b;
  private static WebDriver d;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Browser.available() || System.getenv("CI") != null, "chromedriver is not installed");
    server = new ConsoleServer(null);
    b = new Browser(1440, 960);
    d = b.driver;
    b.allowDownloads(DOWNLOADS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) b.close();
    if (server != null) server.close();
  }

  @BeforeEach
  void signedOut() {
    d.get(server.url("/console/login"));
    d.manage().deleteAllCookies();
  }

  @Test
  void signingInOpensAConsoleSessionAndLandsOnTheOverview() throws Exception {
    d.get(server.url("/console"));
    within(Duration.ofSeconds(30), x -> path().equals("/console/login") ? true : null);
    assertThat(d.findElement(By.tagName("h1")).getText()).isEqualTo("Sign in");
    WebElement key = d.findElement(By.id("api_key"));
    assertThat(d.findElement(By.cssSelector("label[for=api_key]")).getText()).isEqualTo("API key");
    assertThat(d.switchTo().activeElement()).as("the key field has the focus").isEqualTo(key);
    key.sendKeys("not-a-key");
    key.submit();
    WebElement error = within(Duration.ofSeconds(30), x -> visible(By.id("signin-error")));
    assertThat(error.getText()).contains("not valid");
    assertThat(error.getDomAttribute("role")).isEqualTo("alert");
    b.fullPageScreenshot(SHOTS, "01-sign-in-refused");

    signIn(ConsoleServer.ADMIN_KEY);
    assertThat(path()).isEqualTo("/console");
    within(Duration.ofSeconds(30), x -> d.findElement(By.id("whoami")).getText().contains("admin") ? true : null);
    assertThat(d.findElement(By.id("whoami")).getText().replaceAll("\\s+", " ")).isEqualTo("Signed in with API key admin admin");
    within(Duration.ofSeconds(30), x -> text(By.id("session-clock")).replaceAll("\\s+", " ").matches("Session ends in 1[45]:\\d\\d") ? true : null);
    within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector(".metric")).size() == 4 ? true : null);
    // The console session itself is one of them (the other tests' sessions share this server).
    within(Duration.ofSeconds(30), x -> text(By.cssSelector("[aria-labelledby=m-live] .metric"))
        .equals(String.valueOf(server.engine.liveSessions())) ? true : null);
    b.fullPageScreenshot(SHOTS, "02-overview");

    // The console session is a real session under the console's policy, in the audit log.
    assertThat(server.lines()).anyMatch(l -> l.contains("\"type\":\"session.created\"") && l.contains("\"subject\":\"console:admin\"")
        && l.contains("\"policy\":\"curfew-console\""));
  }

  @Test
  void findingASessionBySubjectAndRevokingItWithAReason() throws Exception {
    String alice = server.open("alice@example.com", "standard").get("session_id").asText();
    server.open("alice@example.com", "standard");
    server.open("bob@example.com", "standard");
    server.open("carol@example.com", "demo");
    signIn(ConsoleServer.ADMIN_KEY);
    click(By.cssSelector("nav [data-nav=sessions]"));
    within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector("tbody tr")).size() >= 4 ? true : null);
    b.fullPageScreenshot(SHOTS, "03a-sessions");

    WebElement search = d.findElement(By.id("q"));
    search.sendKeys("ALICE");
    search.sendKeys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> rows().size() == 2 ? true : null);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("q=ALICE");
    // A pushed change may draw the rows again (the table empty for a moment): read them once drawn.
    within(Duration.ofSeconds(30), x -> {
      String rows = text(By.cssSelector("tbody"));
      return rows.contains("alice@example.com") && !rows.contains("bob@example.com") ? true : null;
    });
    // Their countdowns are filled by the next tick.
    within(Duration.ofSeconds(30), x -> text(By.cssSelector("tbody tr .deadline .left")).matches("1[45]:\\d\\d") ? true : null);
    b.fullPageScreenshot(SHOTS, "03-sessions-search");

    click(By.cssSelector("tr[data-id='" + alice + "'] button[aria-label^='Revoke session']"));
    WebElement dialog = within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")));
    assertThat(dialog.findElement(By.tagName("h2")).getText()).isEqualTo("Revoke this session?");
    assertThat(d.switchTo().activeElement().getDomAttribute("id")).isEqualTo("dlg-reason");
    dialog.findElement(By.xpath(".//button[normalize-space()='Revoke session']")).click();
    assertThat(visible(By.id("dlg-reason-error")).getText()).contains("Give a reason");
    d.switchTo().activeElement().sendKeys("Laptop reported stolen (SEC-1234)");
    b.fullPageScreenshot(SHOTS, "04-revoke-dialog");
    dialog.findElement(By.xpath(".//button[normalize-space()='Revoke session']")).click();
    within(Duration.ofSeconds(30), x -> d.findElement(By.id("toast")).getText().contains("revoked") ? true : null);
    within(Duration.ofSeconds(30), x -> rows().size() == 1 ? true : null);

    Fixture.Answer gone = server.send("GET", "/v1/sessions/" + alice, null, ConsoleServer.ADMIN_KEY);
    assertThat(gone.status()).isEqualTo(410);
    assertThat(gone.body().get("reason").asText()).isEqualTo("revoked");
    assertThat(server.lines()).anyMatch(l -> l.contains("\"session.revoked\"") && l.contains(alice)
        && l.contains("\"actor\":\"admin\"") && l.contains("Laptop reported stolen (SEC-1234)"));
  }

  @Test
  void aSessionsLifeIsATimelineItsRecordsAndADownloadableEvidenceBundle() throws Exception {
    // A short life on the system clock: opened, extended after its warning, then left to expire.
    JsonNode opened = server.open("dave@example.com", "demo");
    String id = opened.get("session_id").asText();
    String token = opened.get("token").asText();
    // The timer warns at warning_at (3 s); the user then extends and acknowledges.
    within(Duration.ofSeconds(30), x -> server.lines().stream().anyMatch(l -> l.contains("\"session.warning_sent\"") && l.contains(id))
        ? true : null);
    assertThat(server.send("POST", "/v1/session/extend", null, token).status()).isEqualTo(200);
    assertThat(server.send("POST", "/v1/session/warning-ack", null, token).status()).isEqualTo(204);
    // Watched in the log, not by asking for the session: a request would detect the expiry itself.
    within(Duration.ofSeconds(30), x -> expired(id) ? true : null);

    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions/" + id));
    within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector("tbody tr")).size() >= 5 ? true : null);
    assertThat(d.findElement(By.tagName("h1")).getText()).contains("dave@example.com").contains("ended: Idle timeout");
    assertThat(d.findElements(By.cssSelector("tbody tr td:nth-child(3)"))).extracting(WebElement::getText)
        .containsSubsequence("Opened", "Warning sent", "Extended", "Warning acknowledged", "Warning sent", "Expired");
    WebElement picture = d.findElement(By.cssSelector("svg.timeline"));
    assertThat(picture.getDomAttribute("role")).isEqualTo("img");
    assertThat(picture.getDomAttribute("aria-label")).contains("2 warnings", "1 extension", "ended by Idle timeout",
        "ms after its deadline");
    assertThat(picture.getText()).contains("ended: Idle timeout", "ms after the deadline (timer)");
    b.fullPageScreenshot(SHOTS, "05-session-timeline");

    Path file = DOWNLOADS.resolve("evidence-" + id + ".json");
    Files.deleteIfExists(file);
    click(By.id("download-evidence"));
    within(Duration.ofSeconds(30), x -> Files.exists(file) && file.toFile().length() > 0 ? true : null);
    EvidenceVerification v = EvidenceBundle.verify(Files.readString(file), server.store.auditTrail().verifier());
    assertThat(v.ok()).as("%s", v.problems()).isTrue();
    assertThat(v.sessionId()).isEqualTo(id);
  }

  @Test
  void aSessionsPageListsItsGatewayConnectionsAndStatements() throws Exception {
    // What a database gateway records of a session's psql windows: one turned away, one that ran two statements.
    JsonNode opened = server.open("gina@example.com", "standard");
    String id = opened.get("session_id").asText();
    gateway(id, "connection.refused", Map.of("target", "orders", "protocol", "postgres", "client_address", "10.0.0.7",
        "connection_id", "pg-refused", "why", "tls_required"));
    gateway(id, "connection.opened", Map.of("target", "orders", "protocol", "postgres", "client_address", "10.0.0.8",
        "connection_id", "pg-0001", "database", "orders", "tls", true));
    gateway(id, "statement.executed", Map.of("target", "orders", "connection_id", "pg-0001", "sha256", "ab".repeat(32),
        "text", "SELECT count(*) FROM orders", "duration_ms", 12, "outcome", "ok"));
    gateway(id, "statement.executed", Map.of("target", "orders", "connection_id", "pg-0001", "sha256", "cd".repeat(32),
        "duration_ms", 3, "outcome", "error"));
    gateway(id, "connection.closed", Map.of("target", "orders", "connection_id", "pg-0001", "why", "session_ended",
        "reason", "revoked", "active_messages", 2, "bytes_in", 310, "bytes_out", 1204, "duration_ms", 4500));

    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions/" + id));
    within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector("#connections tbody tr")).size() == 2 ? true : null);
    assertThat(d.findElement(By.id("s-conn")).getText()).isEqualTo("Connections");
    List<WebElement> rows = d.findElements(By.cssSelector("#connections tbody tr"));
    assertThat(rows.get(0).getText()).contains("orders (postgres)", "refused", "10.0.0.7", "tls required");
    assertThat(rows.get(1).getText()).contains("orders (postgres)", "closed", "TLS", "10.0.0.8", "Revoked",
        "2 (1 failed)", "310 / 1,204", "4.50 s");
    List<WebElement> statements = d.findElements(By.cssSelector("#statements tbody tr"));
    assertThat(statements).hasSize(2);
    assertThat(statements.get(0).getText()).contains("orders", "pg-0001", "SELECT count(*) FROM orders", "ok", "12 ms");
    assertThat(statements.get(1).getText()).contains("sha256 cdcdcdcdcdcdcdcd", "error");
    // The same records, verbatim, in the session's audit records.
    assertThat(d.findElements(By.cssSelector("#session-records tbody tr td:nth-child(3)"))).extracting(WebElement::getText)
        .containsSubsequence("Opened", "Connection refused", "Connection opened", "Statement", "Statement", "Connection closed");
    b.fullPageScreenshot(SHOTS, "05b-session-connections");
  }

  private static void gateway(String sessionId, String type, Map<String, Object> data) throws Exception {
    server.engine.recordGatewayEvent(sessionId, type, data).get(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  void aLiveSessionsDeadlinesCountDownOnItsPage() throws Exception {
    JsonNode opened = server.open("henry@example.com", "standard");
    String id = opened.get("session_id").asText();
    Thread.sleep(1200);
    assertThat(server.send("POST", "/v1/session/activity", null, opened.get("token").asText()).status()).isEqualTo(200);
    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions/" + id));
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("svg.timeline")));
    assertThat(d.findElement(By.tagName("h1")).getText()).contains("henry@example.com", "live");
    String first = text(By.cssSelector("dl .deadline .left"));
    within(Duration.ofSeconds(30), x -> !text(By.cssSelector("dl .deadline .left")).equals(first) ? true : null);
    assertThat(d.findElement(By.cssSelector("svg.timeline")).getText()).contains("now", "idle deadline");
    assertThat(d.findElement(By.cssSelector("svg.timeline")).getDomAttribute("aria-label")).endsWith("still live.");
    b.fullPageScreenshot(SHOTS, "05b-session-live");
  }

  /**
   * A change pushed while the revocation dialog is open does not redraw the page under it; the page
   * catches up once the dialog closes, as the list does, rather than saying "live" of an ended session.
   */
  @Test
  void aSessionsPageCatchesUpOnAChangeThatCameWhileADialogWasOpen() throws Exception {
    JsonNode opened = server.open("ivan@example.com", "standard");
    String id = opened.get("session_id").asText();
    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions/" + id));
    within(Duration.ofSeconds(30), x -> text(By.tagName("h1")).contains("live") ? true : null);
    click(By.id("revoke"));
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")));

    assertThat(server.send("DELETE", "/v1/session", null, opened.get("token").asText()).status()).as("the user signs out")
        .isEqualTo(204);
    Thread.sleep(2000); // the change is pushed (batched every 250 ms) while the dialog is open
    assertThat(text(By.tagName("h1"))).as("not redrawn under the dialog").contains("live");
    keys(Keys.ESCAPE);

    within(Duration.ofSeconds(10), x -> text(By.tagName("h1")).contains("ended") ? true : null);
    assertThat(text(By.tagName("h1"))).contains("Signed out");
  }

  @Test
  void revokingWorksWithTheKeyboardAlone() throws Exception {
    String grace = server.open("grace@example.com", "standard").get("session_id").asText();
    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions?q=grace"));
    within(Duration.ofSeconds(30), x -> rows().size() == 1 ? true : null);
    d.findElement(By.id("q")).click();
    for (int i = 0; i < 12 && !String.valueOf(focused().getDomAttribute("aria-label")).startsWith("Revoke session"); i++) {
      keys(Keys.TAB);
    }
    assertThat(focused().getDomAttribute("aria-label")).isEqualTo("Revoke session " + grace + " of grace@example.com");
    keys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")));
    assertThat(focused().getDomAttribute("id")).isEqualTo("dlg-reason");
    keys(Keys.ESCAPE);
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")) == null ? true : null);
    assertThat(String.valueOf(focused().getDomAttribute("aria-label"))).as("focus returns to the button").startsWith("Revoke session");
    assertThat(server.send("GET", "/v1/sessions/" + grace, null, ConsoleServer.ADMIN_KEY).status()).as("Escape revokes nothing").isEqualTo(200);

    keys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")));
    keys("Account offboarded");
    keys(Keys.TAB);
    assertThat(focused().getText()).isEqualTo("Cancel");
    keys(Keys.TAB);
    assertThat(focused().getText()).isEqualTo("Revoke session");
    keys(Keys.ENTER);
    // The record is on disk once the revocation is durable, which the answer to the page waits for.
    within(Duration.ofSeconds(30), x -> server.lines().stream().anyMatch(l -> l.contains("\"session.revoked\"") && l.contains(grace)
        && l.contains("Account offboarded")) ? true : null);
    assertThat(server.send("GET", "/v1/sessions/" + grace, null, ConsoleServer.ADMIN_KEY).status()).isEqualTo(410);
    // The row and its button are gone: focus goes to the list's status line, which says what is left.
    within(Duration.ofSeconds(30), x -> rows().isEmpty() || text(By.cssSelector("main")).contains("No live session matches")
        ? true : null);
    within(Duration.ofSeconds(5), x -> "sessions-status".equals(focused().getDomAttribute("id")) ? true : null);
  }

  @Test
  void anUnknownConsolePageShowsTheConsolesNotFoundPage() {
    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/nope"));
    within(Duration.ofSeconds(30), x -> text(By.cssSelector("main h1")).equals("Not found") ? true : null);
    assertThat(d.getTitle()).isEqualTo("Not found · Curfew console");
    d.findElement(By.linkText("Go to the overview")).click();
    within(Duration.ofSeconds(30), x -> path().equals("/console") ? true : null);
  }

  /** On a session's page the revoke buttons go once it has ended: focus goes to the heading, which says so. */
  @Test
  void afterRevokingFromASessionsPageFocusGoesToItsHeading() throws Exception {
    String id = server.open("lena@example.com", "standard").get("session_id").asText();
    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions/" + id));
    within(Duration.ofSeconds(30), x -> text(By.tagName("h1")).contains("live") ? true : null);
    b.js("document.getElementById('revoke').focus()");
    keys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")));
    keys("Phishing report");
    keys(Keys.TAB);
    keys(Keys.TAB);
    assertThat(focused().getText()).isEqualTo("Revoke session");
    keys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> text(By.tagName("h1")).contains("ended") ? true : null);
    within(Duration.ofSeconds(5), x -> "h1".equals(focused().getTagName()) ? true : null);
  }

  /** Revoking one of several rows by keyboard: focus moves to the same control of the row that took its place. */
  @Test
  void afterRevokingARowByKeyboardFocusGoesToTheNextRowsRevokeButton() throws Exception {
    String first = server.open("kate-1@example.com", "standard").get("session_id").asText();
    String second = server.open("kate-2@example.com", "standard").get("session_id").asText();
    signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions?q=kate-"));
    within(Duration.ofSeconds(30), x -> rows().size() == 2 ? true : null);
    d.findElement(By.id("q")).click();
    for (int i = 0; i < 12 && !String.valueOf(focused().getDomAttribute("aria-label")).startsWith("Revoke session"); i++) {
      keys(Keys.TAB);
    }
    assertThat(focused().getDomAttribute("aria-label")).isEqualTo("Revoke session " + first + " of kate-1@example.com");
    keys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> visible(By.cssSelector("dialog[open]")));
    keys("Left the company");
    keys(Keys.TAB);
    keys(Keys.TAB);
    assertThat(focused().getText()).isEqualTo("Revoke session");
    keys(Keys.ENTER);
    within(Duration.ofSeconds(30), x -> rows().size() == 1 ? true : null);
    within(Duration.ofSeconds(5), x -> ("Revoke session " + second + " of kate-2@example.com")
        .equals(focused().getDomAttribute("aria-label")) ? true : null);
  }

  @Test
  void verifyNowChecksTheWholeLogAndShowsTheResult() throws Exception {
    for (int i = 0; i < 30; i++) server.open("user-" + i, "standard");
    signIn(ConsoleServer.ADMIN_KEY);
    click(By.cssSelector("nav [data-nav=audit]"));
    within(Duration.ofSeconds(30), x -> d.findElement(By.tagName("main")).getText().contains("Not verified since this server started") ? true : null);
    within(Duration.ofSeconds(30), x -> d.findElement(By.tagName("main")).getText().contains("Root hash") ? true : null);
    click(By.id("verify-now"));
    WebElement result = within(Duration.ofSeconds(30), x -> visible(By.id("verify-result")));
    assertThat(result.getText()).contains("The log verifies.", "by admin");
    within(Duration.ofSeconds(30), x -> text(By.cssSelector("[aria-labelledby=a-recent] tbody")).contains("Opened") ? true : null);
    b.fullPageScreenshot(SHOTS, "06-audit-verified");
  }

  @Test
  void designingAPolicyShowsComplianceAndTheExplainedTimelineAsYouType() throws Exception {
    signIn(ConsoleServer.ADMIN_KEY);
    click(By.cssSelector("nav [data-nav=policies]"));
    within(Duration.ofSeconds(30), x -> visible(By.id("compliance-status")));
    new Select(d.findElement(By.id("policy-pick"))).selectByValue("standard");
    // 12h absolute cannot be extended: WCAG 2.2 SC 2.2.1 warns and names the exceptions it relies on
    within(Duration.ofSeconds(30), x -> text(By.id("compliance-status")).equals("meets every MUST, with warnings") ? true : null);
    assertThat(d.findElement(By.cssSelector(".verdict-list")).getText())
        .contains("Warns WCAG 2.2 SC 2.2.1 Timing Adjustable: absolute_timeout is 12h, rule absolute_timeout > 20h")
        .contains("Essential Exception");
    assertThat(d.findElement(By.id("explained")).getText()).contains("extended");

    WebElement idle = d.findElement(By.id("f-idle_timeout"));
    idle.sendKeys(Keys.chord(Keys.CONTROL, "a"), "20m");
    within(Duration.ofSeconds(30), x -> text(By.id("compliance-status")).equals("fails a MUST rule") ? true : null);
    assertThat(d.findElement(By.id("compliance")).getText()).contains("PCI DSS v4.0.1 req. 8.2.8");
    b.fullPageScreenshot(SHOTS, "07-policy-designer-failing");

    idle.sendKeys(Keys.chord(Keys.CONTROL, "a"), "10m");
    d.findElement(By.id("f-trace")).sendKeys(Keys.chord(Keys.CONTROL, "a"), "0s, 4m, 12m:extend, 30m:logout");
    within(Duration.ofSeconds(30), x -> text(By.id("compliance-status")).equals("meets every MUST, with warnings") ? true : null);
    within(Duration.ofSeconds(30), x -> text(By.id("explained")).contains("Idle timeout") ? true : null);
    b.fullPageScreenshot(SHOTS, "08-policy-designer");

    click(By.id("save-policy"));
    within(Duration.ofSeconds(30), x -> d.findElement(By.id("toast")).getText().contains("Saved standard v2") ? true : null);
    JsonNode v2 = server.send("GET", "/v1/policies/standard", null, ConsoleServer.ADMIN_KEY).body();
    assertThat(v2.get("version").asInt()).isEqualTo(2);
    assertThat(v2.get("idle_timeout_ms").asLong()).isEqualTo(600_000);
    assertThat(server.lines()).anyMatch(l -> l.contains("\"policy.changed\"") && l.contains("\"actor\":\"admin\""));
  }

  @Test
  void anAuditorSeesEverythingButCannotRevoke() {
    server.open("erin@example.com", "standard");
    signIn(ConsoleServer.AUDITOR_KEY);
    d.get(server.url("/console/sessions?q=erin"));
    within(Duration.ofSeconds(30), x -> rows().size() == 1 ? true : null);
    assertThat(d.findElements(By.xpath("//button[normalize-space()='Revoke']"))).isEmpty();
    assertThat(rows().get(0).getText()).contains("view only");
  }

  @Test
  void everyControlHasAnAccessibleName() {
    server.open("frank@example.com", "standard");
    signIn(ConsoleServer.ADMIN_KEY);
    for (String page : List.of("/console", "/console/sessions", "/console/audit", "/console/policies")) {
      d.get(server.url(page));
      within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector("main h1")).isEmpty() ? null : true);
      within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector("main .loading")).isEmpty() ? true : null);
      Object unnamed = b.js("""
          const named = (el) => (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
              || (el.textContent || '').trim();
          return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
              .filter((el) => el.offsetParent !== null && !named(el)).map((el) => el.outerHTML.slice(0, 120));""");
      assertThat((List<?>) unnamed).as(page).isEmpty();
      assertThat(d.findElements(By.cssSelector("nav [aria-current=page]"))).as(page).hasSize(1);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static void signIn(String key) {
    d.get(server.url("/console/login"));
    WebElement field = d.findElement(By.id("api_key"));
    field.sendKeys(key);
    field.submit();
    within(Duration.ofSeconds(30), x -> path().startsWith("/console") && !path().startsWith("/console/login") ? true : null);
    within(Duration.ofSeconds(30), x -> d.findElements(By.cssSelector("main .loading")).isEmpty() ? true : null);
  }

  /** An element's text, or "" while it is being re-rendered. */
  private static String text(By by) {
    try {
      List<WebElement> found = d.findElements(by);
      return found.isEmpty() ? "" : found.get(0).getText();
    } catch (org.openqa.selenium.StaleElementReferenceException e) {
      return "";
    }
  }

  private static WebElement focused() {
    return d.switchTo().activeElement();
  }

  private static void keys(CharSequence k) {
    new Actions(d).sendKeys(k).perform();
  }

  private static boolean expired(String sessionId) {
    return server.lines().stream().anyMatch(l -> l.contains("\"session.expired\"") && l.contains(sessionId));
  }

  private static List<WebElement> rows() {
    return d.findElements(By.cssSelector("tbody tr"));
  }

  /** Clicks once the element is shown, again if a refresh replaced it in between. */
  private static void click(By by) {
    within(Duration.ofSeconds(30), x -> {
      try {
        WebElement e = visible(by);
        if (e == null) return null;
        e.click();
        return true;
      } catch (org.openqa.selenium.StaleElementReferenceException stale) {
        return null;
      }
    });
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
    wait.withMessage(() -> "in " + limit + "; the browser is at " + d.getCurrentUrl() + ": "
        + d.findElement(By.tagName("body")).getText().substring(0, Math.min(800, d.findElement(By.tagName("body")).getText().length())));
    return wait.until(condition);
  }
}
