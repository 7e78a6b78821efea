package dev.curfew.core;

import dev.curfew.core.audit.Times;

/**
 * The refusals of an operation on a live session, written once for every store: the word that
 * names each (what a store's script answers, and the {@code reason} of an acknowledgement's
 * {@code session.refused} record) and the sentence a caller is shown ({@link Decision#detail()}).
 */
public final class Refusals {
  private Refusals() {}

  /** An extension refused: every extension the policy allows was used. */
  public static final String NO_EXTENSIONS = "no_extensions";
  /** An extension refused: the absolute deadline comes first, so an extension would add nothing. */
  public static final String ABSOLUTE_LIMIT = "absolute_limit";
  /** An acknowledgement refused: no warning was sent yet. */
  public static final String NO_WARNING_SENT = "no_warning_sent";
  /** An acknowledgement refused: the last warning was acknowledged already. */
  public static final String WARNING_ALREADY_ACKNOWLEDGED = "warning_already_acknowledged";

  /** The {@code detail} of a refused acknowledgement: no warning was sent yet. */
  public static final String NO_WARNING_SENT_TEXT = "no warning was sent for this session yet";
  /** The {@code detail} of a refused acknowledgement: the last warning was acknowledged already. */
  public static final String WARNING_ALREADY_ACKNOWLEDGED_TEXT = "the last warning was acknowledged already";

  /**
   * Why an extension is refused ({@link #NO_EXTENSIONS} or {@link #ABSOLUTE_LIMIT}), or null when
   * it is allowed: one more is allowed while the policy has some left and the idle deadline comes
   * before the absolute one.
   */
  public static String extensionRefusal(int extensionsUsed, int maxExtensions, long idleExpiresAtMs,
      long absoluteExpiresAtMs) {
    if (extensionsUsed >= maxExtensions) return NO_EXTENSIONS;
    if (absoluteExpiresAtMs <= idleExpiresAtMs) return ABSOLUTE_LIMIT;
    return null;
  }

  /** The sentence of a refused extension ({@code why} of {@code session.extension_refused}). */
  public static String extensionText(String refusal, int maxExtensions, long absoluteExpiresAtMs) {
    return switch (refusal) {
      case NO_EXTENSIONS -> maxExtensions == 0 ? "the policy allows no extensions"
          : "no extensions left (" + maxExtensions + " used)";
      case ABSOLUTE_LIMIT -> "the absolute deadline " + Times.format(absoluteExpiresAtMs) + " is the limit";
      default -> throw new IllegalArgumentException("not an extension refusal: " + refusal);
    };
  }

  /** The sentence of a refused acknowledgement. */
  public static String acknowledgementText(String refusal) {
    return switch (refusal) {
      case NO_WARNING_SENT -> NO_WARNING_SENT_TEXT;
      case WARNING_ALREADY_ACKNOWLEDGED -> WARNING_ALREADY_ACKNOWLEDGED_TEXT;
      default -> throw new IllegalArgumentException("not an acknowledgement refusal: " + refusal);
    };
  }

  /** The sentence of a live session presented outside its audience. */
  public static String wrongAudienceText(Audience sessionAudience, Audience usedAt) {
    return "this session may be used at " + String.join(", ", sessionAudience.entries()) + ", not at "
        + String.join(", ", usedAt.entries());
  }
}
