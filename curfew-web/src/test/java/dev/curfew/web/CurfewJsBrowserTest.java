package dev.curfew.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.curfew.core.audit.RecordTypes;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * curfew.js in a real headless Chromium, behind a gateway, against a real engine on the system
 * clock. Policy {@code fast}: idle 8 s, warning 5 s before. Every bound here is generous; no test
 * decides correctness by tight timing.
 */
class CurfewJsBrowserTest {
  private static final By DIALOG = By.cssSelector("[role=alertdialog]");
  private static final By STAY = By.xpath("//button[normalize-space()='Stay signed in']");
  private static final By SIGN_OUT = By.xpath("//button[normalize-space()='Sign out']");
  private static final By LIVE = By.cssSelector("[aria-live=polite]");

  private static Fixture f;
  private static Browser b;
  private static WebDriver d;

  @BeforeAll
  static void start() {
    // Outside CI a machine without chromedriver skips; in CI (.ci/run installs it) a missing one fails.
    assumeTrue(Browser.available() || System.getenv("CI") != null, "chromedriver is not installed");
    f = new Fixture();
    b = new Browser();
    d = b.driver;
  }

  @AfterAll
  static void stop() {
    if (b != null) b.close();
    if (f != null) f.close();
  }

  @BeforeEach
  void freshBrowserState() {
    String first = d.getWindowHandles().iterator().next();
    for (String h : d.getWindowHandles()) {
      if (!h.equals(first)) d.switchTo().window(h).close();
    }
    d.switchTo().window(first);
    d.get(f.url("/login"));
    b.js("localStorage.clear()");
    d.manage().deleteAllCookies();
    f.app.beacons.clear();
  }

  @Test
  void warningDialogAppearsAtWarningAtAndIsAnAccessibleAlertDialog() {
    String token = signIn("fast", "/app/one");
    long warningAtMs = Instant.parse(f.holderStatus(token).body().get("warning_at").asText()).toEpochMilli();

    WebElement dialog = within(Duration.ofSeconds(12), x -> visible(DIALOG));
    long seenAtMs = System.currentTimeMillis();
    assertThat(seenAtMs).as("shown near warning_at").isBetween(warningAtMs - 1500, warningAtMs + 4000);

    assertThat(dialog.getDomAttribute("aria-modal")).isEqualTo("true");
    assertThat(d.findElement(By.id(dialog.getDomAttribute("aria-labelledby"))).getText())
        .isEqualTo("Your session is about to end");
    assertThat(d.findElement(By.id(dialog.getDomAttribute("aria-describedby"))).getText())
        .contains("you will be signed out in").containsPattern("\\d+ seconds?");
    assertThat(dialog.findElements(By.tagName("button")).stream().filter(WebElement::isDisplayed)
        .map(WebElement::getText)).containsExactly("Stay signed in", "Sign out");
    assertThat(d.switchTo().activeElement().getText()).isEqualTo("Stay signed in");
    within(Duration.ofSeconds(3), x -> d.findElement(LIVE).getText().contains("will end in") ? true : null);
    assertThat((Long) b.js("return window.warnings")).isEqualTo(1L);
    b.screenshot("warning-dialog");
  }

  @Test
  void theWarningIsOnTimeWhenTheBrowsersClockIsAnHourWrong() {
    String token = signIn("fast", "/app/skewed?clock_ms=-3600000");
    long warningAtMs = Instant.parse(f.holderStatus(token).body().get("warning_at").asText()).toEpochMilli();
    within(Duration.ofSeconds(12), x -> visible(DIALOG));
    assertThat(System.currentTimeMillis()).isBetween(warningAtMs - 1500, warningAtMs + 4000);
    assertThat(d.findElement(By.id("__curfew-desc")).getText()).containsPattern("in [1-6] seconds?");
    Number skewMs = (Number) b.js("return curfew.status().clock_skew_ms");
    assertThat(skewMs.longValue()).as("server clock minus browser clock").isBetween(3_590_000L, 3_610_000L);
  }

