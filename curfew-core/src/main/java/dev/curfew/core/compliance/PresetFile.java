package dev.curfew.core.compliance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the line format of {@code presets.txt} (described at the top of that file): one statement
 * per line, columns separated by {@code |}. Every error names the source and line number.
 */
final class PresetFile {
  /** Far above the dozen presets of the spec; a file beyond it is not a preset file. */
  static final int MAX_LINES = 10_000;

  private static final int TITLE_COLUMNS = 4;
  private static final int RULE_COLUMNS = 7;

  private PresetFile() {}

  /** The presets of {@code text}, in file order. */
  static List<Preset> parse(String text, String sourceName) {
    List<String> lines = text.lines().toList();
    if (lines.size() > MAX_LINES) {
      throw new IllegalArgumentException(sourceName + ": more than MAX_LINES=" + MAX_LINES + " lines");
    }
    Map<String, Draft> drafts = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = sourceName + ":" + (i + 1);
      try {
        parseLine(line, drafts);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    if (drafts.isEmpty()) {
      throw new IllegalArgumentException(sourceName + ": no presets");
    }
    List<Preset> presets = new ArrayList<>();
    for (Draft d : drafts.values()) {
      try {
        presets.add(new Preset(d.id, d.title, d.source, d.rules, d.exceptions));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(sourceName + ": " + e.getMessage(), e);
      }
    }
    return List.copyOf(presets);
  }

  private static void parseLine(String line, Map<String, Draft> drafts) {
    String[] cols = line.split("\\|", -1);
    for (int c = 0; c < cols.length; c++) {
      cols[c] = cols[c].strip();
    }
    String id = cols[0];
    String kind = cols.length > 1 ? cols[1] : "";
    if (kind.equals("TITLE")) {
      requireColumns(cols, TITLE_COLUMNS, "id | TITLE | name | source");
      if (drafts.containsKey(id)) {
        throw new IllegalArgumentException("second TITLE for preset " + id);
      }
      drafts.put(id, new Draft(id, cols[2], cols[3]));
      return;
    }
    requireColumns(cols, RULE_COLUMNS, "id | MUST|SHOULD|NOTE|UNLESS | field | op | limit | citation | text");
    Draft draft = drafts.get(id);
    if (draft == null) {
      throw new IllegalArgumentException("rule for preset " + id + " before its TITLE line");
    }
    boolean exception = kind.equals("UNLESS");
    Strength strength = exception ? Strength.NOTE : strength(kind);
    PolicyField field = cols[2].equals("-") ? null : PolicyField.fromKey(cols[2]).orElseThrow(
        () -> new IllegalArgumentException("unknown field \"" + cols[2] + "\""));
    Rule rule = new Rule(id, strength, field, Rule.Op.fromSymbol(cols[3]), cols[4], cols[5], cols[6]);
    if (exception) {
      draft.addException(rule);
    } else {
      draft.rules.add(rule);
    }
  }

  private static Strength strength(String kind) {
    try {
      return Strength.valueOf(kind);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown kind \"" + kind + "\" (expected TITLE, MUST, SHOULD, NOTE or UNLESS)");
    }
  }

  private static void requireColumns(String[] cols, int expected, String format) {
    if (cols.length != expected) {
      throw new IllegalArgumentException(
          cols.length + " columns, expected " + expected + ": " + format);
    }
    for (String c : cols) {
      if (c.isEmpty()) {
        throw new IllegalArgumentException("empty column (write - for none): " + format);
      }
    }
  }

  /** A preset while its lines are being read. */
  private static final class Draft {
    final String id;
    final String title;
    final String source;
    final List<Rule> rules = new ArrayList<>();
    final List<Rule> exceptions = new ArrayList<>();
    /** Index in {@link #rules} of the first rule the next UNLESS line covers. */
    int uncovered;

    Draft(String id, String title, String source) {
      this.id = id;
      this.title = title;
      this.source = source;
    }

    /** {@code e} becomes the exception of the MUST and SHOULD rules read since the previous UNLESS. */
    void addException(Rule e) {
      Rule.requireException(e);
      boolean covers = false;
      for (int i = uncovered; i < rules.size(); i++) {
        Rule r = rules.get(i);
        if (r.strength() != Strength.NOTE) {
          rules.set(i, r.unless(e));
          covers = true;
        }
      }
      if (!covers) {
        throw new IllegalArgumentException(
            "UNLESS with no MUST or SHOULD line above it (since the TITLE or the previous UNLESS)");
      }
      uncovered = rules.size();
      exceptions.add(e);
    }
  }
}
