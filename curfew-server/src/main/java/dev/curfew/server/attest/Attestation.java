package dev.curfew.server.attest;

import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.PeriodFigures;
import dev.curfew.core.audit.Times;
import dev.curfew.store.embedded.AuditFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/*
 * A signed period attestation (`curfew audit attest`): the PeriodFigures of [from, to), computed
 * over the first tree_size records of the log, bound to the signed checkpoint of that size, and
 * signed by the log's own key. attestation.json:
 *
 *   {"attestation": "curfew-period-attestation/v1",
 *    "period": {"from": T, "to": T},
 *    "checkpoint": {"tree_size": N, "root_hash": b64, "note": "<the C2SP signed note, verbatim>"},
 *    "figures": {... PeriodFigures ...},
 *    "generated_at": T,
 *    "signature": {"algorithm": "Ed25519", "key": "<verifier key>", "value": b64}}
 *
 * The signature is a detached Ed25519 signature (RFC 8032) over the UTF-8 bytes of the canonical
 * JSON (RFC 8785) of the whole object without its "signature" member, by the key that signs the
 * log's checkpoints (its verifier key is `curfew audit public-key`). Anyone can check it with that
 * key and any Ed25519 implementation; `attest --verify` also recomputes every figure.
 *
 * Verification, in order: the signature; the checkpoint note's signature and that its size and
 * root are the ones stated; the Merkle root recomputed over the first tree_size records equals
 * that root (the records read are the ones the checkpoint commits to); every figure recomputed
 * from those records equals the one stated. Each difference is named.
 */

/** Builds, signs and verifies period attestations over a log (AttestedLog: a data directory's files, or a node in PostgreSQL). */
public final class Attestation {
  static final String FORMAT = "curfew-period-attestation/v1";

  private Attestation() {}

  /**
   * The attestation of [fromMs, toMs) over the log in {@code files}, bound to its latest checkpoint.
   *
   * @throws IllegalStateException when the log has no checkpoint yet
   */
  public static Map<String, Object> build(AuditFiles files, NoteSigner signer, long fromMs, long toMs, long nowMs)
      throws IOException {
    return build(AttestedLog.files(files), signer, fromMs, toMs, nowMs);
  }

  /** As above, over {@code log}. */
  public static Map<String, Object> build(AttestedLog log, NoteSigner signer, long fromMs, long toMs, long nowMs)
      throws IOException {
    String note = log.latestCheckpointNote()
        .orElseThrow(() -> new IllegalStateException("no checkpoint in " + log.where() + " yet"));
    Checkpoint cp = Checkpoint.parse(signer.verifier().verify(note).textOrThrow());
    Recomputed r = recompute(log, cp.treeSize(), fromMs, toMs);
    if (!MessageDigest.isEqual(r.rootHash(), cp.rootHash())) {
      throw new IllegalStateException("the log does not match its latest checkpoint: run 'curfew audit verify'");
    }
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("attestation", FORMAT);
    a.put("period", Map.of("from", Times.format(fromMs), "to", Times.format(toMs)));
    a.put("checkpoint", checkpointJson(cp, note));
    a.put("figures", r.figures());
    a.put("generated_at", Times.format(nowMs));
    byte[] signature = signer.signRaw(CanonicalJson.write(a).getBytes(StandardCharsets.UTF_8));
    a.put("signature", Map.of("algorithm", "Ed25519", "key", signer.verifier().verifierKey(),
        "value", Base64.getEncoder().encodeToString(signature)));
    return a;
  }

  /** The figures and the Merkle root over the first {@code treeSize} records. */
  record Recomputed(Map<String, Object> figures, byte[] rootHash, long records) {}

  static Recomputed recompute(AttestedLog log, long treeSize, long fromMs, long toMs) throws IOException {
    PeriodFigures figures = new PeriodFigures(fromMs, toMs);
    MerkleTree tree = MerkleTree.inMemory();
    log.forEachLine(treeSize, line -> {
      tree.append(line);
      figures.accept(new String(line, StandardCharsets.UTF_8));
    });
    if (tree.size() != treeSize) throw new IOException("the log holds " + tree.size() + " records, fewer than " + treeSize);
    return new Recomputed(figures.figures(), tree.rootHash(), tree.size());
  }