  @Test
  void stayingSignedInByKeyboardClosesTheDialogRestoresFocusAndMovesTheDeadline() {
    String token = signIn("fast", "/app/two");
    d.findElement(By.id("notes")).click();
    Instant before = expiresAt(token);

    within(Duration.ofSeconds(12), x -> visible(DIALOG));
    assertThat(focused()).isEqualTo("Stay signed in");
    keys(Keys.TAB);
    assertThat(focused()).isEqualTo("Sign out");
    keys(Keys.TAB);
    assertThat(focused()).as("Tab cycles inside the dialog").isEqualTo("Stay signed in");
    keys(Keys.chord(Keys.SHIFT, Keys.TAB));
    assertThat(focused()).isEqualTo("Sign out");
    keys(Keys.chord(Keys.SHIFT, Keys.TAB));
    assertThat(focused()).isEqualTo("Stay signed in");
    keys(Keys.ENTER);

    within(Duration.ofSeconds(5), x -> visible(DIALOG) == null ? true : null);
    assertThat(d.switchTo().activeElement().getDomAttribute("id")).as("focus restored").isEqualTo("notes");
    assertThat(expiresAt(token)).isAfter(before);
    assertThat(f.holderStatus(token).body().get("extensions_used").asInt()).isEqualTo(1);
    within(Duration.ofSeconds(5), x -> audited(RecordTypes.WARNING_ACKNOWLEDGED) ? true : null);
  }

  /**
   * A page's own modal dialog (showModal) puts itself in the browser's top layer and makes the rest
   * of the page inert: a warning that were an ordinary element, however high its z-index, would be
   * hidden behind it, out of reach of the keyboard and of assistive technology.
   */
  @Test
  void theWarningComesAboveAModalDialogOfThePage_andClosingItGivesThatDialogBackIntact() {
    String token = signIn("fast", "/app/modal?modal=1");
    d.findElement(By.id("app-text")).sendKeys("Half-typed comment");
    Instant before = expiresAt(token);

    WebElement dialog = within(Duration.ofSeconds(12), x -> visible(DIALOG));
    assertThat(focused()).as("focus on Stay signed in, above the page's dialog").isEqualTo("Stay signed in");
    assertThat(b.js("const r = arguments[0].getBoundingClientRect();"
        + "return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === arguments[0]",
        d.findElement(STAY))).as("nothing covers Stay signed in").isEqualTo(true);
    assertThat(b.js("return arguments[0].closest('[inert]') === null && arguments[0].matches(':modal')", dialog))
        .as("the warning is the topmost modal").isEqualTo(true);
    keys(Keys.TAB);
    assertThat(focused()).isEqualTo("Sign out");
    keys(Keys.TAB);
    assertThat(focused()).isEqualTo("Stay signed in");
    keys(Keys.ENTER);

    within(Duration.ofSeconds(5), x -> visible(DIALOG) == null ? true : null);
    assertThat(expiresAt(token)).isAfter(before);
    assertThat(b.js("return document.getElementById('app-dialog').matches(':modal')")).as("the page's dialog is still open")
        .isEqualTo(true);
    assertThat(d.findElement(By.id("app-text")).getDomProperty("value")).isEqualTo("Half-typed comment");
    assertThat(d.switchTo().activeElement().getDomAttribute("id")).as("focus back in the page's dialog").isEqualTo("app-text");
    within(Duration.ofSeconds(5), x -> audited(RecordTypes.WARNING_ACKNOWLEDGED) ? true : null);
  }

  /** A modal the page opens while the warning is shown would cover it: the warning goes back on top. */
  @Test
  void aModalDialogThePageOpensOverTheWarningDoesNotHideIt() {
    String token = signIn("fast", "/app/later");
    within(Duration.ofSeconds(12), x -> visible(DIALOG));
    b.js("const later = document.createElement('dialog'); later.id = 'later';"
        + "later.innerHTML = '<button type=\"button\" id=\"later-ok\">OK</button>';"
        + "document.body.append(later); later.showModal(); document.getElementById('later-ok').focus();");
    assertThat(focused()).isEqualTo("Stay signed in");
    assertThat(b.js("const r = arguments[0].getBoundingClientRect();"
        + "return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === arguments[0]",
        d.findElement(STAY))).as("nothing covers Stay signed in").isEqualTo(true);
    keys(Keys.ESCAPE);

    within(Duration.ofSeconds(5), x -> visible(DIALOG) == null ? true : null);
    assertThat(b.js("return document.getElementById('later').matches(':modal')")).isEqualTo(true);
    assertThat(f.holderStatus(token).body().get("extensions_used").asInt()).as("Escape extends nothing").isZero();
  }

