package dev.curfew.client;

import java.util.List;

/** {@code GET /v1/audit/consistency}: the RFC 6962 §2.1.2 proof (base64 hashes) that one tree extends another. */
public record ConsistencyProof(long fromSize, long toSize, List<String> proof) {}
