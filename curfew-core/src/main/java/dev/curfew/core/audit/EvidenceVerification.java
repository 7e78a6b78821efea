package dev.curfew.core.audit;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link EvidenceBundle#verify}.
 *
 * @param ok true iff there is no problem
 * @param keyAuthenticated true iff ok and the checkpoint was checked with a key the caller trusts;
 *     false when only the bundle's own {@code public_key} was used, which proves nothing about who
 *     signed unless that key is known by other means
 * @param sessionId the session the records name (the first one seen), null if none could be read
 * @param treeSize the bundle's tree_size, -1 if unreadable
 * @param entries the number of entries
 * @param problems one sentence per problem found, in bundle order; empty when ok
 */
public record EvidenceVerification(
    boolean ok, boolean keyAuthenticated, String sessionId, long treeSize, int entries, List<String> problems) {

  public EvidenceVerification {
    problems = List.copyOf(Objects.requireNonNull(problems, "problems"));
    if (ok != problems.isEmpty()) {
      throw new IllegalArgumentException("ok is " + ok + " but problems are " + problems);
    }
  }
}
