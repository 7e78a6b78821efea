/**
 * Compliance presets and the check of a {@link dev.curfew.core.Policy} against them.
 *
 * <p>A <em>preset</em> ({@code pci-dss-4.0}, {@code wcag-2.2}, ...) is a named list of
 * <em>rules</em> read from one source document. The data lives in the resource {@code presets.txt}
 * next to this package, in a line format that a compliance officer can review without reading
 * Java; {@link dev.curfew.core.compliance.Presets} parses it once. The contract for every number
 * and citation is {@code spec/policy.md}.
 *
 * <h2>Vocabulary</h2>
 * <dl>
 *   <dt>strength</dt>
 *   <dd>{@code MUST}: a failure fails the check. {@code SHOULD}: a failure is a warning.
 *       {@code NOTE}: a requirement no number captures, reported with its source.</dd>
 *   <dt>status</dt>
 *   <dd>The outcome of one rule for one policy: {@code pass}, {@code fail}, {@code warn},
 *       {@code note}. A preset's and a report's status is the worst of their rules'
 *       ({@code fail} over {@code warn} over {@code pass}; notes never change it).</dd>
 *   <dt>exception</dt>
 *   <dd>A condition under which the rules it covers pass even where not met (WCAG 2.2's 20 Hour
 *       Exception: an idle limit longer than 20 hours need not be adjustable). Each exception is
 *       reported as a note saying whether it applies.</dd>
 * </dl>
 *
 * <p>Limits are inclusive, as the spec's signs say: a policy exactly at {@code idle_timeout ≤ 15m}
 * passes, one millisecond more fails.
 */
package dev.curfew.core.compliance;
