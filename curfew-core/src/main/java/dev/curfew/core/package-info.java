/**
 * The decisions of Curfew: when a session ends, and the record of every step.
 *
 * <h2>Vocabulary</h2>
 * Each word below has one meaning everywhere in the code, the API and the docs.
 * <dl>
 *   <dt>idle timeout</dt>
 *   <dd>How long a session may go without <em>activity</em> before it ends (policy duration).</dd>
 *   <dt>absolute timeout</dt>
 *   <dd>How long a session may live from its creation, whatever the activity (policy duration).</dd>
 *   <dt>deadline</dt>
 *   <dd>An instant at which a session ends unless something moves it. The <em>idle deadline</em> is
 *       the last activity plus the idle timeout; the <em>absolute deadline</em> is the creation time
 *       plus the absolute timeout and never moves later. {@code expires_at} is the earlier of the
 *       two. A session is valid at instant {@code now} iff {@code now < expires_at} and it has not
 *       ended.</dd>
 *   <dt>activity</dt>
 *   <dd>A request that the user made (not a passive one): it resets the idle deadline.</dd>
 *   <dt>passive</dt>
 *   <dd>A request that reads the session without counting as activity (status polls, background
 *       traffic marked by the gateway, event streams).</dd>
 *   <dt>warning</dt>
 *   <dd>The notice sent {@code warn_before} ahead of {@code expires_at}, once per value of
 *       {@code expires_at}.</dd>
 *   <dt>extension</dt>
 *   <dd>The user's explicit act (never a background request) that resets the idle deadline; the
 *       policy caps how many a session may use. It never moves the absolute deadline.</dd>
 *   <dt>ending</dt>
 *   <dd>The one transition out of {@code ACTIVE}, with an {@link dev.curfew.core.EndReason}. It is
 *       final: nothing leads from an ended session back to a valid one.</dd>
 * </dl>
 *
 * <p>Nothing in this package reads the system clock: time comes from an injected {@link
 * dev.curfew.core.Clock}. Nothing here depends on a library outside the JDK.
 */
package dev.curfew.core;
