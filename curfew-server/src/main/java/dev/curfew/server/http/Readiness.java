package dev.curfew.server.http;

import dev.curfew.core.AuditSink;
import dev.curfew.core.WriteOutage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code GET /readyz} answers: whether this node can take changes now. It can while its audit
 * sink is writable (every change is an audit record made durable before it is acknowledged:
 * ARCHITECTURE.md, invariants 3 and 6); a load balancer should send no traffic to a node that
 * answers 503. The body names what cannot write and why (the file, the error, the free space),
 * also for parts whose outage does not stop changes (the Merkle tree, snapshots). With the Redis
 * store, Redis not answering stops every operation too ({@code session_store}).
 */
public final class Readiness {
  private final AuditSink audit;
  private final Supplier<List<WriteOutage>> outages;
  private final Supplier<Optional<WriteOutage>> sessionStore;

  /**
   * @param audit the sink the sessions' changes are recorded in
   * @param outages what cannot write now, each part retrying by itself (empty when everything writes)
   */
  public Readiness(AuditSink audit, Supplier<List<WriteOutage>> outages) {
    this(audit, outages, Optional::empty);
  }

  /**
   * @param sessionStore the session store not answering (Redis), or empty: while it is there, no
   *     operation can be served
   */
  public Readiness(AuditSink audit, Supplier<List<WriteOutage>> outages, Supplier<Optional<WriteOutage>> sessionStore) {
    this.audit = Objects.requireNonNull(audit, "audit");
    this.outages = Objects.requireNonNull(outages, "outages");
    this.sessionStore = Objects.requireNonNull(sessionStore, "sessionStore");
  }

  /** Whether changes are taken now. */
  public boolean ready() {
    return ready(sessionStore.get());
  }

  private boolean ready(Optional<WriteOutage> store) {
    return audit.writable() && store.isEmpty();
  }

  /** Names of the parts that cannot write now ({@code audit_log} first when the sink cannot). */
  public List<String> unwritable() {
    return unwritable(all(sessionStore.get()));
  }

  private List<String> unwritable(List<WriteOutage> all) {
    List<String> names = new ArrayList<>();
    if (!audit.writable()) names.add("audit_log");
    for (WriteOutage o : all) {
      if (!names.contains(o.component())) names.add(o.component());
    }
    return names;
  }

  private List<WriteOutage> all(Optional<WriteOutage> store) {
    List<WriteOutage> all = new ArrayList<>();
    store.ifPresent(all::add);
    all.addAll(outages.get());
    return all;
  }

  /** The body of {@code /readyz} (and the console's overview), from one reading of each part. */
  public Map<String, Object> toMap() {
    Optional<WriteOutage> store = sessionStore.get();
    List<WriteOutage> all = all(store);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", ready(store) ? "ready" : "not_ready");
    m.put("not_writable", unwritable(all));
    List<Object> details = new ArrayList<>();
    for (WriteOutage o : all) details.add(o.toMap());
    m.put("outages", details);
    return m;
  }
}
