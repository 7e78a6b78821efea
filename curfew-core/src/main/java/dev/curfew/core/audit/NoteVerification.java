package dev.curfew.core.audit;

import java.util.Objects;

/**
 * The outcome of checking a signed note against one key: the verified text, or why it was refused.
 * An error value, not an exception: callers at the edge decide how to report it.
 */
public sealed interface NoteVerification {

  /** Why a note was refused. */
  enum Problem {
    /** Not a signed note: bad syntax, control characters, bad signature encoding, too big. */
    MALFORMED_NOTE,
    /** Well-formed, but no signature line carries this key's name and key id. */
    NO_SIGNATURE_BY_KEY,
    /** A signature line from this key does not verify: the text or the signature was altered. */
    INVALID_SIGNATURE
  }

  /** True iff the note verified. */
  boolean verified();

  /** The verified note text (including its final newline), or throws naming the problem. */
  String textOrThrow();

  /** The note verified: {@code text} is what the key signed, final newline included. */
  record Verified(String text) implements NoteVerification {
    public Verified {
      Objects.requireNonNull(text, "text");
    }

    @Override
    public boolean verified() {
      return true;
    }

    @Override
    public String textOrThrow() {
      return text;
    }
  }

  /** The note was refused for {@code problem}; {@code detail} says where, for a human. */
  record Rejected(Problem problem, String detail) implements NoteVerification {
    public Rejected {
      Objects.requireNonNull(problem, "problem");
      Objects.requireNonNull(detail, "detail");
    }

    @Override
    public boolean verified() {
      return false;
    }

    @Override
    public String textOrThrow() {
      throw new IllegalArgumentException(toString());
    }

    @Override
    public String toString() {
      return "signed note rejected (" + problem + "): " + detail;
    }
  }
}
