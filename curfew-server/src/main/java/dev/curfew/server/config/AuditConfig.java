package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.store.postgres.PgConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where {@code curfew serve} keeps the node's audit trail ({@code audit:} and its {@code postgres:}
 * section, spec/cli-and-config.md): {@link File}, the journal in the data directory, or {@link
 * Postgres}, that journal mirrored to PostgreSQL. A {@code postgres:} section beside {@code audit:
 * file} is checked like any other and then has no effect, as before the audit had a type: it is not
 * kept.
 */
public sealed interface AuditConfig permits AuditConfig.File, AuditConfig.Postgres {

  /** {@code audit: file}, the default. */
  AuditConfig FILE = new File();

  /** {@code audit: file}. */
  record File() implements AuditConfig {}

  /**
   * {@code audit: postgres}: {@code postgres.url} of the form {@code
   * jdbc:postgresql://host[:port]/database[?currentSchema=name]} and {@code postgres.user}, both
   * required; the password, if the server asks for one, from the environment variable {@code
   * postgres.password_env} (never in the file).
   *
   * @param passwordEnv null: no password
   */
  record Postgres(String url, String user, String passwordEnv) implements AuditConfig {
    public Postgres {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(user, "user");
    }

    /**
     * Where the PostgreSQL audit store is, with the password read from {@code env}.
     *
     * @throws ConfigException if the password variable is unset
     */
    public PgConfig connection(Map<String, String> env) {
      String password = null;
      if (passwordEnv != null) {
        password = env.get(passwordEnv);
        if (password == null) {
          throw new ConfigException("postgres.password_env", "the environment variable " + passwordEnv + " is not set");
        }
      }
      return PgConfig.parse(url, user, password);
    }
  }

  /** {@code audit} and {@code postgres} of the configuration's root, with errors that name the key. */
  static AuditConfig parse(JsonNode root) {
    String audit = CurfewConfig.oneOf("audit", root.path("audit"), "file", Set.of("file", "postgres"));
    JsonNode pg = root.path("postgres");
    if (!CurfewConfig.absent(pg)) {
      CurfewConfig.requireObject("postgres", pg);
      CurfewConfig.onlyKeys("postgres.", pg, Set.of("url", "user", "password_env"));
    }
    String url = CurfewConfig.string("postgres.url", pg.path("url"), null);
    String user = CurfewConfig.string("postgres.user", pg.path("user"), null);
    String passwordEnv = CurfewConfig.string("postgres.password_env", pg.path("password_env"), null);
    boolean needed = audit.equals("postgres");
    if (url == null && needed) throw new ConfigException("postgres.url", "required when audit is postgres");
    if (user == null && needed) throw new ConfigException("postgres.user", "required when audit is postgres");
    if (user != null && user.isBlank()) throw new ConfigException("postgres.user", "must not be blank");
    if (url != null) {
      try {
        PgConfig.parse(url, user == null ? "curfew" : user, null);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("postgres.url", e.getMessage());
      }
    }
    if (passwordEnv != null && !passwordEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new ConfigException("postgres.password_env", "must be the name of an environment variable");
    }
    return needed ? new Postgres(url, user, passwordEnv) : FILE;
  }
}
