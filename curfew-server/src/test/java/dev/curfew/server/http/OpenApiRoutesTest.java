package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import dev.curfew.server.console.AuditView;
import dev.curfew.server.console.Console;
import dev.curfew.server.console.ConsolePolicy;
import dev.curfew.server.console.ConsoleScope;
import dev.curfew.server.gateway.Gateway;
import dev.curfew.server.gateway.GatewayRoute;
import dev.curfew.server.gateway.GatewayRouters;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.store.embedded.EmbeddedStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document ({@link OpenApiDocument}) against the route tables the server really
 * builds: the API's router with every optional part switched on (the console, readiness, the JWKS
 * and discovery documents, back-channel logout) and the gateway's router. No registered route may
 * be undocumented, and no documented operation may be missing from the routers.
 *
 * <p>A route's template is compared in OpenAPI form ({@code :session_id} is {@code {session_id}}).
 * A Vert.x wildcard route ({@code /v1/forward-auth/*}) matches a documented path whose path item
 * says {@code x-curfew-wildcard: true}, its last segment the parameter standing for the rest; a
 * route registered without methods matches a path item that says {@code x-curfew-any-method: true}.
 */
class OpenApiRoutesTest {
  private static final String DOCUMENT = "curfew-server/src/main/resources" + OpenApiDocument.RESOURCE;
  private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  /**
   * Routes on a path that are not endpoints: they run for every request under a prefix, then pass it
   * on. The console's guard of its session endpoints; the gateway's headers for, and 404 under, {@code /_curfew/}.
   */
  private static final Set<String> PREFIX_HANDLERS = Set.of("/console/session*", "/_curfew/*");
  private static final Pattern PARAM = Pattern.compile(":([A-Za-z_][A-Za-z0-9_]*)");

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
  private EmbeddedStore store;
  private Console console;

  @BeforeEach
  void open() throws Exception {
    store = EmbeddedStore.open(dir, EmbeddedStore.Options.defaults().withClock(clock), "node-1");
  }

  @AfterEach
  void close() throws Exception {
    if (console != null) console.close();
    store.close();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  @Test
  void everyRegisteredRouteIsDocumentedAndEveryDocumentedOperationIsRegistered() {
    Set<String> registered = new TreeSet<>();
    Set<String> prefixHandlers = new TreeSet<>();
    collect(apiRouter(), "", registered, prefixHandlers);
    collect(GatewayRouters.of(gateway(), vertx), "/_curfew", registered, prefixHandlers);
    Set<String> documented = documented(OpenApiDocument.tree());

    Set<String> undocumented = new TreeSet<>(registered);
    undocumented.removeAll(documented);
    Set<String> unserved = new TreeSet<>(documented);
    unserved.removeAll(registered);
    assertThat(undocumented)
        .as("routes the server registers that %s does not document (add each path and method there, and to docs/api.md)",
            DOCUMENT)
        .isEmpty();
    assertThat(unserved)
        .as("operations %s documents that no router serves", DOCUMENT)
        .isEmpty();
    // The exemptions stay true: each is still registered, so none hides an endpoint by accident.
    assertThat(prefixHandlers).isEqualTo(PREFIX_HANDLERS);
  }

  @Test
  void theGatewaysEndpointsNameTheGatewayPortAndNoOtherPathDoes() {
    JsonNode paths = OpenApiDocument.tree().get("paths");
    paths.fields().forEachRemaining(e -> {
      boolean gatewayPort = e.getKey().startsWith("/_curfew/");
      assertThat(e.getValue().has("servers")).as("servers of %s", e.getKey()).isEqualTo(gatewayPort);
      if (gatewayPort) {
        assertThat(e.getValue().at("/servers/0/variables/port/default").asText()).isEqualTo("8081");
      }
    });
  }

  /** "METHOD template" for each endpoint of {@code router} whose template starts with {@code prefix}. */
  private static void collect(Router router, String prefix, Set<String> out, Set<String> prefixHandlers) {
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null) continue; // runs for every request, or on a pattern of its own
      String template = PARAM.matcher(route.getPath()).replaceAll("{$1}") + (route.isExactPath() ? "" : "*");
      if (!template.startsWith(prefix)) continue;
      if (PREFIX_HANDLERS.contains(template)) {
        prefixHandlers.add(template);
        continue;
      }
      Set<HttpMethod> methods = route.methods();
      if (methods == null || methods.isEmpty()) {
        out.add("ANY " + template);
      } else {
        for (HttpMethod m : methods) out.add(m.name() + " " + template);
      }
    }
  }

  /** "METHOD template" for each operation of the document, in the form {@link #collect} gives. */
  private static Set<String> documented(JsonNode doc) {
    Set<String> out = new TreeSet<>();
    doc.get("paths").fields().forEachRemaining(e -> {
      String template = e.getKey();
      JsonNode item = e.getValue();
      if (item.path("x-curfew-wildcard").asBoolean(false)) {
        Matcher last = Pattern.compile("\\{[^}]+}$").matcher(template);
        assertThat(last.find()).as("%s is a wildcard: it ends with the parameter for the rest", template).isTrue();
        template = template.substring(0, last.start()) + "*";
      }
      List<String> ops = new ArrayList<>();
      item.fieldNames().forEachRemaining(f -> {
        if (OPERATIONS.contains(f)) ops.add(f);
      });
      assertThat(ops).as("operations of %s", e.getKey()).isNotEmpty();
      if (item.path("x-curfew-any-method").asBoolean(false)) {
        out.add("ANY " + template);
      } else {
        for (String op : ops) out.add(op.toUpperCase(java.util.Locale.ROOT) + " " + template);
      }
    });
    return out;
  }

  /** The API as {@code curfew serve} builds it, with every optional route on. */
  private Router apiRouter() {
    CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    EventHub hub = new EventHub(vertx);
    SessionEngine engine = engine(metrics, hub);
    ApiKeys keys = ApiKeys.of(List.of(ApiKey.ofSecret("admin", "openapi-routes-test-key-0123456789")));
    ApiServer api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, keys, store.log(), metrics,
        ApiServer.Settings.defaults().withInstances(1), store.auditTrail());
    api.readiness(new Readiness(store.log(), List::of));
    api.publishJwks(() -> Map.of("keys", List.of()));
    api.publishDiscovery(Map.of("issuer", "http://localhost:8080"));
    api.backchannelLogout(new BackchannelLogoutRoutes(SessionStore.of(engine), Map.of(), clock, 5_000));
    console = new Console(vertx, dev.curfew.core.SessionStore.of(engine), engine.clock(), hub, keys, name -> Optional.of(ConsoleScope.ADMIN), AuditView.embedded(store),
        metrics);
    api.extend(console::mount);
    return api.router();
  }

  private SessionEngine engine(CurfewMetrics metrics, EventHub hub) {
    Policies policies = new Policies(ConsolePolicy.withConsole(List.of(
        Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3))), "standard");
    return new SessionEngine(clock, "node-1", policies, store.log(), hub, metrics, SessionEngine.Limits.defaults());
  }

  private Gateway gateway() {
    EventHub hub = new EventHub(vertx);
    SessionEngine engine = engine(new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), hub);
    GatewayRoute route = new GatewayRoute.Web("/", URI.create("http://127.0.0.1:3000"), null, "/login", false, List.of(),
        "__Host-curfew");
    return new Gateway(vertx, dev.curfew.core.SessionStore.of(engine), hub, List.of(route), Gateway.Settings.defaults());
  }
}
