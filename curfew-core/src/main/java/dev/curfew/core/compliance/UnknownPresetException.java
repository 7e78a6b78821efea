package dev.curfew.core.compliance;

import java.util.List;

/** A preset id that is not among the known presets; the message lists the known ones. */
public final class UnknownPresetException extends IllegalArgumentException {
  private final String id;
  private final List<String> knownIds;

  public UnknownPresetException(String id, List<String> knownIds) {
    super("unknown compliance preset \"" + id + "\"; known presets: " + String.join(", ", knownIds));
    this.id = id;
    this.knownIds = List.copyOf(knownIds);
  }

  public String id() {
    return id;
  }

  public List<String> knownIds() {
    return knownIds;
  }
}
