package dev.curfew.server.oidc;

import io.vertx.core.Future;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@code GET /.well-known/jwks.json} serves (RFC 7517 §5): read on every request, so that a
 * rotated key appears at once.
 */
@FunctionalInterface
public interface JwksSource {
  Future<Map<String, Object>> jwks();

  /** This node's own keys, nothing else (the embedded store: one node signs every token). */
  static JwksSource of(Supplier<Map<String, Object>> keys) {
    return () -> Future.succeededFuture(keys.get());
  }
}
