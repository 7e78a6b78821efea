package dev.curfew.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogPlotTest {
  @Test
  void logTicksCoverTheRangeWithPowersOfTen() {
    assertEquals(List.of(1e4, 1e5, 1e6, 1e7), LogPlot.logTicks(10_000, 10_000_000));
    assertEquals(List.of(1e4, 1e5, 1e6), LogPlot.logTicks(20_000, 999_999));
    // one point: still an axis one decade wide
    assertEquals(List.of(1e4, 1e5), LogPlot.logTicks(10_000, 10_000));
    assertThrows(IllegalArgumentException.class, () -> LogPlot.logTicks(0, 10));
  }

  @Test
  void niceStepIsOneTwoOrFiveTimesAPowerOfTen() {
    assertEquals(500_000, LogPlot.niceStep(2_300_000, 5), 1e-6);
    assertEquals(1, LogPlot.niceStep(5, 5), 1e-9);
    assertEquals(0.2, LogPlot.niceStep(0.9, 5), 1e-9);
    assertEquals(100, LogPlot.niceStep(420, 5), 1e-9);
    assertEquals(1, LogPlot.niceStep(0, 5), 1e-9);
  }

  @Test
  void pixelsMapLogAndLinearScales() {
    assertEquals(100, LogPlot.logPixel(1e4, 1e4, 1e7, 100, 400), 1e-9);
    assertEquals(200, LogPlot.logPixel(1e5, 1e4, 1e7, 100, 400), 1e-9);
    assertEquals(400, LogPlot.logPixel(1e7, 1e4, 1e7, 100, 400), 1e-9);
    // y grows upwards: 0 at the lower pixel
    assertEquals(300, LogPlot.linearPixel(0, 10, 300, 100), 1e-9);
    assertEquals(200, LogPlot.linearPixel(5, 10, 300, 100), 1e-9);
  }

  @Test
  void labelsAreShort() {
    assertEquals("10k", LogPlot.label(10_000));
    assertEquals("1M", LogPlot.label(1_000_000));
    assertEquals("2.5M", LogPlot.label(2_500_000));
    assertEquals("0.2", LogPlot.label(0.2));
    assertEquals("0", LogPlot.label(0));
  }

  @Test
  void writesAReadablePng(@TempDir Path dir) throws Exception {
    File f = dir.resolve("plot.png").toFile();
    double[] xs = {1e4, 1e5, 1e6};
    LogPlot.write(f, "title", "live sessions", List.of(
        new LogPlot.Panel("a", "ops/s", List.of(new LogPlot.Series("a", xs, new double[] {3e6, 2e6, 1e6}))),
        new LogPlot.Panel("b", "ms", List.of(new LogPlot.Series("p50", xs, new double[] {1, 1, Double.NaN}),
            new LogPlot.Series("max", xs, new double[] {2, 5, 9})))));
    assertTrue(Files.size(f.toPath()) > 0);
    assertEquals(840, ImageIO.read(f).getWidth());
  }
}