  @Test
  void expiryRunsTheBeforeEndHookWhileTheSessionLivesThenRedirectsWithTheReturnUrl() {
    String token = signIn("fast", "/app/three");
    d.findElement(By.id("next")).click();
    within(Duration.ofSeconds(5), x -> path().equals("/app/three-next") ? true : null);

    within(Duration.ofSeconds(15), x -> path().equals("/login") ? true : null);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("return=/app/three-next");
    assertThat(f.holderStatus(token).body().get("reason").asText()).isEqualTo("idle_timeout");
    within(Duration.ofSeconds(3), x -> probed("three-next", "idle_timeout") ? true : null);
    assertThat(f.app.beacons).as("the hook's request reached the app through the gateway: the session still lived")
        .anySatisfy(bc -> {
          assertThat(bc.via()).isEqualTo("gateway");
          assertThat(bc.page()).isEqualTo("three-next");
          assertThat(bc.subject()).isEqualTo("alice");
        });

    assertBackShowsNoProtectedContent();
  }

  @Test
  void aPageWhoseScriptNamesNoLoginPath_endsAtItsOwnRoutesLoginPage() {
    String page = Fixture.OTHER + "/app/report";
    d.get(f.url(Fixture.OTHER + "/signin/as?subject=alice&policy=fast&return="
        + java.net.URLEncoder.encode(page, java.nio.charset.StandardCharsets.UTF_8)));
    within(Duration.ofSeconds(5), x -> path().equals(page) ? true : null);
    assertThat(d.getPageSource()).contains(TestApp.SECRET);

    // the idle expiry: the script loads the page again, and the gateway sends that to /other/signin
    within(Duration.ofSeconds(20), x -> path().equals(Fixture.OTHER + "/signin") ? true : null);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("return=" + page);
    assertThat(d.getPageSource()).contains("Other sign-in").doesNotContain(TestApp.SECRET);
  }

  @Test
  void signingOutFromTheDialogEndsTheSessionAndTheBackButtonShowsNothing() {
    String token = signIn("fast", "/app/four");
    d.findElement(By.id("next")).click();
    within(Duration.ofSeconds(12), x -> visible(DIALOG));
    keys(Keys.TAB);
    assertThat(focused()).isEqualTo("Sign out");
    keys(Keys.ENTER);

    within(Duration.ofSeconds(10), x -> path().equals("/login") ? true : null);
    assertThat(f.holderStatus(token).body().get("reason").asText()).isEqualTo("logged_out");
    assertThat(f.app.beacons).as("hooks run before the logout, while the session lives")
        .anySatisfy(bc -> assertThat(bc).extracting("via", "page", "reason").containsExactly("gateway", "four-next", "logged_out"));
    assertBackShowsNoProtectedContent();
  }

  /**
   * Chromium keeps no page answered with no-store in its back-forward cache (the gateway's answers
   * all are), so a real restore cannot happen here; the page's pageshow handler is driven by a
   * synthetic {@code pageshow} with {@code persisted}, after the cookie was swapped for a dead token.
   */
  @Test
  void aPageRestoredFromTheBackForwardCacheIsHiddenAndLeavesWhenTheSessionEnded() {
    signIn("fast", "/app/bf");
    d.manage().deleteCookieNamed(Fixture.COOKIE);
    d.manage().addCookie(new Cookie.Builder(Fixture.COOKIE, "cft_dead").path("/").isSecure(true).isHttpOnly(true).build());
    Boolean hidden = (Boolean) b.js("dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));"
        + "return getComputedStyle(document.body).visibility === 'hidden'");
    assertThat(hidden).as("hidden until the server answers").isTrue();
    within(Duration.ofSeconds(6), x -> path().equals("/login") ? true : null);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("return=/app/bf");
  }

  @Test
  void twoTabsShowOneWarningAndExtendAndEndTogether() {
    String token = signIn("fast", "/app/a");
    String tabA = d.getWindowHandle();
    d.switchTo().newWindow(WindowType.WINDOW);
    d.get(f.url("/app/b"));
    String tabB = d.getWindowHandle();

    within(Duration.ofSeconds(12), x -> dialogIn(tabA) && dialogIn(tabB) ? true : null);
    Instant before = expiresAt(token);
    d.switchTo().window(tabB);
    d.findElement(STAY).click();
    within(Duration.ofSeconds(5), x -> !dialogIn(tabA) && !dialogIn(tabB) ? true : null);
    assertThat(expiresAt(token)).isAfter(before);

    d.switchTo().window(tabA);
    ((JavascriptExecutor) d).executeScript("curfew.logout()");
    within(Duration.ofSeconds(10), x -> pathIn(tabA).equals("/login") && pathIn(tabB).equals("/login") ? true : null);
    d.switchTo().window(tabB);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("return=/app/b");
    assertThat(f.holderStatus(token).body().get("reason").asText()).isEqualTo("logged_out");
  }

