package dev.curfew.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One page of {@code GET /v1/audit}: the records and, when there are more, where to continue: the
 * {@code seq} to ask after ({@code next}) when one node's log answers, or the opaque {@code cursor}
 * to pass to {@link AuditQuery#after(String)} when the trail spans several nodes' trees ({@code
 * audit: postgres}). At most one of them is present.
 */
public record AuditPage(List<AuditRecord> records, OptionalLong next, Optional<String> cursor) {
  public AuditPage {
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(next, "next");
    Objects.requireNonNull(cursor, "cursor");
  }

  /** A page of one node's log. */
  public AuditPage(List<AuditRecord> records, OptionalLong next) {
    this(records, next, Optional.empty());
  }

  /** Whether more records match: continue with {@link AuditQuery#after(AuditPage)}. */
  public boolean hasMore() {
    return next.isPresent() || cursor.isPresent();
  }
}