  /**
   * What is wrong with {@code attestationJson} against the log in {@code files} and {@code key}:
   * empty when it holds. Every figure that differs is named with both values.
   *
   * @throws IllegalArgumentException when the text is not an attestation at all (not a JSON object,
   *     or one without {@code "attestation": "}{@value #FORMAT}{@code "}): bad input, not a failed check
   */
  public static List<String> verify(String attestationJson, AuditFiles files, NoteVerifier key) throws IOException {
    return verify(attestationJson, AttestedLog.files(files), key);
  }

  /** As above, against {@code log}. */
  public static List<String> verify(String attestationJson, AttestedLog log, NoteVerifier key) throws IOException {
    Objects.requireNonNull(key, "key");
    List<String> problems = new ArrayList<>();
    Map<String, Object> a;
    try {
      a = Json.parseObject(attestationJson);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getMessage());
    }
    if (!FORMAT.equals(a.get("attestation"))) {
      throw new IllegalArgumentException("not a " + FORMAT + " document (no \"attestation\": \"" + FORMAT + "\")");
    }
    checkSignature(a, key, problems);
    Map<?, ?> period = a.get("period") instanceof Map<?, ?> m ? m : Map.of();
    Map<?, ?> checkpoint = a.get("checkpoint") instanceof Map<?, ?> m ? m : Map.of();
    long fromMs;
    long toMs;
    Checkpoint cp;
    try {
      fromMs = Times.parse((String) period.get("from"));
      toMs = Times.parse((String) period.get("to"));
      String note = (String) checkpoint.get("note");
      cp = Checkpoint.parse(key.verify(note).textOrThrow());
      if (!checkpointJson(cp, note).equals(checkpoint)) problems.add("checkpoint: its tree_size or root_hash is not the signed note's");
      String mismatch = cp.originMismatch(key);
      if (mismatch != null) problems.add("checkpoint: " + mismatch);
    } catch (RuntimeException e) {
      problems.add("period or checkpoint unreadable, or the checkpoint is not signed by " + key.verifierKey() + ": " + e.getMessage());
      return problems;
    }
    Recomputed r;
    try {
      r = recompute(log, cp.treeSize(), fromMs, toMs);
    } catch (IOException | RuntimeException e) {
      problems.add("the log cannot be read up to tree size " + cp.treeSize() + ": " + e.getMessage());
      return problems;
    }
    if (!MessageDigest.isEqual(r.rootHash(), cp.rootHash())) {
      problems.add("the log's records 0.." + (cp.treeSize() - 1) + " do not hash to the checkpoint's root: the log was changed");
    }
    compareFigures(a.get("figures") instanceof Map<?, ?> m ? m : Map.of(), r.figures(), problems);
    return problems;
  }

  private static void checkSignature(Map<String, Object> a, NoteVerifier key, List<String> problems) {
    Map<String, Object> unsigned = new LinkedHashMap<>(a);
    Object sig = unsigned.remove("signature");
    byte[] value = null;
    if (sig instanceof Map<?, ?> s && s.get("value") instanceof String v) {
      try {
        value = Base64.getDecoder().decode(v);
      } catch (IllegalArgumentException e) {
        value = null;
      }
    }
    if (value == null || !key.verifySignature(CanonicalJson.write(unsigned).getBytes(StandardCharsets.UTF_8), value)) {
      problems.add("signature: does not verify with " + key.verifierKey() + " (the document was changed after signing, or another key signed it)");
    }
  }

  private static void compareFigures(Map<?, ?> stated, Map<String, Object> recomputed, List<String> problems) {
    for (Map.Entry<String, Object> e : recomputed.entrySet()) {
      Object s = stated.get(e.getKey());
      String want = CanonicalJson.write(e.getValue());
      String got = s == null ? "(missing)" : CanonicalJson.write(s);
      if (!want.equals(got)) problems.add("figures." + e.getKey() + ": attested " + got + ", recomputed " + want);
    }
    for (Object k : stated.keySet()) {
      if (!recomputed.containsKey(String.valueOf(k))) problems.add("figures." + k + ": not a figure this version computes");
    }
  }

  private static Map<String, Object> checkpointJson(Checkpoint cp, String note) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tree_size", cp.treeSize());
    m.put("root_hash", Base64.getEncoder().encodeToString(cp.rootHash()));
    m.put("note", note);
    return m;
  }
}