  @Test
  void aRefusedExtensionSaysWhenTheSessionEndsAndEscapeClosesWithoutExtending() {
    String token = signIn("fixed", "/app/five");
    within(Duration.ofSeconds(30), x -> visible(DIALOG));
    keys(Keys.ENTER);
    WebElement note = within(Duration.ofSeconds(30), x -> visible(By.cssSelector(".__curfew-note")));
    assertThat(note.getText()).contains("cannot be extended further").contains("It will end at");
    assertThat(d.findElement(STAY).isDisplayed()).isFalse();
    assertThat(focused()).isEqualTo("Close");
    b.screenshot("warning-dialog-refused");

    keys(Keys.ESCAPE);
    within(Duration.ofSeconds(30), x -> visible(DIALOG) == null ? true : null);
    within(Duration.ofSeconds(30), x -> d.findElement(LIVE).getText().startsWith("Not extended") ? true : null);
    assertThat(f.holderStatus(token).status()).isEqualTo(200);
    assertThat(f.holderStatus(token).body().get("extensions_used").asInt()).isZero();
  }

  @Test
  void aRevokedSessionEndsThePageAtOnce() {
    String token = signIn("fast", "/app/six");
    String sessionId = f.holderStatus(token).body().get("session_id").asText();
    within(Duration.ofSeconds(3), x -> (Boolean) b.js("return curfew.status() !== null") ? true : null);
    assertThat(f.revoke(sessionId).status()).isEqualTo(204);
    within(Duration.ofSeconds(6), x -> path().equals("/login") ? true : null);
    // The hook ran (it told the probe). Its request through the gateway was refused: the session
    // was already over, and the gateway's Clear-Site-Data on that 401 also wiped localStorage.
    within(Duration.ofSeconds(3), x -> probed("six", "revoked") ? true : null);
    assertThat(f.app.beacons).noneMatch(bc -> bc.via().equals("gateway"));
  }

  @Test
  void aSessionDisplacedByANewerOneOfTheSameAccountTellsTheUserWhy_thenGoesToTheLoginPage() {
    String token = signIn("single", "/app/seven");
    within(Duration.ofSeconds(3), x -> (Boolean) b.js("return curfew.status() !== null") ? true : null);
    // The same account signs in elsewhere under the same policy: this session is the oldest.
    f.engine.open("alice", "single", java.util.Map.of(), dev.curfew.core.Audience.route("/"), "app");
    WebElement dialog = within(Duration.ofSeconds(6), x -> visible(DIALOG));
    assertThat(dialog.getText()).contains("You were signed out").contains("signed in again on another device");
    assertThat(focused()).isEqualTo("Sign in again");
    assertThat(d.getPageSource()).contains(TestApp.SECRET); // in the DOM, but hidden behind the notice
    assertThat((Boolean) b.js("return getComputedStyle(document.body).visibility === 'hidden'")).isTrue();
    within(Duration.ofSeconds(3), x -> d.findElement(LIVE).getText().contains("may only have a limited number") ? true : null);
    b.screenshot("displaced-session");
    keys(Keys.ENTER);
    within(Duration.ofSeconds(6), x -> path().equals("/login") ? true : null);
    assertThat(f.holderStatus(token).body().get("reason").asText()).isEqualTo("concurrency_limit");
  }

