package dev.curfew.server.console;

import dev.curfew.core.SessionStatus;

/**
 * The person at the console, as one request knows them: the API key they signed in with, what it
 * may do now, and their console session.
 *
 * @param keyName the API key's name: the actor of everything they change
 * @param scope what the key may do now
 * @param session the console session's status at this request
 */
record Operator(String keyName, ConsoleScope scope, SessionStatus session) {}
