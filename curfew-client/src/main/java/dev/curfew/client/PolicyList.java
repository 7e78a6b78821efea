package dev.curfew.client;

import java.util.List;

/** {@code GET /v1/policies}: the default policy's name and every policy. */
public record PolicyList(String defaultPolicy, List<PolicyInfo> policies) {}