  @Test
  void draftsKeptAtAnIdleExpiryComeBackAfterASignInThatResumesTheSession() {
    String token = signIn("resumable", "/app/r1");
    String oldId = f.holderStatus(token).body().get("session_id").asText();
    d.findElement(By.id("reply")).sendKeys("Half-written reply");

    within(Duration.ofSeconds(20), x -> path().equals("/login") ? true : null);
    assertThat(URI.create(d.getCurrentUrl()).getQuery()).isEqualTo("return=/app/r1");
    assertThat((String) b.js("return localStorage.getItem('__curfew-drafts')")).as("kept after the ending's answers")
        .contains(oldId).contains("Half-written reply");

    String again = signIn("resumable", "/app/r1");
    assertThat(f.holderStatus(again).body().get("resumed_from").asText()).isEqualTo(oldId);
    within(Duration.ofSeconds(10), x -> "Half-written reply".equals(d.findElement(By.id("reply")).getDomProperty("value"))
        ? true : null);
    assertThat(b.js("return JSON.stringify(window.restoredDrafts.drafts)")).isEqualTo("{\"cart\":{\"page\":\"r1\",\"items\":2}}");
    assertThat(b.js("return window.restoredDrafts.resumed_from")).isEqualTo(oldId);
    assertThat(b.js("return localStorage.getItem('__curfew-drafts')")).as("claimed once").isNull();
    within(Duration.ofSeconds(5), x -> d.findElement(LIVE).getText().contains("has been restored") ? true : null);
    // The old session was not revived.
    assertThat(f.holderStatus(token).body().get("reason").asText()).isEqualTo("idle_timeout");
  }

  @Test
  void draftsAreNeverGivenToASessionThatDoesNotResumeTheirs() {
    signIn("fast", "/app/r2"); // no resume_within: the next session continues none
    d.findElement(By.id("reply")).sendKeys("Not for the next session");
    within(Duration.ofSeconds(20), x -> path().equals("/login") ? true : null);
    assertThat((String) b.js("return localStorage.getItem('__curfew-drafts')")).contains("Not for the next session");

    String again = signIn("fast", "/app/r2");
    assertThat(f.holderStatus(again).body().has("resumed_from")).isFalse();
    within(Duration.ofSeconds(10), x -> b.js("return localStorage.getItem('__curfew-drafts')") == null ? true : null);
    assertThat(d.findElement(By.id("reply")).getDomProperty("value")).isEmpty();
    assertThat(b.js("return window.restoredDrafts === undefined")).isEqualTo(true);
  }

  @Test
  void theDialogSpeaksThePagesLanguage_orTheLocaleOption_andStaysAnAccessibleAlertDialog() {
    // Policy fixed: 37 s between the warning and the end, so no check here races the session's end.
    leavePage();
    signIn("fixed", "/app/de?lang=de");
    WebElement dialog = within(Duration.ofSeconds(30), x -> visible(DIALOG));
    assertAccessibleDialog(dialog, "de", "Ihre Sitzung läuft bald ab", "Zu Ihrer Sicherheit werden Sie in",
        "\\d+ Sekunden?", "Angemeldet bleiben", "Abmelden");
    within(Duration.ofSeconds(5), x -> d.findElement(LIVE).getText().contains("Ihre Sitzung endet in") ? true : null);
    b.screenshot("warning-dialog-de");
    keys(Keys.ENTER); // fixed allows no extension
    WebElement note = within(Duration.ofSeconds(30), x -> visible(By.cssSelector(".__curfew-note")));
    assertThat(note.getText()).startsWith("Ihre Sitzung kann nicht weiter verlängert werden. Sie endet um");
    assertThat(focused()).isEqualTo("Schließen");
    keys(Keys.ESCAPE);
    within(Duration.ofSeconds(30), x -> d.findElement(LIVE).getText().startsWith("Nicht verlängert.") ? true : null);

    leavePage();
    signIn("fixed", "/app/fr?locale=fr"); // the page is in English; data-locale asks for French
    dialog = within(Duration.ofSeconds(30), x -> visible(DIALOG));
    assertAccessibleDialog(dialog, "fr", "Votre session va bientôt se terminer", "vous serez déconnecté dans",
        "\\d+ secondes?", "Rester connecté", "Se déconnecter");
    assertThat(b.js("return document.documentElement.lang")).isEqualTo("en");
    within(Duration.ofSeconds(5), x -> d.findElement(LIVE).getText().contains("Votre session se terminera dans")
        ? true : null);
    b.screenshot("warning-dialog-fr");
  }

  @Test
  void aPageMayAddALanguage_andWhatItLeavesOutStaysEnglish() {
    leavePage();
    signIn("fixed", "/app/it?lang=it&texts=1");
    WebElement dialog = within(Duration.ofSeconds(30), x -> visible(DIALOG));
    assertAccessibleDialog(dialog, "it", "La sessione sta per scadere", "la sessione terminerà tra", "\\d+ secondi",
        "Resta connesso", "Esci");
    within(Duration.ofSeconds(5), x -> d.findElement(LIVE).getText().startsWith("Your session will end in")
        && d.findElement(LIVE).getText().contains("secondi") ? true : null);
  }

