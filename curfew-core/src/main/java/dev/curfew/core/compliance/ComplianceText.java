package dev.curfew.core.compliance;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders a {@link ComplianceReport} for people: a fixed-width plain-text table to paste into a
 * ticket or a system security plan, and Markdown for documents. A missing value prints as
 * {@code -}. Both end with a newline.
 */
public final class ComplianceText {
  private static final String[] HEADER = {"PRESET", "RULE", "STATUS", "VALUE", "LIMIT", "CITATION", "TEXT"};
  private static final String GAP = "  ";

  private ComplianceText() {}

  /**
   * One line per rule under a header; columns padded to their widest cell, the last (text) not
   * padded so lines carry no trailing blanks. A summary line comes first.
   */
  public static String table(ComplianceReport report) {
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    for (PresetResult preset : report.presets()) {
      for (RuleResult r : preset.rules()) {
        rows.add(new String[] {preset.id(), r.rule(), r.status().label(), dash(r.value()),
            dash(r.limit()), r.citation(), r.text()});
      }
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    StringBuilder out = new StringBuilder(summary(report)).append("\n\n");
    for (int i = 0; i < rows.size(); i++) {
      appendRow(out, rows.get(i), widths);
      if (i == 0) {
        appendRule(out, widths);
      }
    }
    return out.toString();
  }

  private static void appendRow(StringBuilder out, String[] row, int[] widths) {
    for (int c = 0; c < row.length - 1; c++) {
      out.append(row[c]).append(" ".repeat(widths[c] - row[c].length())).append(GAP);
    }
    out.append(row[row.length - 1]).append('\n');
  }

  private static void appendRule(StringBuilder out, int[] widths) {
    for (int c = 0; c < widths.length; c++) {
      out.append("-".repeat(widths[c])).append(c < widths.length - 1 ? GAP : "\n");
    }
  }

  /** A heading, a summary table of presets, then one table per preset. */
  public static String markdown(ComplianceReport report) {
    StringBuilder out = new StringBuilder();
    out.append("## Session timeout compliance: policy `").append(report.policy())
        .append("` version ").append(report.version()).append("\n\n");
    out.append("Overall status: **").append(report.status().label()).append("**\n\n");
    out.append("| Preset | Title | Status |\n|---|---|---|\n");
    for (PresetResult p : report.presets()) {
      out.append("| `").append(cell(p.id())).append("` | ").append(cell(p.title())).append(" | ")
          .append(p.status().label()).append(" |\n");
    }
    for (PresetResult p : report.presets()) {
      out.append("\n### ").append(cell(p.title())).append(" (`").append(p.id()).append("`): ")
          .append(p.status().label()).append("\n\n");
      out.append("| Rule | Strength | Status | Value | Limit | Citation | Requirement |\n");
      out.append("|---|---|---|---|---|---|---|\n");
      for (RuleResult r : p.rules()) {
        out.append("| `").append(cell(r.rule())).append("` | ").append(r.strength().name())
            .append(" | ").append(r.status().label())
            .append(" | ").append(cell(dash(r.value())))
            .append(" | ").append(cell(dash(r.limit())))
            .append(" | ").append(cell(r.citation()))
            .append(" | ").append(cell(r.text())).append(" |\n");
      }
    }
    return out.toString();
  }

  /** {@code Policy standard v3: fail (2 fail, 1 warn, 5 pass, 3 note)}. */
  static String summary(ComplianceReport report) {
    int[] counts = new int[Status.values().length];
    for (RuleResult r : report.rules()) {
      counts[r.status().ordinal()]++;
    }
    return "Policy " + report.policy() + " v" + report.version() + ": " + report.status().label()
        + " (" + counts[Status.FAIL.ordinal()] + " fail, " + counts[Status.WARN.ordinal()] + " warn, "
        + counts[Status.PASS.ordinal()] + " pass, " + counts[Status.NOTE.ordinal()] + " note)";
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }

  /** A Markdown table cell: pipes escaped, line breaks flattened. */
  private static String cell(String s) {
    return s.replace("\\", "\\\\").replace("|", "\\|").replace('\n', ' ').replace('\r', ' ');
  }
}
