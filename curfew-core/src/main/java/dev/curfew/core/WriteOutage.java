package dev.curfew.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Why a part of the node cannot write now: what (the audit log, the Merkle tree, snapshots), the
 * file it was writing, the error, since when, and the free space left where it writes. A value
 * for logs, {@code /readyz} and the console; the part itself retries and clears it.
 *
 * @param component what cannot write: {@code audit_log}, {@code audit_trail}, {@code snapshot}
 * @param path the file or directory being written when it failed
 * @param error the error's message (for ENOSPC, "No space left on device")
 * @param sinceMs when the outage began, on the node's clock
 * @param freeBytes usable bytes left on the file system of {@code path} when it failed (-1: unknown)
 */
public record WriteOutage(String component, String path, String error, long sinceMs, long freeBytes) {
  public WriteOutage {
    Objects.requireNonNull(component, "component");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(error, "error");
  }

  /** The form {@code /readyz} and the console show. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("component", component);
    m.put("path", path);
    m.put("error", error);
    m.put("since", dev.curfew.core.audit.Times.format(sinceMs));
    m.put("free_bytes", freeBytes);
    return m;
  }
}