  /** The checks of the English dialog (role, modality, name, description, buttons, focus), in {@code lang}. */
  private void assertAccessibleDialog(WebElement dialog, String lang, String title, String text, String timeLeft,
      String stay, String signOut) {
    assertThat(dialog.getDomAttribute("role")).isEqualTo("alertdialog");
    assertThat(dialog.getDomAttribute("aria-modal")).isEqualTo("true");
    assertThat(b.js("return document.querySelector('[role=alertdialog]').closest('[lang]').lang")).as("language of parts")
        .isEqualTo(lang);
    assertThat(b.js("return document.querySelector('[aria-live=polite]').lang")).isEqualTo(lang);
    assertThat(d.findElement(By.id(dialog.getDomAttribute("aria-labelledby"))).getText()).isEqualTo(title);
    assertThat(d.findElement(By.id(dialog.getDomAttribute("aria-describedby"))).getText())
        .contains(text).containsPattern(timeLeft);
    assertThat(dialog.findElements(By.tagName("button")).stream().filter(WebElement::isDisplayed)
        .map(WebElement::getText)).containsExactly(stay, signOut);
    assertThat(focused()).isEqualTo(stay);
    assertThat(dialog.findElements(By.tagName("button")).stream().filter(WebElement::isDisplayed)
        .map(e -> e.getSize().getHeight())).allSatisfy(h -> assertThat(h).isGreaterThanOrEqualTo(44));
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Leaves the current page for a blank one: its curfew.js, whose session may be ending, cannot then
   * send the browser to the login page in the middle of the next sign-in (CI saw it win that race once).
   */
  private static void leavePage() {
    d.get("about:blank");
  }

  /** Signs alice in through the app's login handoff; returns the session token from the cookie. */
  private String signIn(String policy, String page) {
    d.get(f.login("alice", policy, page));
    within(Duration.ofSeconds(5), x -> path().equals(URI.create(page).getPath()) ? true : null);
    assertThat(d.getPageSource()).contains(TestApp.SECRET);
    Cookie c = d.manage().getCookieNamed(Fixture.COOKIE);
    assertThat(c).as("session cookie").isNotNull();
    assertThat(c.isHttpOnly()).isTrue();
    assertThat(c.isSecure()).isTrue();
    return c.getValue();
  }

  private void assertBackShowsNoProtectedContent() {
    d.navigate().back();
    within(Duration.ofSeconds(8), x -> path().equals("/login") ? true : null);
    assertThat(d.getPageSource()).doesNotContain(TestApp.SECRET);
    d.navigate().back();
    within(Duration.ofSeconds(8), x -> path().equals("/login") || path().equals("/") ? true : null);
    assertThat(d.getPageSource()).doesNotContain(TestApp.SECRET);
  }

  private boolean probed(String page, String reason) {
    return f.app.beacons.stream().anyMatch(bc -> bc.via().equals("probe") && bc.page().equals(page)
        && reason.equals(bc.reason()));
  }

  private boolean audited(String type) {
    return f.sink.lines().stream().anyMatch(l -> l.contains("\"" + type + "\""));
  }

  private Instant expiresAt(String token) {
    return Instant.parse(f.holderStatus(token).body().get("expires_at").asText());
  }

  private boolean dialogIn(String tab) {
    d.switchTo().window(tab);
    return visible(DIALOG) != null;
  }

  private String pathIn(String tab) {
    d.switchTo().window(tab);
    return path();
  }

  private String path() {
    return URI.create(d.getCurrentUrl()).getPath();
  }

  private String focused() {
    return d.switchTo().activeElement().getText();
  }

  private void keys(CharSequence k) {
    new Actions(d).sendKeys(k).perform();
  }

  private WebElement visible(By by) {
    List<WebElement> found = d.findElements(by);
    return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
  }

  private static <T> T within(Duration limit, Function<WebDriver, T> condition) {
    WebDriverWait wait = new WebDriverWait(d, limit, Duration.ofMillis(100));
    wait.withMessage(() -> "in " + limit + "; the browser is at " + d.getCurrentUrl() + ": "
        + d.getPageSource().substring(0, Math.min(600, d.getPageSource().length())));
    return wait.until(condition);
  }
}
