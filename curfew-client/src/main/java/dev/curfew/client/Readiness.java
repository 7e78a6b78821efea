package dev.curfew.client;

import java.util.List;

/** {@code GET /readyz}: ready, or not, naming what cannot be written ({@code notWritable}) and the outages. */
public record Readiness(boolean ready, String status, List<String> notWritable, List<Object> outages) {}
