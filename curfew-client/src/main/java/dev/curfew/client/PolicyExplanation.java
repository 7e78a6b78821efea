package dev.curfew.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/policies/explain}: one session lived under a policy on a virtual clock, its
 * events, when and why it ended, and the same as prose ({@code text}) and a timeline ({@code svg}).
 */
public record PolicyExplanation(List<Map<String, Object>> events, Duration end, String endReason, String text, String svg) {}
