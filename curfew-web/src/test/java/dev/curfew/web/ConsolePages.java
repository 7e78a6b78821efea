package dev.curfew.web;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/** What a console browser test does again and again: sign in, wait for the page, read it. */
final class ConsolePages {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  private final WebDriver d;
  private final ConsoleServer server;

  ConsolePages(WebDriver d, ConsoleServer server) {
    this.d = d;
    this.server = server;
  }

  /** Signs in with {@code key} and waits for the page the sign-in led to. */
  void signIn(String key) {
    d.get(server.url("/console/login"));
    WebElement field = d.findElement(By.id("api_key"));
    field.sendKeys(key);
    field.submit();
    within(x -> path().startsWith("/console") && !path().startsWith("/console/login") ? true : null);
    within(x -> d.findElements(By.cssSelector("main .loading")).isEmpty() ? true : null);
  }

  /** Opens a console page and waits until it has its heading and has loaded. */
  void open(String page) {
    d.get(server.url(page));
    within(x -> d.findElements(By.cssSelector("main h1")).isEmpty() ? null : true);
    within(x -> d.findElements(By.cssSelector("main .loading")).isEmpty() ? true : null);
  }

  /** An element's text, or "" while it is missing or being re-rendered. */
  String text(By by) {
    try {
      List<WebElement> found = d.findElements(by);
      return found.isEmpty() ? "" : found.get(0).getText();
    } catch (StaleElementReferenceException e) {
      return "";
    }
  }

  WebElement visible(By by) {
    List<WebElement> found = d.findElements(by);
    return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
  }

  List<WebElement> rows() {
    return d.findElements(By.cssSelector("tbody tr"));
  }

  String path() {
    return URI.create(d.getCurrentUrl()).getPath();
  }

  /** Waits up to {@link #PATIENCE} for a non-null, non-false answer. */
  <T> T within(Function<WebDriver, T> condition) {
    WebDriverWait wait = new WebDriverWait(d, PATIENCE, Duration.ofMillis(100));
    wait.withMessage(() -> "in " + PATIENCE + "; the browser is at " + d.getCurrentUrl());
    return wait.until(condition);
  }
}
