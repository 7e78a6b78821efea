package dev.curfew.core.explain;

import dev.curfew.core.Durations;
import dev.curfew.core.Policy;
import dev.curfew.core.audit.RecordTypes;
import java.time.Duration;
import java.util.Locale;

/**
 * Draws an {@link Explanation} as an SVG timeline: the session's life as a band from opening to
 * its end, activity marks, warning windows, extensions, the idle deadline as it moves, the absolute
 * deadline, and the ending with its reason. Self-contained (no scripts, no external fonts), with a
 * title and description for screen readers.
 */
public final class TimelineSvg {
  private static final int WIDTH = 960;
  private static final int LEFT = 40;
  private static final int RIGHT = 40;
  private static final int BAND_Y = 120;
  private static final int BAND_H = 28;
  /** Tick steps to choose from, in ms: the first that gives at most 12 ticks. */
  private static final long[] STEPS = {1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 900_000,
      1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000};

  private TimelineSvg() {}

  public static String render(Explanation e) {
    Policy p = e.policy();
    long span = Math.max(1_000, Math.max(e.endOffsetMs(), lastOffset(e)));
    long shown = span + span / 20;
    Scale x = new Scale(shown);
    StringBuilder b = new StringBuilder(8192);
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"260\" viewBox=\"0 0 ")
        .append(WIDTH).append(" 260\" role=\"img\" aria-labelledby=\"t d\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n");
    b.append("<title id=\"t\">Session timeline under policy ").append(esc(p.name())).append(" v").append(p.version()).append("</title>\n");
    b.append("<desc id=\"d\">").append(esc(summary(e))).append("</desc>\n");
    b.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    b.append("<text x=\"").append(LEFT).append("\" y=\"24\" font-size=\"15\" font-weight=\"600\" fill=\"#111\">")
        .append(esc("Policy " + p.name() + " v" + p.version() + ": idle " + Durations.format(p.idleTimeout()) + ", absolute "
            + Durations.format(p.absoluteTimeout()) + ", warn " + Durations.format(p.warnBefore()) + " before, "
            + p.maxExtensions() + " extensions")).append("</text>\n");
    b.append("<text x=\"").append(LEFT).append("\" y=\"44\" fill=\"#333\">").append(esc(summary(e))).append("</text>\n");
    // The valid life of the session.
    b.append(rect(x.at(0), BAND_Y, x.at(e.endOffsetMs()) - x.at(0), BAND_H, "#d7ecff", "valid"));
    // Warning windows: from each warning to the expiry it announced (or the next change).
    for (Explanation.Event ev : e.events()) {
      if (ev.type().equals(RecordTypes.WARNING_SENT)) {
        long until = Math.min(ev.expiresAtOffsetMs(), e.endOffsetMs());
        for (Explanation.Event later : e.events()) {
          if (later.offsetMs() > ev.offsetMs() && (later.type().equals(RecordTypes.EXTENDED) || later.type().equals("activity"))) {
            until = Math.min(until, later.offsetMs());
            break;
          }
        }
        b.append(rect(x.at(ev.offsetMs()), BAND_Y, Math.max(2, x.at(until) - x.at(ev.offsetMs())), BAND_H, "#ffb347", "warning window"));
        b.append(label(x.at(ev.offsetMs()), BAND_Y - 8, "warning " + Explainer.offset(ev.offsetMs()), "#8a4b00"));
      }
    }
    // The absolute deadline, if it is on the chart.
    if (p.absoluteTimeoutMs() <= shown) {
      b.append(vline(x.at(p.absoluteTimeoutMs()), 70, 200, "#b00020", "4 0"));
      b.append(label(x.at(p.absoluteTimeoutMs()), 66, "absolute deadline", "#b00020"));
    }
    // Activity and extensions, below the band; idle deadlines as they move, dashed.
    long lastIdle = -1;
    for (Explanation.Event ev : e.events()) {
      if (ev.type().equals("activity") || ev.type().equals(RecordTypes.EXTENDED) || ev.type().equals(RecordTypes.SESSION_CREATED)) {
        boolean ext = ev.type().equals(RecordTypes.EXTENDED);
        b.append(String.format(Locale.ROOT, "<path d=\"M%.1f %d l-5 10 h10 z\" fill=\"%s\"><title>%s</title></path>%n",
            x.at(ev.offsetMs()), BAND_Y + BAND_H + 4, ext ? "#1b7f3b" : "#1f4e79", esc(Explainer.offset(ev.offsetMs()) + " " + ev.text())));
        if (ext) b.append(label(x.at(ev.offsetMs()), BAND_Y + BAND_H + 28, "extended", "#1b7f3b"));
        if (ev.idleDeadlineOffsetMs() >= 0 && ev.idleDeadlineOffsetMs() != lastIdle && ev.idleDeadlineOffsetMs() <= shown) {
          lastIdle = ev.idleDeadlineOffsetMs();
          b.append(vline(x.at(lastIdle), BAND_Y - 4, BAND_Y + BAND_H + 4, "#1f4e79", "3 3"));
        }
      }
    }
    // The end.
    double end = x.at(e.endOffsetMs());
    b.append(String.format(Locale.ROOT, "<path d=\"M%.1f %d l8 8 m-8 0 l8 -8\" stroke=\"#111\" stroke-width=\"2\" transform=\"translate(-4 0)\"/>%n",
        end, BAND_Y + BAND_H / 2 - 4));
    b.append(label(end, BAND_Y + BAND_H + 48, e.endReason() == null ? "still live" : "ends: " + e.endReason(), "#111"));
    // Axis.
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"220\" x2=\"%d\" y2=\"220\" stroke=\"#555\"/>%n", LEFT, WIDTH - RIGHT));
    long step = STEPS[STEPS.length - 1];
    for (long s : STEPS) {
      if (shown / s <= 12) {
        step = s;
        break;
      }
    }
    for (long t = 0; t <= shown; t += step) {
      b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"220\" x2=\"%.1f\" y2=\"225\" stroke=\"#555\"/>%n", x.at(t), x.at(t)));
      b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"240\" text-anchor=\"middle\" fill=\"#333\">%s</text>%n",
          x.at(t), esc(Durations.format(Duration.ofMillis(t)))));
    }
    b.append(legend());
    b.append("</svg>\n");
    return b.toString();
  }

  private static String summary(Explanation e) {
    return e.endReason() == null ? "Still live at the end of the trace."
        : "Ends at " + Explainer.offset(e.endOffsetMs()) + " (" + e.endReason() + ").";
  }

  private static long lastOffset(Explanation e) {
    long m = 0;
    for (Explanation.Event ev : e.events()) m = Math.max(m, ev.offsetMs());
    return m;
  }

  private static String legend() {
    int y = 254;
    return "<g font-size=\"11\" fill=\"#333\">"
        + "<rect x=\"" + LEFT + "\" y=\"" + (y - 9) + "\" width=\"10\" height=\"10\" fill=\"#d7ecff\"/><text x=\"" + (LEFT + 14) + "\" y=\"" + y + "\">valid</text>"
        + "<rect x=\"" + (LEFT + 60) + "\" y=\"" + (y - 9) + "\" width=\"10\" height=\"10\" fill=\"#ffb347\"/><text x=\"" + (LEFT + 74) + "\" y=\"" + y + "\">warning window</text>"
        + "<path d=\"M" + (LEFT + 185) + " " + (y - 9) + " l-5 10 h10 z\" fill=\"#1f4e79\"/><text x=\"" + (LEFT + 194) + "\" y=\"" + y + "\">activity</text>"
        + "<path d=\"M" + (LEFT + 255) + " " + (y - 9) + " l-5 10 h10 z\" fill=\"#1b7f3b\"/><text x=\"" + (LEFT + 264) + "\" y=\"" + y + "\">extension</text>"
        + "<line x1=\"" + (LEFT + 335) + "\" y1=\"" + (y - 9) + "\" x2=\"" + (LEFT + 335) + "\" y2=\"" + (y + 1) + "\" stroke=\"#1f4e79\" stroke-dasharray=\"3 3\"/><text x=\"" + (LEFT + 341) + "\" y=\"" + y + "\">idle deadline</text>"
        + "<line x1=\"" + (LEFT + 435) + "\" y1=\"" + (y - 9) + "\" x2=\"" + (LEFT + 435) + "\" y2=\"" + (y + 1) + "\" stroke=\"#b00020\"/><text x=\"" + (LEFT + 441) + "\" y=\"" + y + "\">absolute deadline</text>"
        + "</g>\n";
  }

  private static String rect(double x, int y, double w, int h, String fill, String title) {
    return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>%n",
        x, y, w, h, fill, esc(title));
  }

  private static String vline(double x, int y1, int y2, String color, String dash) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"%s\"/>%n",
        x, y1, x, y2, color, dash);
  }

  private static String label(double x, int y, String text, String color) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>%n", x, y, color, esc(text));
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** Maps offsets in ms to x coordinates. */
  private record Scale(long shownMs) {
    double at(long ms) {
      return LEFT + (WIDTH - LEFT - RIGHT) * (double) Math.min(ms, shownMs) / shownMs;
    }
  }
}
