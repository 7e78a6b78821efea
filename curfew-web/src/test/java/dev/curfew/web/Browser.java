package dev.curfew.web;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium driven by Debian's chromedriver. The driver's path is set explicitly so
 * that Selenium Manager never tries to download a browser or a driver (there is no network here).
 */
final class Browser implements AutoCloseable {
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");

  final ChromeDriver driver;
  private final Path profile;

  Browser() {
    this(1024, 768);
  }

  /** A browser whose window is {@code width} × {@code height} CSS pixels. */
  Browser(int width, int height) {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    try {
      profile = Files.createTempDirectory("curfew-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions o = new ChromeOptions();
    // Debian's /usr/bin/chromium is a wrapper script; the binary itself is steadier to drive.
    String binary = new File("/usr/lib/chromium/chromium").canExecute() ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";
    o.setBinary(binary);
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=" + width + "," + height, "--lang=en-US");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
    driver = new ChromeDriver(service, o);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20)).scriptTimeout(Duration.ofSeconds(10));
  }

  static boolean available() {
    return new File(CHROMEDRIVER).canExecute();
  }

  /** Saves a PNG under target/screenshots (a test artefact, never committed). */
  Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path to = SCREENSHOTS.resolve(name + ".png");
      Files.write(to, driver.getScreenshotAs(OutputType.BYTES));
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Saves a PNG of the whole page (the window grown to the page's height for the shot) under
   * {@code dir}, a directory under target/: a test artefact, never committed.
   */
  Path fullPageScreenshot(Path dir, String name) {
    org.openqa.selenium.Dimension before = driver.manage().window().getSize();
    try {
      Number height = (Number) js("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)");
      int chrome = before.getHeight() - ((Number) js("return window.innerHeight")).intValue();
      driver.manage().window().setSize(new org.openqa.selenium.Dimension(before.getWidth(),
          Math.min(6000, Math.max(before.getHeight(), height.intValue() + chrome))));
      Files.createDirectories(dir);
      Path to = dir.resolve(name + ".png");
      Files.write(to, driver.getScreenshotAs(OutputType.BYTES));
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      driver.manage().window().setSize(before);
    }
  }

  /** Lets the page download files into {@code dir} (headless Chromium asks for this through DevTools). */
  void allowDownloads(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    driver.executeCdpCommand("Browser.setDownloadBehavior",
        java.util.Map.of("behavior", "allow", "downloadPath", dir.toAbsolutePath().toString()));
  }

  Object js(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> s = Files.walk(profile)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // a temp dir left behind is harmless
      }
    }
  }
}
