package dev.curfew.core;

import java.time.Duration;

/**
 * Continuing after an idle expiry ({@code resume_within}): the one rule every store applies.
 *
 * <p>Vocabulary: a session that ended because its idle deadline passed may be <em>resumed</em> by
 * a new session of the same subject, audience and policy name opened before that deadline plus
 * the old session's {@code resume_within}. Resuming never revives the old session (its token stays
 * refused with {@code idle_timeout}); it links the two: the new session's {@code session.created}
 * record and status carry {@code resumed_from} (the old id), and a {@code session.resumed} record
 * on the old session carries {@code resumed_by} (the new id). Each ended session is resumed at
 * most once; among several candidates the one that expired last is taken. Only an idle expiry
 * qualifies: an absolute timeout, a revocation or a logout ends the user's work on purpose.
 *
 * <p>Why: WCAG 2.2 SC 2.2.5 Re-authenticating (level AAA) asks that "when an authenticated session
 * expires, the user can continue the activity without loss of data after re-authenticating"; the
 * link lets an application (curfew.js restores the drafts its {@code beforeEnd} saved) do so
 * without keeping the expired session alive.
 */
public final class Resumption {
  /** The longest {@code resume_within}: ended sessions are remembered for a day by default. */
  public static final Duration MAX_RESUME_WITHIN = Duration.ofHours(24);

  private Resumption() {}

  /**
   * Whether an ended session may be resumed at {@code nowMs} by a new session under policy
   * {@code newPolicyName}.
   *
   * @param ended how the old session ended (null: still live)
   * @param idleExpiresAtMs the old session's idle deadline: the instant it expired
   * @param oldPolicy the values the old session ran under
   * @param resumedBy the session that already resumed it (null: none)
   */
  public static boolean qualifies(EndReason ended, long idleExpiresAtMs, Policy oldPolicy, String resumedBy,
      String newPolicyName, long nowMs) {
    return ended == EndReason.IDLE_TIMEOUT && resumedBy == null && oldPolicy.resumeWithin() != null
        && oldPolicy.name().equals(newPolicyName)
        && nowMs >= idleExpiresAtMs && nowMs - idleExpiresAtMs < oldPolicy.resumeWithinMs();
  }
}
