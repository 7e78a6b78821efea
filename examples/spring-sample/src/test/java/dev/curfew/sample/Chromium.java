package dev.curfew.sample;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium through Debian's chromedriver, found where curfew-web's browser tests find it
 * (the path given, so that Selenium Manager never downloads anything).
 */
final class Chromium implements AutoCloseable {
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  final ChromeDriver driver;

  Chromium() {
    Path profile;
    try {
      profile = Files.createTempDirectory("curfew-sample-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions o = new ChromeOptions();
    o.setBinary(new File("/usr/lib/chromium/chromium").canExecute() ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium");
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1024,768", "--lang=en-US");
    driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort().build(), o);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(10));
  }

  static boolean available() {
    return new File(CHROMEDRIVER).canExecute();
  }

  @Override
  public void close() {
    driver.quit();
  }
}
