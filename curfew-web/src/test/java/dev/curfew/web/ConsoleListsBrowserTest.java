package dev.curfew.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The console's lists as an operator on a laptop reads them, in a real headless Chromium of 1280 ×
 * 800 whose time zone is Europe/Berlin (the server's records are in UTC): every time with its date
 * and zone, no page wider than the window, the audit trail filtered by time and type and exported
 * as CSV, and the live sessions list following openings and endings that the server pushes.
 */
class ConsoleListsBrowserTest {
  static final Path SHOTS = Path.of("target", "console-screenshots");
  static final Path DOWNLOADS = Path.of("target", "console-lists-downloads");
  /** A date, a 24-hour time and Berlin's zone as Chromium's en-US formats them: "Dec 3, 2026, 23:15:04 GMT+1". */
  static final String DATE_TIME_ZONE = "[A-Z][a-z]{2} \\d{1,2}, \\d{4}, \\d{2}:\\d{2}:\\d{2} GMT\\+[12]";

  private static ConsoleServer server;
  private static Browser b;
  private static WebDriver d;
  private static ConsolePages pages;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Browser.available() || System.getenv("CI") != null, "chromedriver is not installed");
    server = new ConsoleServer(null);
    b = new Browser(1280, 800);
    d = b.driver;
    pages = new ConsolePages(d, server);
    b.allowDownloads(DOWNLOADS);
    b.driver.executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", "Europe/Berlin"));
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
  void everyPageFitsA1280By800Window_withoutScrollingSideways() {
    // Long subjects, as real ones are (e-mail addresses, service accounts).
    String id = server.open("firstname.lastname-with-a-long-department@subsidiary.example.com", "standard").get("session_id").asText();
    server.open("svc-reporting-batch-nightly-export-job-0042@automation.internal.example.org", "demo");
    pages.signIn(ConsoleServer.ADMIN_KEY);
    int[] viewport = {((Number) b.js("return window.innerWidth")).intValue(), ((Number) b.js("return window.innerHeight")).intValue()};
    assertThat(viewport[0]).isEqualTo(1280);
    for (String page : List.of("/console", "/console/sessions", "/console/sessions/" + id, "/console/audit", "/console/policies")) {
      pages.open(page);
      pages.within(x -> page.equals("/console/policies") && d.findElements(By.id("compliance-status")).isEmpty() ? null : true);
      Object wide = b.js("""
          const out = [];
          const doc = document.documentElement;
          if (doc.scrollWidth > window.innerWidth) {
            out.push('document ' + doc.scrollWidth + ' > ' + window.innerWidth);
            // What sticks out, for the message.
            for (const el of document.querySelectorAll('body *')) {
              const r = el.getBoundingClientRect();
              if (r.right > doc.clientWidth + 1 && !el.closest('.table-wrap') && out.length < 8) out.push(el.tagName + '.' + el.className + ' right ' + Math.round(r.right));
            }
          }
          for (const el of document.querySelectorAll('.table-wrap, pre, .card')) {
            if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
              out.push(el.className + ' ' + el.scrollWidth + ' > ' + el.clientWidth);
            }
          }
          return out;""");
      b.fullPageScreenshot(SHOTS, "1280" + page.replace('/', '-'));
      assertThat((List<?>) wide).as(page + " at 1280 × 800").isEmpty();
    }
  }

  @Test
  void everyTimeShownHasItsDateAndZone_inTheBrowsersZone() {
    JsonNode opened = server.open("ivy@example.com", "standard");
    String createdAt = opened.get("created_at").asText();
    pages.signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions?q=ivy"));
    pages.within(x -> pages.rows().size() == 1 ? true : null);
    assertThat(d.findElement(By.id("time-zone")).getText()).isEqualTo("Times in Europe/Berlin (UTC+01:00)");
    WebElement opening = d.findElement(By.cssSelector("tbody tr time[datetime='" + createdAt + "']"));
    assertThat(opening.getText()).matches(DATE_TIME_ZONE);
    // The same instant: UTC on the server, an hour later in Berlin (CET in December).
    java.time.ZonedDateTime berlin = java.time.Instant.parse(createdAt).atZone(java.time.ZoneId.of("Europe/Berlin"));
    assertThat(opening.getText()).contains(String.format("%02d:%02d:%02d GMT+1", berlin.getHour(), berlin.getMinute(), berlin.getSecond()));
    assertThat(opening.getDomAttribute("title")).isEqualTo(createdAt);
    // How long ago, kept up to date while the page stays.
    pages.within(x -> pages.text(By.cssSelector("tbody tr [data-relative]")).matches("\\d+ s ago") ? true : null);

    for (String page : List.of("/console/sessions?q=ivy", "/console/sessions/" + opened.get("session_id").asText(), "/console/audit")) {
      d.get(server.url(page));
      pages.within(x -> d.findElements(By.cssSelector("main .loading")).isEmpty() && !d.findElements(By.cssSelector("main time")).isEmpty()
          ? true : null);
      Object bare = b.js("""
          const re = new RegExp('^' + arguments[0] + '$');
          return [...document.querySelectorAll('main time')].filter((t) => !re.test(t.textContent) || !t.getAttribute('datetime'))
              .map((t) => t.outerHTML);""", DATE_TIME_ZONE);
      assertThat((List<?>) bare).as(page).isEmpty();
    }
  }

  @Test
  void auditRecordsFilteredByTimeRangeTypeAndSubject_areExportedAsCsv() throws Exception {
    String first = server.open("kim@example.com", "standard").get("session_id").asText();
    Thread.sleep(1100); // the filters take whole seconds: the second opening is in a later one
    JsonNode second = server.open("kim@example.com", "standard");
    String secondId = second.get("session_id").asText();
    String secondAt = second.get("created_at").asText();
    pages.signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/audit"));
    pages.within(x -> pages.visible(By.id("r-from")));
    new Select(d.findElement(By.id("r-type"))).selectByValue("session.created");
    d.findElement(By.id("r-subject")).sendKeys("kim@example.com");
    // From the second's second on, in the browser's zone (what the operator types into the field).
    setLocal("r-from", secondAt);
    d.findElement(By.xpath("//form[@aria-label='Filter records']//button[normalize-space()='Show']")).click();
    pages.within(x -> pages.text(By.id("r-note")).startsWith("Matching records") ? true : null);
    List<WebElement> rows = d.findElements(By.cssSelector("[aria-labelledby=a-recent] tbody tr"));
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).getText()).contains(secondId, "Opened");
    b.fullPageScreenshot(SHOTS, "06b-audit-filtered");

    // The range up to that second holds the first opening only.
    setLocal("r-from", "");
    setLocal("r-to", secondAt);
    d.findElement(By.xpath("//form[@aria-label='Filter records']//button[normalize-space()='Show']")).click();
    pages.within(x -> pages.text(By.cssSelector("[aria-labelledby=a-recent] tbody")).contains(first) ? true : null);
    assertThat(d.findElements(By.cssSelector("[aria-labelledby=a-recent] tbody tr"))).hasSize(1);

    Path file = DOWNLOADS.resolve("curfew-audit.csv");
    Files.deleteIfExists(file);
    d.findElement(By.id("export-csv")).click();
    pages.within(x -> Files.exists(file) && file.toFile().length() > 0 ? true : null);
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).isEqualTo("seq,time,type,node,session_id,subject,policy,policy_version,data");
    assertThat(lines.get(1)).contains(",session.created,node-1," + first + ",kim@example.com,standard,1,");
    assertThat(server.lines()).anyMatch(l -> l.contains("\"audit.read\"") && l.contains("\"records_csv\"")
        && l.contains("\"actor\":\"admin\"") && l.contains("\"subject\":\"kim@example.com\""));

    // A range that ends before it starts is refused on the page, with the reason.
    setLocal("r-from", secondAt);
    d.findElement(By.xpath("//form[@aria-label='Filter records']//button[normalize-space()='Show']")).click();
    assertThat(pages.within(x -> pages.visible(By.id("r-error"))).getText()).isEqualTo("“To” must be after “From”.");
  }

  @Test
  void theLiveListFollowsOpeningsAndEndingsPushedByTheServer_withoutReloadingOrPolling() {
    // Before any script of the page: note every timer the page sets, every list it asks for, and
    // every event its stream delivers.
    b.driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", """
        window.__seen = [];
        const si = window.setInterval;
        window.setInterval = function (fn, ms, ...a) { window.__seen.push('interval ' + ms); return si.call(this, fn, ms, ...a); };
        const f = window.fetch;
        window.fetch = function (u, ...a) {
          if (String(u).startsWith('/console/api/sessions?')) window.__seen.push('list');
          return f.call(this, u, ...a);
        };
        const ES = window.EventSource;
        window.EventSource = function (u, o) {
          const es = new ES(u, o);
          for (const name of ['ready', 'changed']) es.addEventListener(name, () => window.__seen.push('pushed ' + name));
          return es;
        };
        """));
    pages.signIn(ConsoleServer.ADMIN_KEY);
    d.get(server.url("/console/sessions?q=lena"));
    pages.within(x -> pages.text(By.cssSelector("main")).contains("No live session matches") ? true : null);
    b.js("window.__samePage = true;");

    String lena = server.open("lena@example.com", "standard").get("session_id").asText();
    pages.within(x -> d.findElements(By.cssSelector("tr[data-id='" + lena + "']")).size() == 1 ? true : null);
    server.open("lena@example.com", "standard");
    pages.within(x -> pages.rows().size() == 2 ? true : null);
    assertThat(server.send("DELETE", "/v1/sessions/" + lena, "{\"reason_text\":\"test\"}", ConsoleServer.ADMIN_KEY).status())
        .isEqualTo(204);
    pages.within(x -> pages.rows().size() == 1 && d.findElements(By.cssSelector("tr[data-id='" + lena + "']")).isEmpty() ? true : null);
    b.fullPageScreenshot(SHOTS, "03b-sessions-live");

    assertThat(b.js("return window.__samePage === true")).as("the page was not reloaded").isEqualTo(true);
    @SuppressWarnings("unchecked")
    List<String> seen = (List<String>) b.js("return window.__seen");
    // The one interval is the countdowns' one-second tick; the list is asked for only after a push.
    assertThat(seen).filteredOn(s -> s.startsWith("interval")).containsOnly("interval 1000");
    boolean pushedSinceLastList = false;
    int listsAfterPushes = 0;
    for (String s : seen) {
      if (s.startsWith("pushed")) pushedSinceLastList = true;
      if (s.equals("list") && pushedSinceLastList) listsAfterPushes++;
    }
    assertThat(seen).as("%s", seen).contains("pushed changed");
    assertThat(listsAfterPushes).as("%s", seen).isGreaterThanOrEqualTo(3);
  }

  // ------------------------------------------------------------------ helpers

  /** Sets a datetime-local field to {@code iso} in the browser's zone, whole seconds ("" clears it). */
  private static void setLocal(String id, String iso) {
    b.js("""
        const el = document.getElementById(arguments[0]);
        if (!arguments[1]) { el.value = ''; return; }
        const t = new Date(arguments[1]), p = (n) => String(n).padStart(2, '0');
        el.value = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;""",
        id, iso);
  }
}
