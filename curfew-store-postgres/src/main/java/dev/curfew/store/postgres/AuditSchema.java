package dev.curfew.store.postgres;

import java.util.Objects;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The audit tables, created and upgraded by Flyway from the SQL files under {@code
 * dev/curfew/store/postgres/migration} (V1: nodes, records, tree, checkpoints, token bindings; V2: witness cosignatures; V2.1: the
 * claims of records written by several nodes).
 * Flyway speaks JDBC, so migrations go through the PostgreSQL JDBC driver; everything after them
 * uses the Vert.x client. The history table is {@code curfew_schema_history}, so that an
 * application's own Flyway history in the same schema is left alone.
 */
public final class AuditSchema {
  static final String LOCATION = "classpath:dev/curfew/store/postgres/migration";
  static final String HISTORY_TABLE = "curfew_schema_history";
  /**
   * Flyway reports each step at INFO through java.util.logging; the server says in one line what
   * migrate did, so only Flyway's warnings go through. Held here: a logger's level lives only as
   * long as someone references the logger.
   */
  private static final java.util.logging.Logger FLYWAY_LOG = java.util.logging.Logger.getLogger("org.flywaydb");

  static {
    FLYWAY_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private AuditSchema() {}

  /**
   * Brings the schema of {@code config} to the latest version (creating the schema named by
   * {@code currentSchema} if it does not exist); returns how many migrations ran.
   */
  public static int migrate(PgConfig config) {
    Objects.requireNonNull(config, "config");
    var flyway = Flyway.configure(AuditSchema.class.getClassLoader())
        .dataSource(config.jdbcUrl(), config.user(), config.password())
        .locations(LOCATION)
        .table(HISTORY_TABLE)
        .connectRetries(0)
        .failOnMissingLocations(true);
    if (config.schema() != null) flyway = flyway.schemas(config.schema()).defaultSchema(config.schema());
    MigrateResult r = flyway.load().migrate();
    return r.migrationsExecuted;
  }
}
