package dev.curfew.core.compliance;

import java.util.List;
import java.util.Objects;

/**
 * A named set of rules from one source document.
 *
 * @param id the id used in {@code comply_with} ({@code pci-dss-4.0})
 * @param title the human name ({@code PCI DSS 4.0})
 * @param source the document the rules come from
 * @param rules the MUST, SHOULD and NOTE rules, in file order
 * @param exceptions the exceptions the rules refer to ({@link Rule#unless()}), in file order;
 *     usually none
 */
public record Preset(String id, String title, String source, List<Rule> rules, List<Rule> exceptions) {

  public Preset {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(source, "source");
    rules = List.copyOf(rules);
    exceptions = List.copyOf(exceptions);
    if (!id.matches("[a-z0-9][a-z0-9.-]{0,63}")) {
      throw new IllegalArgumentException("preset id must be 1-64 of [a-z0-9.-]: \"" + id + "\"");
    }
    if (rules.isEmpty()) {
      throw new IllegalArgumentException("preset " + id + " has no rules");
    }
    for (Rule e : exceptions) {
      requireOwn(id, e);
      Rule.requireException(e);
      if (rules.stream().noneMatch(r -> e.equals(r.unless()))) {
        throw new IllegalArgumentException("preset " + id + ": exception " + e.name() + " covers no rule");
      }
    }
    for (Rule r : rules) {
      requireOwn(id, r);
      if (r.unless() != null && !exceptions.contains(r.unless())) {
        throw new IllegalArgumentException("preset " + id + ": rule " + r.name()
            + " has an exception the preset does not list: " + r.unless().name());
      }
    }
  }

  private static void requireOwn(String id, Rule r) {
    if (!r.presetId().equals(id)) {
      throw new IllegalArgumentException("rule of " + r.presetId() + " listed under preset " + id);
    }
  }
}
