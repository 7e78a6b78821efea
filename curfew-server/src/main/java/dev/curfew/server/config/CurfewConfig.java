package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.curfew.core.Durations;
import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Policy;
import dev.curfew.core.PolicyException;
import dev.curfew.core.RotationGrace;
import dev.curfew.core.compliance.Compliance;
import dev.curfew.core.compliance.ComplianceReport;
import dev.curfew.core.compliance.Presets;
import dev.curfew.core.compliance.RuleResult;
import dev.curfew.gateway.mcp.McpRoute;
import dev.curfew.server.gateway.GatewayRoute;
import dev.curfew.server.http.RequestTarget;
import dev.curfew.server.http.SessionCookies;
import dev.curfew.server.security.ClientAddresses;
import dev.curfew.server.security.RateLimiter;
import dev.curfew.server.security.RateLimits;
import dev.curfew.server.security.SecurityHeaders;
import dev.curfew.server.security.Tls;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configuration file of spec/cli-and-config.md, read strictly: an unknown key, a bad duration
 * or an impossible policy is an error that names the key. Without a file, the defaults describe a
 * single node with the embedded store in {@code ./curfew-data} and one policy named {@code default}.
 */
public record CurfewConfig(
    String host,
    int port,
    Path dataDir,
    String node,
    List<ApiKeyConfig> apiKeys,
    StoreConfig store,
    AuditConfig audit,
    String defaultPolicy,
    Map<String, Policy> policies,
    GatewayConfig gateway,
    Duration snapshotInterval,
    Duration endedRetention,
    Duration auditRetention,
    int maxLiveSessions,
    boolean metricsAuth,
    NotifyConfig notifications,
    Path auditSigningKey,
    RateLimits.Settings rateLimits,
    Tls serverTls,
    List<DatabaseConfig> databases,
    RotationGrace rotationGrace,
    SshConfig ssh,
    List<IdentityProviderConfig> identityProviders,
    List<WitnessConfig> witnesses,
    TracingConfig tracing,
    NetTransport transport) {

  /**
   * A backend API key: its name, where its secret comes from (only a hash is kept), and its scopes
   * ({@code admin}, {@code app}, {@code gateway}, {@code auditor}); without {@code scopes}, admin.
   * {@code audience}: where the sessions it opens may be used by default and the places it checks
   * for (null: {@code app:<name>}).
   */
  public record ApiKeyConfig(String name, String keySha256, String keyEnv, List<String> scopes, List<String> audience) {
    public static final List<String> DEFAULT_SCOPES = List.of("admin");

    public ApiKeyConfig {
      scopes = List.copyOf(scopes);
      audience = audience == null ? null : List.copyOf(audience);
    }

    public ApiKeyConfig(String name, String keySha256, String keyEnv, List<String> scopes) {
      this(name, keySha256, keyEnv, scopes, null);
    }

    public ApiKeyConfig(String name, String keySha256, String keyEnv) {
      this(name, keySha256, keyEnv, DEFAULT_SCOPES);
    }
  }

  /**
   * Who is told when a session ends (section {@code notify}): signed webhooks, and OpenID Connect
   * back-channel logout endpoints; each delivery tried at most {@code maxAttempts} times.
   */
  public record NotifyConfig(int maxAttempts, List<WebhookConfig> webhooks, List<BackchannelConfig> backchannelLogout,
      String signingAlg, String issuer) {
    public static final NotifyConfig NONE = new NotifyConfig(6, List.of(), List.of(), "RS256", null);

    public NotifyConfig(int maxAttempts, List<WebhookConfig> webhooks, List<BackchannelConfig> backchannelLogout) {
      this(maxAttempts, webhooks, backchannelLogout, "RS256", null);
    }

    /**
     * The issuer Curfew's discovery document names: {@code issuer} if set, else the one issuer all
     * back-channel receivers share; null when there is none.
     */
    public String discoveryIssuer() {
      if (issuer != null) return issuer;
      java.util.Set<String> all = new java.util.HashSet<>();
      backchannelLogout.forEach(b -> all.add(b.issuer()));
      return all.size() == 1 ? all.iterator().next() : null;
    }
  }

  /**
   * An identity provider whose back-channel logouts end Curfew sessions (section {@code
   * identity_providers}): exactly one of {@code jwksUri} and {@code discoveryUrl}.
   */
  public record IdentityProviderConfig(String name, String issuer, String jwksUri, String discoveryUrl, String audience,
      Duration maxTokenAge) {}

  /**
   * A witness every checkpoint is submitted to (c2sp.org/tlog-witness): its base URL (the
   * submission prefix: {@code <url>/add-checkpoint}) and its verifier key, {@code
   * name+hex8+base64(0x04||key)} as {@code curfew witness public-key} prints it.
   */
  public record WitnessConfig(String url, String key) {}

  /** A webhook receiver; its HMAC secret is read from the environment variable {@code secretEnv}. */
  public record WebhookConfig(String url, String secretEnv) {}

  /** A relying party's back-channel logout endpoint, and the {@code iss}/{@code aud} of its tokens. */
  public record BackchannelConfig(String url, String issuer, String audience) {}

  /**
   * The gateway section; its routes are parsed and checked here, once, and enforced by the gateway.
   *
   * @param tls null: plain HTTP
   * @param securityHeaders whether responses that lack them get the usual security headers
   * @param trustedProxies addresses or CIDR networks in front of the gateway whose forwarding headers are kept
   */
  public record GatewayConfig(int port, List<GatewayRoute> routes, Tls tls, boolean securityHeaders,
      List<String> trustedProxies) {
    public GatewayConfig {
      routes = List.copyOf(routes);
      trustedProxies = List.copyOf(trustedProxies);
    }

    public GatewayConfig(int port, List<GatewayRoute> routes) {
      this(port, routes, null, true, List.of());
    }
  }

  /**
   * The built-in policy: PCI DSS 4.0 (15 min idle) and NIST SP 800-63B AAL2 compatible, and WCAG 2.2
   * SC 2.2.1 for its idle limit (its 12h absolute limit, which cannot be extended, warns: it relies
   * on the Essential Exception).
   */
  public static Policy builtInDefaultPolicy() {
    return Policy.builder("default").idleTimeout(Duration.ofMinutes(15)).absoluteTimeout(Duration.ofHours(12))
        .warnBefore(Duration.ofMinutes(2)).maxExtensions(10).build();
  }

  public static CurfewConfig defaults() {
    Map<String, Policy> policies = new LinkedHashMap<>();
    policies.put("default", builtInDefaultPolicy());
    return new CurfewConfig("0.0.0.0", 8080, Path.of("curfew-data"), null, List.of(), StoreConfig.EMBEDDED,
        AuditConfig.FILE, "default", policies, null, Duration.ofSeconds(10), Duration.ofHours(24),
        Duration.ofDays(400), 10_000_000, false, NotifyConfig.NONE, null, RateLimits.Settings.defaults(), null, List.of(),
        RotationGrace.DEFAULT, null, List.of(), List.of(), TracingConfig.OFF, NetTransport.AUTO);
  }

  private static final Set<String> TOP = Set.of("server", "data_dir", "node", "api_keys", "store", "redis", "audit",
      "postgres", "default_policy", "policies", "gateway", "snapshot_interval", "ended_retention",
      "audit_retention", "max_live_sessions", "metrics", "notify", "audit_signing_key", "rate_limits", "databases",
      "rotation_grace", "ssh",
      "identity_providers", "witnesses", "tracing");
  /** The API key scopes (dev.curfew.server.http.Scope, which this package does not depend on). */
  private static final List<String> SCOPES = List.of("admin", "app", "gateway", "auditor");
  private static final Set<String> POLICY_KEYS = Set.of("idle_timeout", "absolute_timeout", "warn_before",
      "max_extensions", "renew_every", "comply_with", "max_sessions_per_subject", "when_exceeded", "limit_scope",
      "resume_within");
  private static final Set<String> ROUTE_KEYS = Set.of("path", "upstream", "policy", "login_path", "login_handoff",
      "passive_paths", "cookie", "kind", "active_methods", "busy_is_activity", "allowed_origins");
  /** The keys of a web route that mean nothing on a {@code kind: mcp} route (spec/protocol-gateways.md). */
  private static final Set<String> WEB_ONLY_ROUTE_KEYS = Set.of("login_path", "login_handoff", "passive_paths", "cookie");
  private static final Set<String> MCP_ONLY_ROUTE_KEYS = Set.of("active_methods", "busy_is_activity", "allowed_origins");

  /** Loads a configuration file for {@code serve}: policies must meet the presets they declare. */
  public static CurfewConfig load(Path file) {
    return parse(ConfigText.read(file, "config"), true);
  }

  public static CurfewConfig parse(String yaml) {
    return parse(yaml, true);
  }

  /**
   * Parses configuration text. With {@code forServe}, what only {@code serve} needs is required too:
   * a policy that fails a MUST rule of a preset it declares in {@code comply_with} is an error naming
   * the rule, and several policies need a {@code default_policy}. The design tools ({@code curfew
   * policy check | explain}) pass false so that they can report on such a policy, and on every policy
   * of a file that names no default; {@link #defaultPolicy()} is then null.
   */
  public static CurfewConfig parse(String yaml, boolean forServe) {
    JsonNode root = ConfigText.parse(yaml, "config");
    if (root == null || absent(root)) {
      return defaults();
    }
    requireObject("config", root);
    onlyKeys("", root, TOP);
    CurfewConfig d = defaults();
    JsonNode server = root.path("server");
    if (!absent(server)) {
      requireObject("server", server);
      onlyKeys("server.", server, Set.of("port", "host", "tls", "transport"));
    }
    int port = intIn("server.port", server.path("port"), d.port(), 0, 65535);
    String host = string("server.host", server.path("host"), d.host());
    Path dataDir = Path.of(pathName("data_dir", root.path("data_dir"), d.dataDir().toString(), "directory"));
    String node = string("node", root.path("node"), null);
    if (node != null && !isName(node)) {
      throw new ConfigException("node", "must be " + NAME_RULE);
    }
    List<ApiKeyConfig> keys = apiKeys(root.path("api_keys"));
    StoreConfig store = StoreConfig.parse(root);
    AuditConfig audit = AuditConfig.parse(root);
    Map<String, Policy> policies = policies(root.path("policies"), d.policies());
    for (Policy p : policies.values()) {
      checkDeclaredPresets("policies." + keyName(p.name()), p, forServe);
    }
    String defaultPolicy = string("default_policy", root.path("default_policy"), null);
    if (defaultPolicy == null) {
      defaultPolicy = policies.containsKey("default") ? "default"
          : policies.size() == 1 ? policies.keySet().iterator().next() : null;
      if (defaultPolicy == null && forServe) {
        throw new ConfigException("default_policy", "several policies are defined: name the default one");
      }
    } else if (!policies.containsKey(defaultPolicy)) {
      throw new ConfigException("default_policy", "\"" + defaultPolicy + "\" is not among policies " + policies.keySet());
    }
    GatewayConfig gateway = gateway(root.path("gateway"), policies);
    JsonNode metrics = root.path("metrics");
    if (!absent(metrics)) {
      requireObject("metrics", metrics);
      onlyKeys("metrics.", metrics, Set.of("auth"));
    }
    boolean metricsAuth = bool("metrics.auth", metrics.path("auth"), false);
    return new CurfewConfig(host, port, dataDir, node, keys, store, audit, defaultPolicy, policies, gateway,
        positiveDuration("snapshot_interval", root.path("snapshot_interval"), d.snapshotInterval()),
        duration("ended_retention", root.path("ended_retention"), d.endedRetention()),
        positiveDuration("audit_retention", root.path("audit_retention"), d.auditRetention()),
        // With Redis, each of the store's 16 shards holds a share of the limit (docs/distributed.md).
        intIn("max_live_sessions", root.path("max_live_sessions"), d.maxLiveSessions(), store instanceof StoreConfig.Redis ? 16 : 1,
            100_000_000),
        metricsAuth, notifications(root.path("notify")), auditSigningKey(root.path("audit_signing_key")),
        rateLimits(root.path("rate_limits")), tls("server.tls", server.path("tls")),
        DatabaseConfig.parseAll(root.path("databases"), policies.keySet(), defaultPolicy),
        rotationGrace(root.path("rotation_grace"), d.rotationGrace()),
        SshConfig.parse(root.path("ssh"), policies, defaultPolicy),
        identityProviders(root.path("identity_providers")),
        witnesses(root.path("witnesses")),
        TracingConfig.parse(root.path("tracing")),
        NetTransport.parse("server.transport", string("server.transport", server.path("transport"), d.transport().key())));
  }

  /** {@code witnesses: [{url, key}]}: each URL http(s), each key a witness verifier key (0x04). */
  private static List<WitnessConfig> witnesses(JsonNode n) {
    if (absent(n)) return List.of();
    if (!n.isArray()) throw new ConfigException("witnesses", "must be a list of {url, key}");
    List<WitnessConfig> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      String at = "witnesses[" + i + "]";
      JsonNode w = n.get(i);
      requireObject(at, w);
      onlyKeys(at + ".", w, Set.of("url", "key"));
      String url = string(at + ".url", w.path("url"), null);
      String key = string(at + ".key", w.path("key"), null);
      if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
        throw new ConfigException(at + ".url", "must be an http:// or https:// URL");
      }
      try {
        java.net.URI.create(url);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + ".url", e.getMessage());
      }
      try {
        dev.curfew.core.audit.WitnessKey.parse(key == null ? "" : key);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + ".key", e.getMessage());
      }
      out.add(new WitnessConfig(url, key));
    }
    return List.copyOf(out);
  }

  /** The same configuration with command-line overrides applied (null: keep). */
  public CurfewConfig withOverrides(Integer portOverride, Path dataDirOverride) {
    return new CurfewConfig(host, portOverride == null ? port : portOverride,
        dataDirOverride == null ? dataDir : dataDirOverride, node, apiKeys, store, audit, defaultPolicy, policies, gateway, snapshotInterval,
        endedRetention, auditRetention, maxLiveSessions, metricsAuth, notifications, auditSigningKey, rateLimits,
        serverTls, databases, rotationGrace, ssh, identityProviders, witnesses, tracing, transport);
  }

  /** {@code audit_signing_key: FILE}: the checkpoint signer key (NoteSigner format); absent: created in the data dir. */
  private static Path auditSigningKey(JsonNode n) {
    String file = pathName("audit_signing_key", n, null, "file");
    return file == null ? null : Path.of(file);
  }

  /**
   * {@code tls: {cert: FILE, key: FILE, hsts: {max_age, include_subdomains, preload}}}: PEM files,
   * read when the server starts ({@link Tls#check}); absent: plain HTTP.
   */
  private static Tls tls(String key, JsonNode n) {
    if (absent(n)) return null;
    requireObject(key, n);
    onlyKeys(key + ".", n, Set.of("cert", "key", "hsts"));
    String cert = string(key + ".cert", n.path("cert"), null);
    String pem = string(key + ".key", n.path("key"), null);
    if (cert == null || cert.isBlank()) throw new ConfigException(key + ".cert", "required: the PEM certificate (chain) file");
    if (pem == null || pem.isBlank()) throw new ConfigException(key + ".key", "required: the PEM private key file");
    SecurityHeaders.Hsts hsts = SecurityHeaders.Hsts.DEFAULT;
    JsonNode h = n.path("hsts");
    if (!absent(h)) {
      requireObject(key + ".hsts", h);
      onlyKeys(key + ".hsts.", h, Set.of("max_age", "include_subdomains", "preload"));
      try {
        hsts = new SecurityHeaders.Hsts(duration(key + ".hsts.max_age", h.path("max_age"), hsts.maxAge()),
            bool(key + ".hsts.include_subdomains", h.path("include_subdomains"), false),
            bool(key + ".hsts.preload", h.path("preload"), false));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + ".hsts", e.getMessage());
      }
    }
    return new Tls(Path.of(cert), Path.of(pem), hsts);
  }

  /** {@code rate_limits}: each limit {@code {limit: N, per: DURATION}}; what is left out keeps its default. */
  private static RateLimits.Settings rateLimits(JsonNode node) {
    RateLimits.Settings d = RateLimits.Settings.defaults();
    if (absent(node)) return d;
    requireObject("rate_limits", node);
    onlyKeys("rate_limits.", node, Set.of("enabled", "open_per_key", "open_per_subject", "extend_per_subject",
        "failed_checks_per_key", "failed_checks_per_address", "max_tracked", "trusted_proxies"));
    List<String> proxies = trustedProxies("rate_limits.trusted_proxies", node.path("trusted_proxies"));
    return new RateLimits.Settings(bool("rate_limits.enabled", node.path("enabled"), d.enabled()),
        rate("rate_limits.open_per_key", node.path("open_per_key"), d.openPerKey()),
        rate("rate_limits.open_per_subject", node.path("open_per_subject"), d.openPerSubject()),
        rate("rate_limits.extend_per_subject", node.path("extend_per_subject"), d.extendPerSubject()),
        rate("rate_limits.failed_checks_per_key", node.path("failed_checks_per_key"), d.failedChecksPerKey()),
        rate("rate_limits.failed_checks_per_address", node.path("failed_checks_per_address"),
            d.failedChecksPerAddress()),
        intIn("rate_limits.max_tracked", node.path("max_tracked"), d.maxTracked(), 100, 10_000_000),
        proxies);
  }

  private static RateLimiter.Rate rate(String key, JsonNode n, RateLimiter.Rate dflt) {
    if (absent(n)) return dflt;
    requireObject(key, n);
    onlyKeys(key + ".", n, Set.of("limit", "per"));
    int limit = intIn(key + ".limit", n.path("limit"), dflt.limit(), 1, 1_000_000);
    Duration per = duration(key + ".per", n.path("per"), dflt.per());
    try {
      return RateLimiter.Rate.of(limit, per);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
  }

  private static List<ApiKeyConfig> apiKeys(JsonNode node) {
    if (absent(node)) return List.of();
    if (!node.isArray()) throw new ConfigException("api_keys", "must be a list");
    List<ApiKeyConfig> out = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String at = "api_keys[" + i + "]";
      JsonNode k = node.get(i);
      requireObject(at, k);
      onlyKeys(at + ".", k, Set.of("name", "key_sha256", "key_env", "scopes", "audience"));
      String name = string(at + ".name", k.path("name"), null);
      if (!isName(name)) {
        throw new ConfigException(at + ".name", "required, " + NAME_RULE);
      }
      if (!names.add(name)) throw new ConfigException(at + ".name", "duplicate key name \"" + name + "\"");
      String sha = string(at + ".key_sha256", k.path("key_sha256"), null);
      String env = string(at + ".key_env", k.path("key_env"), null);
      if ((sha == null) == (env == null)) {
        throw new ConfigException(at, "give exactly one of key_sha256 and key_env");
      }
      if (sha != null && !sha.matches("[0-9a-fA-F]{64}")) {
        throw new ConfigException(at + ".key_sha256", "must be 64 hex digits (SHA-256 of the key)");
      }
      out.add(new ApiKeyConfig(name, sha == null ? null : sha.toLowerCase(), env, scopes(at + ".scopes", k.path("scopes")),
          keyAudience(at + ".audience", k.path("audience"))));
    }
    return out;
  }

  /**
   * {@code audience: ["app:web", "route:/"]}: a non-empty list of places (dev.curfew.core.Audience's
   * grammar), never {@code console}, which only console sign-in gives; absent: null.
   */
  private static List<String> keyAudience(String key, JsonNode n) {
    if (absent(n)) return null;
    List<String> out = new ArrayList<>();
    for (JsonNode s : list(key, n)) {
      if (!s.isTextual()) throw new ConfigException(key, "must be a list of strings, found " + kind(s));
      out.add(s.asText());
    }
    try {
      dev.curfew.core.Audience a = dev.curfew.core.Audience.of(out);
      if (a.entries().contains(dev.curfew.core.Audience.CONSOLE_ENTRY)) {
        throw new ConfigException(key, "console is reserved for console sign-in");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
    return out;
  }

  /** {@code scopes: [app, gateway]}: a non-empty list of known scopes without repeats; absent: admin. */
  private static List<String> scopes(String key, JsonNode n) {
    if (absent(n)) return ApiKeyConfig.DEFAULT_SCOPES;
    List<String> out = new ArrayList<>();
    for (JsonNode s : list(key, n)) {
      if (!s.isTextual() || !SCOPES.contains(s.asText())) {
        throw new ConfigException(key, "unknown scope: " + kind(s) + " (known: " + String.join(", ", SCOPES) + ")");
      }
      if (out.contains(s.asText())) throw new ConfigException(key, "scope " + s.asText() + " is listed twice");
      out.add(s.asText());
    }
    if (out.isEmpty()) throw new ConfigException(key, "give at least one scope (" + String.join(", ", SCOPES) + ")");
    return out;
  }

  private static Map<String, Policy> policies(JsonNode node, Map<String, Policy> defaults) {
    if (absent(node)) return defaults;
    requireObject("policies", node);
    if (node.size() == 0) throw new ConfigException("policies", "at least one policy is needed");
    Map<String, Policy> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!isName(e.getKey())) {
        throw new ConfigException("policies." + keyName(e.getKey()), "must be " + NAME_RULE + ", not \"" + e.getKey() + "\"");
      }
      out.put(e.getKey(), policy("policies." + keyName(e.getKey()), e.getKey(), e.getValue()));
    }
    return out;
  }

  /** One policy from its YAML object; {@code at} prefixes the key named in errors. */
  public static Policy policy(String at, String name, JsonNode p) {
    requireObject(at.isEmpty() ? "policy" : at, p);
    String pre = at.isEmpty() ? "" : at + ".";
    onlyKeys(pre, p, POLICY_KEYS);
    for (String required : List.of("idle_timeout", "absolute_timeout")) {
      // a YAML null ("idle_timeout:" or "~") is as absent as a missing key (ConfigFuzzTest found the NPE)
      if (absent(p.path(required))) throw new ConfigException(pre + required, "required");
    }
    List<String> comply = new ArrayList<>();
    JsonNode c = p.path("comply_with");
    if (!absent(c)) {
      if (!c.isArray()) throw new ConfigException(pre + "comply_with", "must be a list of preset ids");
      for (JsonNode id : c) {
        if (!id.isTextual()) throw new ConfigException(pre + "comply_with", "preset ids are strings");
        comply.add(id.asText());
      }
    }
    try {
      return new Policy(name, 1,
          duration(pre + "idle_timeout", p.path("idle_timeout"), null),
          duration(pre + "absolute_timeout", p.path("absolute_timeout"), null),
          duration(pre + "warn_before", p.path("warn_before"), Duration.ZERO),
          intIn(pre + "max_extensions", p.path("max_extensions"), 0, 0, Policy.MAX_EXTENSIONS_LIMIT),
          duration(pre + "renew_every", p.path("renew_every"), null),
          comply, concurrency(pre, p), duration(pre + "resume_within", p.path("resume_within"), null));
    } catch (PolicyException e) {
      // The name is the policy's own key in the file, not a key inside it.
      String key = !e.key().equals("name") ? pre + e.key() : at.isEmpty() ? "policy" : at;
      throw new ConfigException(key, e.getMessage());
    }
  }

  /** {@code max_sessions_per_subject}, {@code when_exceeded}, {@code limit_scope}: see {@link ConcurrencyLimit}. */
  private static ConcurrencyLimit concurrency(String pre, JsonNode p) {
    JsonNode max = p.path("max_sessions_per_subject");
    Integer limit = absent(max) ? null
        : intIn(pre + "max_sessions_per_subject", max, 0, 1, ConcurrencyLimit.MAX_LIMIT);
    return ConcurrencyLimit.of(limit, string(pre + "when_exceeded", p.path("when_exceeded"), null),
        string(pre + "limit_scope", p.path("limit_scope"), null));
  }

  /**
   * Unknown preset ids are always errors; with {@code enforce}, so is failing a MUST rule of a
   * declared preset (SHOULD rules only warn, as spec/policy.md says).
   */
  public static void checkDeclaredPresets(String at, Policy p, boolean enforce) {
    String pre = at.isEmpty() ? "" : at + ".";
    for (String id : p.complyWith()) {
      if (Presets.get(id).isEmpty()) {
        throw new ConfigException(pre + "comply_with", "unknown compliance preset \"" + id + "\" (known: "
            + String.join(", ", Presets.ids()) + ")");
      }
    }
    if (!enforce || p.complyWith().isEmpty()) return;
    ComplianceReport report = Compliance.check(p);
    if (!report.passed()) {
      RuleResult r = report.failures().get(0);
      throw new ConfigException(pre + (r.field() == null ? "comply_with" : r.field()),
          "fails " + r.preset() + " rule " + r.rule() + " (value " + r.value() + ", " + r.citation() + ")"
              + (report.failures().size() > 1 ? " and " + (report.failures().size() - 1) + " more; run curfew policy check" : ""));
    }
  }

  private static NotifyConfig notifications(JsonNode node) {
    if (absent(node)) return NotifyConfig.NONE;
    requireObject("notify", node);
    onlyKeys("notify.", node, Set.of("max_attempts", "webhooks", "backchannel_logout", "signing_alg", "issuer"));
    String alg = oneOf("notify.signing_alg", node.path("signing_alg"), "RS256", Set.of("RS256", "ES256", "EdDSA"));
    String issuer = absent(node.path("issuer")) ? null : url("notify.issuer", node.path("issuer"));
    int attempts = intIn("notify.max_attempts", node.path("max_attempts"), NotifyConfig.NONE.maxAttempts(), 1, 20);
    List<WebhookConfig> hooks = new ArrayList<>();
    for (JsonNode w : list("notify.webhooks", node.path("webhooks"))) {
      String at = "notify.webhooks[" + hooks.size() + "]";
      requireObject(at, w);
      onlyKeys(at + ".", w, Set.of("url", "secret_env"));
      String env = string(at + ".secret_env", w.path("secret_env"), null);
      if (env == null || !env.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new ConfigException(at + ".secret_env", "required: the environment variable holding the HMAC secret");
      }
      hooks.add(new WebhookConfig(url(at + ".url", w.path("url")), env));
    }
    List<BackchannelConfig> rps = new ArrayList<>();
    for (JsonNode b : list("notify.backchannel_logout", node.path("backchannel_logout"))) {
      String at = "notify.backchannel_logout[" + rps.size() + "]";
      requireObject(at, b);
      onlyKeys(at + ".", b, Set.of("url", "issuer", "audience"));
      String iss = string(at + ".issuer", b.path("issuer"), null);
      String aud = string(at + ".audience", b.path("audience"), null);
      if (iss == null || iss.isBlank()) throw new ConfigException(at + ".issuer", "required");
      if (aud == null || aud.isBlank()) throw new ConfigException(at + ".audience", "required (the client_id of the relying party)");
      rps.add(new BackchannelConfig(url(at + ".url", b.path("url")), iss, aud));
    }
    return new NotifyConfig(attempts, hooks, rps, alg, issuer);
  }

  private static List<IdentityProviderConfig> identityProviders(JsonNode node) {
    List<IdentityProviderConfig> out = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (JsonNode p : list("identity_providers", node)) {
      String at = "identity_providers[" + out.size() + "]";
      requireObject(at, p);
      onlyKeys(at + ".", p, Set.of("name", "issuer", "jwks_uri", "discovery_url", "audience", "max_token_age"));
      String name = string(at + ".name", p.path("name"), null);
      if (name == null || !name.matches("[A-Za-z0-9_-]{1,64}")) {
        throw new ConfigException(at + ".name", "required: 1-64 of A-Z a-z 0-9 _ - (it is the endpoint's path segment)");
      }
      if (!names.add(name)) throw new ConfigException(at + ".name", "\"" + name + "\" is configured twice");
      String issuer = string(at + ".issuer", p.path("issuer"), null);
      if (issuer == null || issuer.isBlank()) throw new ConfigException(at + ".issuer", "required: the provider's iss");
      boolean hasJwks = !absent(p.path("jwks_uri"));
      boolean hasDiscovery = !absent(p.path("discovery_url"));
      if (hasJwks == hasDiscovery) throw new ConfigException(at + ".jwks_uri", "give exactly one of jwks_uri and discovery_url");
      String aud = string(at + ".audience", p.path("audience"), null);
      if (aud == null || aud.isBlank()) throw new ConfigException(at + ".audience", "required: Curfew's client_id at the provider");
      Duration age = duration(at + ".max_token_age", p.path("max_token_age"), Duration.ofMinutes(5));
      if (age.isNegative() || age.isZero() || age.compareTo(Duration.ofHours(1)) > 0) {
        throw new ConfigException(at + ".max_token_age", "must be more than 0 and at most 1h");
      }
      out.add(new IdentityProviderConfig(name, issuer, hasJwks ? url(at + ".jwks_uri", p.path("jwks_uri")) : null,
          hasDiscovery ? url(at + ".discovery_url", p.path("discovery_url")) : null, aud, age));
    }
    return List.copyOf(out);
  }

  static List<JsonNode> list(String key, JsonNode n) {
    if (absent(n)) return List.of();
    if (!n.isArray()) throw new ConfigException(key, "must be a list");
    List<JsonNode> out = new ArrayList<>();
    n.forEach(out::add);
    return out;
  }

  /** A list of IP addresses or CIDR networks ({@code 10.0.0.0/8}, {@code ::1}), each checked by {@link ClientAddresses}. */
  private static List<String> trustedProxies(String key, JsonNode node) {
    List<String> proxies = new ArrayList<>();
    for (JsonNode p : list(key, node)) {
      if (!p.isTextual()) throw new ConfigException(key, "addresses are strings, not " + kind(p));
      proxies.add(p.asText());
    }
    try {
      ClientAddresses.trusting(proxies);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
    return proxies;
  }

  /** {@code active_methods} of an MCP route: JSON-RPC method names; omitted, the spec's default list. */
  private static List<String> activeMethods(String key, JsonNode n) {
    if (absent(n)) return McpRoute.DEFAULT_ACTIVE_METHODS;
    if (!n.isArray()) throw new ConfigException(key, "must be a list of JSON-RPC method names, not " + kind(n));
    List<String> methods = new ArrayList<>();
    for (JsonNode m : n) {
      if (!m.isTextual() || m.asText().isBlank()) throw new ConfigException(key, "method names are non-empty strings, not " + kind(m));
      methods.add(m.asText());
    }
    return methods;
  }

  /**
   * {@code allowed_origins} of an MCP route: the origins, {@code http(s)://host[:port]}, whose browser
   * requests it serves besides its own; omitted, none.
   */
  private static List<String> allowedOrigins(String key, JsonNode n) {
    if (absent(n)) return List.of();
    if (!n.isArray()) throw new ConfigException(key, "must be a list of origins (http(s)://host[:port]), not " + kind(n));
    List<String> origins = new ArrayList<>();
    for (JsonNode o : n) {
      if (!o.isTextual() || !o.asText().matches("(?i)https?://[^/\\s?#@]+")) {
        throw new ConfigException(key, "\"" + o.asText() + "\" is not an origin: scheme://host[:port], no path (e.g. https://agents.example.com)");
      }
      origins.add(o.asText());
    }
    return origins;
  }

  /** A path of the gateway's configuration: it starts with / and is one the gateway would not refuse as ambiguous. */
  private static String routePath(String key, String path) {
    if (path == null) return null;
    String why = path.startsWith("/") ? RequestTarget.pathAmbiguity(path, RequestTarget.Port.FORWARDING) : "it does not start with /";
    if (why != null) throw new ConfigException(key, "\"" + path + "\" can never match a request: " + why);
    return path;
  }

  private static String url(String key, JsonNode n) {
    String u = string(key, n, null);
    if (u == null || !u.matches("https?://[^\\s]+")) throw new ConfigException(key, "required, an http(s) URL");
    return u;
  }

  private static GatewayConfig gateway(JsonNode node, Map<String, Policy> policies) {
    if (absent(node)) return null;
    requireObject("gateway", node);
    onlyKeys("gateway.", node, Set.of("port", "routes", "tls", "security_headers", "trusted_proxies"));
    int port = intIn("gateway.port", node.path("port"), 8081, 0, 65535);
    List<GatewayRoute> routes = new ArrayList<>();
    JsonNode rs = node.path("routes");
    if (!absent(rs)) {
      if (!rs.isArray()) throw new ConfigException("gateway.routes", "must be a list");
      for (int i = 0; i < rs.size(); i++) routes.add(route("gateway.routes[" + i + "]", rs.get(i), policies));
    }
    return new GatewayConfig(port, routes, tls("gateway.tls", node.path("tls")),
        bool("gateway.security_headers", node.path("security_headers"), true),
        trustedProxies("gateway.trusted_proxies", node.path("trusted_proxies")));
  }

  /** One of {@code gateway.routes}, {@code at} its key: a web route, or with {@code kind: mcp} an MCP server's. */
  private static GatewayRoute route(String at, JsonNode r, Map<String, Policy> policies) {
    requireObject(at, r);
    onlyKeys(at + ".", r, ROUTE_KEYS);
    String path = string(at + ".path", r.path("path"), null);
    if (path == null || !path.startsWith("/")) throw new ConfigException(at + ".path", "required, starts with /");
    routePath(at + ".path", path);
    String kind = string(at + ".kind", r.path("kind"), "http");
    if (!kind.equals("http") && !kind.equals("mcp")) {
      throw new ConfigException(at + ".kind", "\"" + kind + "\" is not a route kind (http | mcp)");
    }
    boolean mcp = kind.equals("mcp");
    for (String k : mcp ? WEB_ONLY_ROUTE_KEYS : MCP_ONLY_ROUTE_KEYS) {
      if (!absent(r.path(k))) throw new ConfigException(at + "." + k, "not a key of a kind: " + kind + " route");
    }
    String upstream = string(at + ".upstream", r.path("upstream"), null);
    // An MCP server's endpoint has a path of its own (http://127.0.0.1:9000/mcp); a web upstream has none.
    if (upstream == null || !upstream.matches(mcp ? "https?://[^/\\s]+(/[^\\s?#]*)?" : "https?://[^/\\s]+/?")) {
      throw new ConfigException(at + ".upstream", mcp ? "required, http(s)://host:port/path" : "required, http(s)://host:port");
    }
    String policy = string(at + ".policy", r.path("policy"), null);
    if (policy != null && !policies.containsKey(policy)) {
      throw new ConfigException(at + ".policy", "\"" + policy + "\" is not among policies " + policies.keySet());
    }
    try {
      URI upstreamUri = new URI(upstream);
      if (mcp) {
        return new GatewayRoute.Mcp(new McpRoute(path, upstreamUri,
            Set.copyOf(activeMethods(at + ".active_methods", r.path("active_methods"))),
            bool(at + ".busy_is_activity", r.path("busy_is_activity"), true),
            allowedOrigins(at + ".allowed_origins", r.path("allowed_origins"))), policy);
      }
      String loginPath = routePath(at + ".login_path", string(at + ".login_path", r.path("login_path"), null));
      boolean handoff = bool(at + ".login_handoff", r.path("login_handoff"), false);
      String cookie = string(at + ".cookie", r.path("cookie"), GatewayRoute.DEFAULT_COOKIE);
      if (!SessionCookies.isName(cookie)) {
        throw new ConfigException(at + ".cookie", "\"" + cookie + "\" is not a cookie name: " + SessionCookies.NAME_RULE);
      }
      List<String> passive = new ArrayList<>();
      List<JsonNode> pps = list(at + ".passive_paths", r.path("passive_paths"));
      for (int j = 0; j < pps.size(); j++) passive.add(routePath(at + ".passive_paths[" + j + "]", pps.get(j).asText()));
      return new GatewayRoute.Web(path, upstreamUri, policy, loginPath, handoff, passive, cookie);
    } catch (URISyntaxException | IllegalArgumentException e) {
      // What the pattern above lets through but is no URL with a host (http://a_b:80 has none).
      throw new ConfigException(at + ".upstream", "not a usable URL: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------ typed readers that name the key

  /**
   * Whether a key is left out: missing, or a YAML null ({@code key:} with nothing after it, {@code ~},
   * {@code null}), which docs/configuration.md says is the same. Every reader asks this, never
   * {@code isMissingNode()} alone.
   */
  static boolean absent(JsonNode n) {
    return n.isMissingNode() || n.isNull();
  }

  static void requireObject(String key, JsonNode n) {
    if (!n.isObject()) throw new ConfigException(key, "must be a mapping, not " + kind(n));
  }

  static void onlyKeys(String prefix, JsonNode n, Set<String> allowed) {
    Iterator<String> names = n.fieldNames();
    while (names.hasNext()) {
      String k = names.next();
      if (!allowed.contains(k)) {
        throw new ConfigException(prefix + keyName(k), "unknown key (known: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
      }
    }
  }

  /**
   * The rule of the names of a node, an API key, a policy, a database and an SSH target, in words
   * (dev.curfew.core.Policy and dev.curfew.gateway.ssh.SshTarget check the same pattern).
   */
  static final String NAME_RULE = "1-64 of [A-Za-z0-9._-], the first a letter or digit";

  static boolean isName(String s) {
    return s != null && s.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  }

  /**
   * A key of the file as a step of a dotted path: as it is when it is a plain word, else quoted
   * ({@code policies."v1.2"}), so that a dot, a space or an empty key (YAML {@code ?}) in it cannot
   * be read as another step or as nothing.
   */
  static String keyName(String k) {
    return k.matches("[A-Za-z0-9_-]+") ? k : "\"" + k + "\"";
  }

  static String string(String key, JsonNode n, String dflt) {
    if (absent(n)) return dflt;
    if (!n.isTextual()) throw new ConfigException(key, "must be a string, not " + kind(n));
    return n.asText();
  }

  /**
   * A file or directory name ({@code what}); an empty one is an error, for Path.of("") would be the
   * working directory.
   */
  private static String pathName(String key, JsonNode n, String dflt, String what) {
    String name = string(key, n, dflt);
    if (name != null && name.isBlank()) throw new ConfigException(key, "must be a " + what + " name");
    return name;
  }

  static String oneOf(String key, JsonNode n, String dflt, Set<String> allowed) {
    String v = string(key, n, dflt);
    if (!allowed.contains(v)) throw new ConfigException(key, "must be one of " + allowed + ", not \"" + v + "\"");
    return v;
  }

  static boolean bool(String key, JsonNode n, boolean dflt) {
    if (absent(n)) return dflt;
    if (!n.isBoolean()) throw new ConfigException(key, "must be true or false, not " + kind(n));
    return n.asBoolean();
  }

  private static int intIn(String key, JsonNode n, int dflt, int min, int max) {
    if (absent(n)) return dflt;
    if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new ConfigException(key, "must be a whole number, not " + kind(n));
    int v = n.asInt();
    if (v < min || v > max) throw new ConfigException(key, "must be " + min + ".." + max + ", not " + v);
    return v;
  }

  /** {@code rotation_grace}: how long a rotated-out token still gets the new token; see {@link RotationGrace}. */
  private static RotationGrace rotationGrace(JsonNode n, RotationGrace dflt) {
    Duration d = duration("rotation_grace", n, dflt.duration());
    try {
      return RotationGrace.of(d);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("rotation_grace", e.getMessage());
    }
  }

  private static Duration duration(String key, JsonNode n, Duration dflt) {
    if (absent(n)) return dflt;
    if (!n.isTextual()) {
      throw new ConfigException(key, "must be a duration string like 15m or PT15M, not " + kind(n));
    }
    try {
      return Durations.parse(n.asText());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
  }

  /** A duration that must be more than 0 (an interval, a retention), as a policy's timeouts must. */
  private static Duration positiveDuration(String key, JsonNode n, Duration dflt) {
    Duration d = duration(key, n, dflt);
    if (d.isZero() || d.isNegative()) throw new ConfigException(key, "must be more than 0s");
    return d;
  }

  static String kind(JsonNode n) {
    JsonNodeType t = n.getNodeType();
    return t == JsonNodeType.OBJECT ? "a mapping" : t == JsonNodeType.ARRAY ? "a list"
        : t == JsonNodeType.STRING ? "the string \"" + n.asText() + "\"" : n.toString();
  }
}
