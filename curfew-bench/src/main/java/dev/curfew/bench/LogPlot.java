package dev.curfew.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A small PNG line chart with a log-scale x axis and a linear y axis starting at zero, drawn with
 * java.awt in headless mode: several panels side by side, each with one or more series over the
 * same x values. The scale and tick arithmetic is in static methods so that it can be tested.
 */
final class LogPlot {
  static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd)};

  /** One panel: a title, a y-axis label, and series of (x, y) points sharing the panel's axes. */
  record Panel(String title, String yLabel, List<Series> series) {}

  /** A named line; {@code ys[i]} belongs to {@code xs[i]}; NaN values are skipped. */
  record Series(String name, double[] xs, double[] ys) {}

  private LogPlot() {}

  /** Powers of ten covering [min, max]: from the largest power ≤ min to the smallest ≥ max. */
  static List<Double> logTicks(double min, double max) {
    if (!(min > 0) || max < min) {
      throw new IllegalArgumentException("log axis needs 0 < min <= max, got " + min + ", " + max);
    }
    int lo = (int) Math.floor(Math.log10(min) + 1e-9);
    int hi = (int) Math.ceil(Math.log10(max) - 1e-9);
    if (hi == lo) {
      hi = lo + 1;
    }
    List<Double> ticks = new ArrayList<>();
    for (int e = lo; e <= hi; e++) {
      ticks.add(Math.pow(10, e));
    }
    return ticks;
  }

  /** A "nice" step (1, 2 or 5 times a power of ten) giving at most {@code maxTicks} steps from 0 to max. */
  static double niceStep(double max, int maxTicks) {
    if (!(max > 0)) {
      return 1;
    }
    double raw = max / maxTicks;
    double pow = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * pow >= raw - 1e-12 * pow) {
        return m * pow;
      }
    }
    return 10 * pow;
  }

  /** Pixel of x on a log axis whose ends minX and maxX sit at pixels from and to. */
  static double logPixel(double x, double minX, double maxX, double from, double to) {
    double f = (Math.log10(x) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX));
    return from + f * (to - from);
  }

  /** Pixel of y on a linear axis from 0 (at pixel from) to maxY (at pixel to). */
  static double linearPixel(double y, double maxY, double from, double to) {
    return from + y / maxY * (to - from);
  }

  /** A tick label: 10k, 1M, 2.5 and so on. */
  static String label(double v) {
    double a = Math.abs(v);
    if (a >= 1e9) {
      return trim(v / 1e9) + "G";
    }
    if (a >= 1e6) {
      return trim(v / 1e6) + "M";
    }
    if (a >= 1e3) {
      return trim(v / 1e3) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    String s = String.format(java.util.Locale.ROOT, "%.2f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** Draws the panels side by side, with the x axis label under each, into a PNG file. */
  static void write(File file, String title, String xLabel, List<Panel> panels) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int pw = 420;
    int ph = 340;
    int top = 40;
    BufferedImage img = new BufferedImage(pw * panels.size(), ph + top, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, 12, 24);
    for (int p = 0; p < panels.size(); p++) {
      drawPanel(g, panels.get(p), xLabel, p * pw, top, pw, ph);
    }
    g.dispose();
    ImageIO.write(img, "png", file);
  }

  private static void drawPanel(Graphics2D g, Panel panel, String xLabel, int x0, int y0, int w, int h) {
    int left = x0 + 70;
    int right = x0 + w - 20;
    int upper = y0 + 30;
    int lower = y0 + h - 50;
    double minX = Double.MAX_VALUE;
    double maxX = 0;
    double maxY = 0;
    for (Series s : panel.series()) {
      for (int i = 0; i < s.xs().length; i++) {
        minX = Math.min(minX, s.xs()[i]);
        maxX = Math.max(maxX, s.xs()[i]);
        if (!Double.isNaN(s.ys()[i])) {
          maxY = Math.max(maxY, s.ys()[i]);
        }
      }
    }
    List<Double> xt = logTicks(minX, maxX);
    double axMin = xt.get(0);
    double axMax = xt.get(xt.size() - 1);
    double step = niceStep(maxY * 1.1, 5);
    double axMaxY = Math.max(step, Math.ceil(maxY * 1.1 / step) * step);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.setColor(Color.BLACK);
    g.drawString(panel.title(), left, y0 + 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (double t : xt) {
      int px = (int) Math.round(logPixel(t, axMin, axMax, left, right));
      g.setColor(new Color(0xdddddd));
      g.drawLine(px, upper, px, lower);
      g.setColor(Color.BLACK);
      g.drawString(label(t), px - 10, lower + 15);
    }
    for (double t = 0; t <= axMaxY + step / 2; t += step) {
      int py = (int) Math.round(linearPixel(t, axMaxY, lower, upper));
      g.setColor(new Color(0xdddddd));
      g.drawLine(left, py, right, py);
      g.setColor(Color.BLACK);
      String l = label(t);
      g.drawString(l, left - 8 - g.getFontMetrics().stringWidth(l), py + 4);
    }
    g.drawRect(left, upper, right - left, lower - upper);
    g.drawString(xLabel + " (log scale)", left + 40, lower + 32);
    Graphics2D r = (Graphics2D) g.create();
    r.rotate(-Math.PI / 2);
    r.drawString(panel.yLabel(), -lower + 10, x0 + 14);
    r.dispose();
    int legendY = upper + 16;
    for (int si = 0; si < panel.series().size(); si++) {
      Series s = panel.series().get(si);
      Color c = COLOURS[si % COLOURS.length];
      g.setColor(c);
      g.setStroke(new BasicStroke(2f));
      int prevX = -1;
      int prevY = -1;
      for (int i = 0; i < s.xs().length; i++) {
        if (Double.isNaN(s.ys()[i])) {
          prevX = -1;
          continue;
        }
        int px = (int) Math.round(logPixel(s.xs()[i], axMin, axMax, left, right));
        int py = (int) Math.round(linearPixel(s.ys()[i], axMaxY, lower, upper));
        g.fillOval(px - 3, py - 3, 7, 7);
        if (prevX >= 0) {
          g.drawLine(prevX, prevY, px, py);
        }
        prevX = px;
        prevY = py;
      }
      if (panel.series().size() > 1) {
        g.drawLine(left + 8, legendY - 4, left + 28, legendY - 4);
        g.setColor(Color.BLACK);
        g.drawString(s.name(), left + 34, legendY);
        legendY += 15;
      }
      g.setStroke(new BasicStroke(1f));
    }
  }
}
