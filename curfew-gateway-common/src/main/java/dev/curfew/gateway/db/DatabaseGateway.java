package dev.curfew.gateway.db;

import dev.curfew.core.SessionEvents;
import io.vertx.core.Future;

/**
 * A started database gateway of one configured target, whatever its wire protocol: the server
 * hands {@link #events()} every session event and closes it at shutdown.
 */
public interface DatabaseGateway {
  /** The session events this gateway follows: warnings and endings of its connections' sessions. */
  SessionEvents events();

  /** The bound port. */
  int port();

  DatabaseTarget target();

  /** Client connections held in all. */
  int connections();

  /** Stops listening and closes every connection. */
  Future<Void> close();
}
