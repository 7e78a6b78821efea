package dev.curfew.client;

import java.util.List;
import java.util.OptionalLong;

/** One page of {@code GET /v1/audit}: the records and, when there are more, the {@code seq} to ask after. */
public record AuditPage(List<AuditRecord> records, OptionalLong next) {}
