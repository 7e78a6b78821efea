package dev.curfew.server.cli;

import dev.curfew.core.PolicyException;
import dev.curfew.gateway.db.ClientTls;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.config.StoreConfig;
import dev.curfew.server.http.ApiKey;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.notify.EndNotifier;
import dev.curfew.store.redis.RedisSessionStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the configuration and the environment can get wrong, found before {@code curfew serve}
 * opens its store or listens on anything (docs/configuration.md: every error names its key, and the
 * start stops with status 2 before it listens). Each of these used to surface midway: after the
 * API listened, or with the store open and never closed, so that the next start took the refused
 * one for a crash.
 */
final class StartChecks {
  private StartChecks() {}

  static void check(CurfewConfig cfg, List<ApiKey> keys, Map<String, String> env) {
    apiKeys(keys, env);
    listeners(cfg);
    for (int i = 0; i < cfg.databases().size(); i++) {
      DatabaseTarget target = cfg.databases().get(i).target(env, i); // its password_env
      try {
        ClientTls.of(target.tls());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("databases[" + i + "].tls", e.getMessage());
      }
    }
    for (int i = 0; i < cfg.notifications().webhooks().size(); i++) {
      EndNotifier.secretOf(cfg.notifications().webhooks().get(i), i, env);
    }
    if (cfg.ssh() != null) {
      for (int i = 0; i < cfg.ssh().targets().size(); i++) {
        Path identity = cfg.ssh().targets().get(i).identityFile();
        if (!Files.isReadable(identity)) {
          throw new ConfigException("ssh.targets[" + i + "].identity_file", "cannot read " + identity
              + (Files.exists(identity) ? ": permission denied" : ": no such file"));
        }
      }
    }
    if (cfg.store() instanceof StoreConfig.Redis) {
      for (var p : cfg.policies().values()) {
        try {
          RedisSessionStore.requireSupported(p);
        } catch (PolicyException e) {
          throw new ConfigException("policies." + p.name() + "." + e.key(), e.getMessage());
        }
      }
    }
  }

  private static void apiKeys(List<ApiKey> keys, Map<String, String> env) {
    try {
      ApiKeys.of(keys);
    } catch (IllegalArgumentException e) {
      boolean fromEnv = env.get("CURFEW_API_KEY") != null;
      throw new ConfigException("api_keys", e.getMessage() + (fromEnv
          ? " (CURFEW_API_KEY is the key named \"" + "default" + "\": name the configured one otherwise)" : ""));
    }
  }

  /** One port, one listener: two listeners of one process bound to the same port would share its connections. */
  private static void listeners(CurfewConfig cfg) {
    List<Listener> all = new ArrayList<>();
    all.add(new Listener("server.port (or --port)", cfg.host(), cfg.port()));
    if (cfg.gateway() != null && !cfg.gateway().routes().isEmpty()) {
      all.add(new Listener("gateway.port", cfg.host(), cfg.gateway().port()));
    }
    for (int i = 0; i < cfg.databases().size(); i++) {
      var d = cfg.databases().get(i);
      all.add(new Listener("databases[" + i + "].listen", d.listenHost(), d.listenPort()));
    }
    if (cfg.ssh() != null) all.add(new Listener("ssh.listen", cfg.ssh().host(), cfg.ssh().port()));
    for (int i = 1; i < all.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (all.get(i).overlaps(all.get(j))) {
          throw new ConfigException(all.get(i).key(), "port " + all.get(i).port() + " is also " + all.get(j).key()
              + "'s: each listener needs a port of its own");
        }
      }
    }
  }

  private record Listener(String key, String host, int port) {
    boolean overlaps(Listener o) {
      if (port == 0 || port != o.port) return false; // 0: a free port chosen at start
      return host.equals(o.host) || wildcard(host) || wildcard(o.host);
    }

    private static boolean wildcard(String host) {
      return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }
  }
}
