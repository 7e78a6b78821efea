package dev.curfew.client;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A client of Curfew's HTTP API (docs/api.md) for backends: the calls made with an API key, and
 * through {@link #session(String)} those a session holder makes with its token. Thread-safe; one
 * instance per server. Every answer that is not a success is thrown as a {@link CurfewProblem};
 * a network failure as {@link java.io.UncheckedIOException}.
 *
 * <pre>{@code
 * CurfewClient curfew = CurfewClient.builder(URI.create("http://localhost:8080")).apiKey(key).build();
 * CreatedSession s = curfew.openSession(SessionRequest.of("alice"));
 * SessionStatus now = curfew.check(s.token(), true);
 * }</pre>
 */
public final class CurfewClient {
  private final Transport transport;
  private final String authorization;

  private CurfewClient(Transport transport, String apiKey) {
    this.transport = transport;
    this.authorization = apiKey == null ? null : "Bearer " + apiKey;
  }

  public static Builder builder(URI baseUri) {
    return new Builder(baseUri);
  }

  /** Settings of a client: the server's base URI, the API key, the timeout of one call, the HTTP client. */
  public static final class Builder {
    private final URI base;
    private String apiKey;
    private Duration timeout = Duration.ofSeconds(30);
    private HttpClient http;

    private Builder(URI base) {
      Objects.requireNonNull(base, "baseUri");
      if (base.getQuery() != null || base.getFragment() != null) {
        throw new IllegalArgumentException("a base URI has no query or fragment: " + base);
      }
      this.base = base;
    }

    /** The API key for backend calls; without one only the holder and unauthenticated calls work. */
    public Builder apiKey(String key) {
      this.apiKey = key;
      return this;
    }

    /** How long one call may take (default 30 s); the event stream is not bounded by it. */
    public Builder timeout(Duration t) {
      if (t.isNegative() || t.isZero()) throw new IllegalArgumentException("timeout <= 0: " + t);
      this.timeout = t;
      return this;
    }

    /** The java.net.http client to use (proxy, TLS settings); by default one of HTTP/1.1 with a 10 s connect timeout. */
    public Builder httpClient(HttpClient client) {
      this.http = client;
      return this;
    }

    public CurfewClient build() {
      HttpClient client = http != null ? http
          : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
      return new CurfewClient(new Transport(client, base, timeout), apiKey);
    }
  }

  // ---- the session holder

  /** The calls of the holder of {@code token}. */
  public HolderSession session(String token) {
    return new HolderSession(transport, token);
  }

  // ---- sessions (API key)

  /** {@code POST /v1/sessions}: opens a session; its token is in this answer only. */
  public CreatedSession openSession(SessionRequest request) {
    Map<String, Object> m = transport.sendForObject(jsonRequest("/v1/sessions", "POST", request.body()));
    Map<String, Object> status = new LinkedHashMap<>(m);
    String token = (String) status.remove("token"); // the session's token, not a rotation
    return new CreatedSession(token, SessionStatus.from(status));
  }

  /** {@code GET /v1/sessions/{id}}: a live session; 404 {@code not-found}, or 410 {@code session-gone} with the reason. */
  public SessionStatus sessionById(String sessionId) {
    return SessionStatus.from(transport.sendForObject(backend("/v1/sessions/" + segment(sessionId)).GET().build()));
  }

  /** {@code GET /v1/sessions?subject=}: the live sessions of a subject (admin). */
  public List<SessionStatus> liveSessions(String subject) {
    Map<String, Object> m = transport.sendForObject(backend("/v1/sessions?subject=" + query(subject)).GET().build());
    return JsonValues.objects(m, "sessions").stream().map(SessionStatus::from).toList();
  }

  /** {@code GET /v1/subjects/{subject}/sessions}: the subject's live sessions on any gateway, oldest first (app). */
  public List<SessionStatus> subjectSessions(String subject) {
    Map<String, Object> m = transport.sendForObject(backend("/v1/subjects/" + segment(subject) + "/sessions").GET().build());
    return JsonValues.objects(m, "sessions").stream().map(SessionStatus::from).toList();
  }

  /** {@code DELETE /v1/sessions/{id}}: revokes a session. */
  public void revokeSession(String sessionId) {
    transport.send(backend("/v1/sessions/" + segment(sessionId)).DELETE().build());
  }

  /** {@code DELETE /v1/sessions/{id}} with a reason kept in the audit record (at most 1024 characters). */
  public void revokeSession(String sessionId, String reasonText) {
    transport.send(jsonRequest("/v1/sessions/" + segment(sessionId), "DELETE", Map.of("reason_text", reasonText)));
  }

  /** {@code POST /v1/subjects/{subject}/revoke}: revokes every live session of a subject; answers how many. */
  public long revokeSubject(String subject, String reasonText) {
    Map<String, Object> body = reasonText == null ? Map.of() : Map.of("reason_text", reasonText);
    Map<String, Object> m = transport.sendForObject(jsonRequest("/v1/subjects/" + segment(subject) + "/revoke", "POST", body));
    return JsonValues.longValue(m, "revoked", 0);
  }

  /** {@code POST /v1/introspect} (RFC 7662): passive. */
  public Introspection introspect(String token) {
    return Introspection.from(transport.sendForObject(backend("/v1/introspect")
        .header("Content-Type", "application/x-www-form-urlencoded").POST(Transport.form("token", token)).build()));
  }

  /** {@code POST /v1/revoke} (RFC 7009): ends the token's session if it is live. */
  public void revokeToken(String token) {
    transport.send(backend("/v1/revoke")
        .header("Content-Type", "application/x-www-form-urlencoded").POST(Transport.form("token", token)).build());
  }

  // ---- gateways

  /** {@code POST /v1/check}: the session of a token; with {@code touch}, also activity. */
  public SessionStatus check(String token, boolean touch) {
    return check(token, touch, null);
  }

  /** {@code POST /v1/check} for a place ({@code route:/}, {@code db:orders}, ...); 403 {@code wrong_audience} outside the session's audience. */
  public SessionStatus check(String token, boolean touch, String audience) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", token);
    body.put("touch", touch);
    if (audience != null) body.put("audience", audience);
    return SessionStatus.from(transport.sendForObject(jsonRequest("/v1/check", "POST", body)));
  }

  /** {@code GET /v1/forward-auth} with the session token for {@code audience}; {@code passive} does not count as activity. */
  public ForwardAuth forwardAuth(String token, String audience, boolean passive) {
    HttpRequest.Builder b = transport.request("/v1/forward-auth", "Bearer " + token).header("X-Curfew-Audience", audience);
    if (passive) b.header("X-Curfew-Passive", "1");
    HttpResponse<String> r = transport.exchange(b.GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200) throw Transport.problem(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    return new ForwardAuth(r.headers().firstValue("X-Curfew-Subject").orElse(null),
        r.headers().firstValue("X-Curfew-Session-Id").orElse(null),
        r.headers().firstValue("X-Curfew-Expires-At").map(Instant::parse).orElse(null));
  }

  // ---- policies (admin)

  public PolicyList policies() {
    Map<String, Object> m = transport.sendForObject(backend("/v1/policies").GET().build());
    return new PolicyList(JsonValues.string(m, "default_policy"),
        JsonValues.objects(m, "policies").stream().map(PolicyInfo::from).toList());
  }

  /** {@code GET /v1/policies/{name}}; 404 {@code policy-not-found}. */
  public PolicyInfo policy(String name) {
    return PolicyInfo.from(transport.sendForObject(backend("/v1/policies/" + segment(name)).GET().build()));
  }

  /**
   * {@code PUT /v1/policies/{name}}: a new version (fields as the API names them: {@code
   * idle_timeout: "15m"} or {@code idle_timeout_ms}, ...). With {@code applyToLive}, live sessions
   * take it too (it may only shorten their deadlines).
   */
  public PolicyInfo putPolicy(String name, Map<String, Object> policy, boolean applyToLive) {
    Map<String, Object> body = new LinkedHashMap<>(policy);
    if (applyToLive) body.put("apply_to_live", true);
    return PolicyInfo.from(transport.sendForObject(jsonRequest("/v1/policies/" + segment(name), "PUT", body)));
  }

  /** {@code POST /v1/policies/check}: the policy checked against presets (empty: those it declares); answered also when it fails. */
  public ComplianceReport checkPolicy(Map<String, Object> policy, List<String> against) {
    Map<String, Object> body = new LinkedHashMap<>(policy);
    if (!against.isEmpty()) body.put("against", against);
    return ComplianceReport.from(transport.sendForObject(jsonRequest("/v1/policies/check", "POST", body)));
  }

  /** {@code POST /v1/policies/explain}: the policy lived with {@code activity} ({@code "0s,5m,9m:extend"}; null: none). */
  public PolicyExplanation explainPolicy(Map<String, Object> policy, String activity) {
    Map<String, Object> body = new LinkedHashMap<>(policy);
    if (activity != null) body.put("activity", activity);
    Map<String, Object> m = transport.sendForObject(jsonRequest("/v1/policies/explain", "POST", body));
    return new PolicyExplanation(JsonValues.objects(m, "events"), JsonValues.millis(m, "end_offset_ms"),
        JsonValues.string(m, "end_reason"), JsonValues.string(m, "text"), JsonValues.string(m, "svg"));
  }

  // ---- audit trail (auditor)

  public AuditPage audit(AuditQuery query) {
    Map<String, Object> m = transport.sendForObject(backend("/v1/audit" + query.queryString()).GET().build());
    Long next = JsonValues.optionalLong(m, "next");
    return new AuditPage(JsonValues.objects(m, "records").stream().map(AuditRecord::from).toList(),
        next == null ? OptionalLong.empty() : OptionalLong.of(next),
        m.get("next") instanceof String cursor ? java.util.Optional.of(cursor) : java.util.Optional.empty());
  }

  /** {@code GET /v1/audit/checkpoint}: the latest signed checkpoint verbatim (what {@code --trusted-checkpoint} takes). */
  public String checkpoint() {
    return transport.send(backend("/v1/audit/checkpoint").setHeader("Accept", "text/plain").GET().build());
  }

  /** {@code GET /v1/audit/evidence}: the evidence bundle of one session verbatim (what {@code curfew audit verify-evidence} takes). */
  public String evidence(String sessionId) {
    return transport.send(backend("/v1/audit/evidence?session_id=" + query(sessionId)).GET().build());
  }

  /** {@code GET /v1/audit/consistency}: the proof that the tree of {@code toSize} extends that of {@code fromSize}. */
  public ConsistencyProof consistency(long fromSize, long toSize) {
    Map<String, Object> m = transport.sendForObject(
        backend("/v1/audit/consistency?from=" + fromSize + "&to=" + toSize).GET().build());
    return new ConsistencyProof(JsonValues.longValue(m, "from_size", 0), JsonValues.longValue(m, "to_size", 0),
        JsonValues.strings(m, "proof"));
  }

  // ---- operations

  /** {@code GET /healthz}: whether the server answers ok. */
  public boolean healthy() {
    return "ok".equals(JsonValues.string(transport.sendForObject(transport.request("/healthz", null).GET().build()), "status"));
  }

  /** {@code GET /readyz}: ready, or what cannot be written (a 503 is answered, not thrown). */
  public Readiness readiness() {
    HttpResponse<String> r = transport.exchange(transport.request("/readyz", null).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200 && r.statusCode() != 503) {
      throw Transport.problem(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }
    Map<String, Object> m;
    try {
      m = dev.curfew.core.audit.Json.parseObject(r.body());
    } catch (IllegalArgumentException e) {
      throw Transport.problem(r.statusCode(), "", r.body());
    }
    return new Readiness(r.statusCode() == 200, JsonValues.string(m, "status"), JsonValues.strings(m, "not_writable"),
        JsonValues.list(m, "outages"));
  }

  /** {@code GET /metrics}: the Prometheus text (sent with the API key, which {@code metrics.auth: true} requires). */
  public String metrics() {
    return transport.send(backend("/metrics").setHeader("Accept", "text/plain").GET().build());
  }

  /** {@code GET /openapi.json}: the OpenAPI 3.1 document of the API. */
  public String openApi() {
    return transport.send(transport.request("/openapi.json", null).GET().build());
  }

  private HttpRequest.Builder backend(String path) {
    return transport.request(path, authorization);
  }

  /** A backend request with a JSON body. */
  private HttpRequest jsonRequest(String path, String method, Map<String, Object> body) {
    return backend(path).header("Content-Type", "application/json").method(method, Transport.json(body)).build();
  }

  private static String segment(String value) {
    if (value == null || value.isEmpty()) throw new IllegalArgumentException("empty path segment");
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String query(String value) {
    return URLEncoder.encode(Objects.requireNonNull(value), StandardCharsets.UTF_8);
  }
}
