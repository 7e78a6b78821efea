package dev.curfew.core.audit;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The k-of-n rule a verifier applies to a checkpoint: at least {@code required} of the trusted
 * witnesses have cosigned it (c2sp.org/tlog-cosignature: "Log clients can verify a quorum of
 * cosignatures to prevent split-view attacks"). Signature lines of other keys are ignored; a line
 * that carries a trusted witness's name and key id but does not verify makes the checkpoint
 * fail, as signed-note asks of a known key. Immutable.
 */
public final class WitnessQuorum {
  private final List<WitnessKey> witnesses;
  private final int required;

  private WitnessQuorum(List<WitnessKey> witnesses, int required) {
    this.witnesses = witnesses;
    this.required = required;
  }

  /**
   * @param witnesses the trusted witnesses, at least one, no key twice
   * @param required how many must have cosigned, 1..witnesses.size()
   */
  public static WitnessQuorum of(List<WitnessKey> witnesses, int required) {
    List<WitnessKey> keys = List.copyOf(witnesses);
    if (keys.isEmpty()) throw new IllegalArgumentException("no witness key given");
    if (new LinkedHashSet<>(keys).size() != keys.size()) throw new IllegalArgumentException("a witness key is given twice");
    if (required < 1 || required > keys.size()) {
      throw new IllegalArgumentException("witnesses required must be 1.." + keys.size() + ": " + required);
    }
    return new WitnessQuorum(keys, required);
  }

  /** Every one of {@code witnesses}. */
  public static WitnessQuorum all(List<WitnessKey> witnesses) {
    return of(witnesses, witnesses.size());
  }

  public int required() {
    return required;
  }

  public List<WitnessKey> witnesses() {
    return witnesses;
  }

  /**
   * What the cosignatures of a signed checkpoint note show.
   *
   * @param cosignedBy the trusted witnesses whose cosignature verifies, by name
   * @param problem a sentence when the note is malformed or a trusted witness's line fails, else null
   */
  public record Result(List<String> cosignedBy, int required, int trusted, String problem) {
    public Result {
      cosignedBy = List.copyOf(cosignedBy);
    }

    /** Whether the note is fine and carries enough cosignatures. */
    public boolean satisfied() {
      return problem == null && cosignedBy.size() >= required;
    }

    /** For a person: "2 of 2 required witness cosignatures (w1, w2)". */
    public String describe() {
      String base = cosignedBy.size() + " of " + required + " required witness cosignatures (of " + trusted + " trusted)"
          + (cosignedBy.isEmpty() ? "" : ": " + String.join(", ", cosignedBy));
      return problem == null ? base : base + "; " + problem;
    }
  }

  /** Checks the cosignatures on {@code signedNote}. Never throws for a bad note: it is a problem. */
  public Result check(String signedNote) {
    Objects.requireNonNull(signedNote, "signedNote");
    SignedNote note;
    try {
      note = SignedNote.parse(signedNote);
    } catch (IllegalArgumentException e) {
      return new Result(List.of(), required, witnesses.size(), "the checkpoint is not a signed note: " + e.getMessage());
    }
    Set<String> cosigned = new LinkedHashSet<>();
    List<String> bad = new ArrayList<>();
    for (String line : note.signatureLines()) {
      for (WitnessKey w : witnesses) {
        WitnessKey.Check c = w.check(note.text(), line);
        if (c == WitnessKey.Check.VALID) cosigned.add(w.verifierKey());
        if (c == WitnessKey.Check.INVALID) bad.add(w.name());
      }
    }
    List<String> names = new ArrayList<>();
    for (WitnessKey w : witnesses) if (cosigned.contains(w.verifierKey())) names.add(w.name());
    String problem = bad.isEmpty() ? null
        : "the cosignature of " + String.join(", ", bad) + " does not verify: the checkpoint or the line was altered";
    return new Result(names, required, witnesses.size(), problem);
  }
}
