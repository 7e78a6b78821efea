/**
 * The admin console: a web console that {@code curfew serve} serves at {@code /console} on the
 * API's port (docs/console.md).
 *
 * <p>An operator signs in with an API key; the console's own cookie session is a real Curfew
 * session, opened by the engine under the policy {@link dev.curfew.server.console.ConsolePolicy}
 * and audited like any other, warned by curfew.js. Everything the console changes goes through the
 * API's own handlers ({@link dev.curfew.server.http.ApiRoutes}) with the key's name as the actor;
 * what the API has no endpoint for (a searchable list of live sessions, one session's records
 * through the session index, "verify now", a metrics summary) is served under {@code
 * /console/api/}, for the console only. The engine is called from {@link
 * dev.curfew.server.console.ConsoleSessions} and nowhere else in this package.
 */
package dev.curfew.server.console;
