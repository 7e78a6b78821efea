package dev.curfew.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The filters of {@code GET /v1/audit}: session, subject, record type, a time range ({@code from}
 * inclusive, {@code to} exclusive), {@code after} a sequence number (or the cursor of the trail of several nodes), and a page size of 1 to 1000.
 * Immutable: each method returns a new query.
 */
public final class AuditQuery {
  private final Map<String, String> params;

  private AuditQuery(Map<String, String> params) {
    this.params = params;
  }

  /** Every record, first page of the server's default size. */
  public static AuditQuery all() {
    return new AuditQuery(Map.of());
  }

  public AuditQuery sessionId(String id) {
    return with("session_id", id);
  }

  public AuditQuery subject(String subject) {
    return with("subject", subject);
  }

  public AuditQuery type(String type) {
    return with("type", type);
  }

  public AuditQuery from(Instant from) {
    return with("from", from.toString());
  }

  public AuditQuery to(Instant to) {
    return with("to", to.toString());
  }

  public AuditQuery after(long seq) {
    return with("after", Long.toString(seq));
  }

  /** After the cursor of a page of the trail of several nodes ({@link AuditPage#cursor()}). */
  public AuditQuery after(String cursor) {
    return with("after", cursor);
  }

  /** The page that follows {@code page}, whichever form its position has. */
  public AuditQuery after(AuditPage page) {
    if (page.next().isPresent()) return after(page.next().getAsLong());
    return after(page.cursor().orElseThrow(() -> new IllegalArgumentException("the page is the last one")));
  }

  public AuditQuery limit(int limit) {
    if (limit < 1 || limit > 1000) throw new IllegalArgumentException("limit outside 1..1000: " + limit);
    return with("limit", Integer.toString(limit));
  }

  private AuditQuery with(String name, String value) {
    Map<String, String> copy = new LinkedHashMap<>(params);
    copy.put(name, java.util.Objects.requireNonNull(value, name));
    return new AuditQuery(copy);
  }

  String queryString() {
    if (params.isEmpty()) return "";
    return "?" + params.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }
}
