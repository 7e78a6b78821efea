package dev.curfew.client;

import java.time.Instant;

/** A session accepted by {@code /v1/forward-auth}: what its {@code X-Curfew-*} headers say. */
public record ForwardAuth(String subject, String sessionId, Instant expiresAt) {}
