package dev.curfew.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/*
 * The evidence bundle of one session (spec/audit.md, `curfew audit evidence`): its records, each
 * with an RFC 6962 §2.1.1 inclusion proof against one signed checkpoint, so that a third party
 * with the log's public key can check them while learning nothing about other sessions (a proof
 * is sibling hashes only):
 *
 *   {"checkpoint": "<C2SP signed note over the tlog-checkpoint body, verbatim>",
 *    "entries": [{"inclusion_proof": ["<base64>", ...], "leaf_index": 17, "record": "<line>"}],
 *    "public_key": "<name>+<hex8>+<base64(0x01 || key)>", "root_hash": "<base64>", "tree_size": 1234}
 *
 * Verification (RFC 9162 §2.1.3.2 for the proofs, via MerkleProofs): the note's signature, the
 * note's size and root equal tree_size and root_hash, every record's leaf hash SHA-256(0x00 ||
 * UTF-8 bytes) with its proof gives root_hash, leaf_index < tree_size and equal to the record's
 * seq, no leaf twice, and every record names the same session_id.
 */

/**
 * One session's records with inclusion proofs against a signed checkpoint. Build one with {@link
 * #build}, write it with {@link #toJson()}, check one with {@link #verify}. Immutable.
 */
public final class EvidenceBundle {

  /** Limit on a bundle's JSON text: a session has at most thousands of records. */
  public static final int MAX_BUNDLE_CHARS = 64 << 20;
  /** Limit on entries in one bundle. */
  public static final int MAX_ENTRIES = 1_000_000;

  /** Inclusion proofs for leaves of a tree: {@link MerkleTree#inclusionProof} fits. */
  @FunctionalInterface
  public interface InclusionProofs {
    List<byte[]> inclusionProof(long leafIndex, long treeSize);
  }

  /** A record of the session and its leaf index (its seq): the line without its '\n'. */
  public record Leaf(long leafIndex, byte[] line) {
    public Leaf {
      Objects.requireNonNull(line, "line");
      line = line.clone();
    }

    @Override
    public byte[] line() {
      return line.clone();
    }
  }

  /** One entry: the record line as text and the base64-free proof hashes (copied). */
  public record Entry(long leafIndex, String record, List<byte[]> inclusionProof) {
    public Entry {
      Objects.requireNonNull(record, "record");
      inclusionProof = inclusionProof.stream().map(byte[]::clone).toList();
    }
  }

  private final String checkpointNote;
  private final long treeSize;
  private final byte[] rootHash;
  private final String publicKey;
  private final List<Entry> entries;

  private EvidenceBundle(String checkpointNote, long treeSize, byte[] rootHash, String publicKey, List<Entry> entries) {
    this.checkpointNote = checkpointNote;
    this.treeSize = treeSize;
    this.rootHash = rootHash.clone();
    this.publicKey = publicKey;
    this.entries = List.copyOf(entries);
  }

  /**
   * The bundle of {@code leaves} (one session's records) proven against {@code checkpointNote},
   * which {@code key} must verify. The bundle is verified before it is returned.
   *
   * @throws IllegalArgumentException if the note does not verify, a leaf is not under the
   *     checkpoint, or the resulting bundle does not verify (naming the first problem)
   */
  public static EvidenceBundle build(String checkpointNote, NoteVerifier key, List<Leaf> leaves, InclusionProofs proofs) {
    Objects.requireNonNull(checkpointNote, "checkpointNote");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(proofs, "proofs");
    if (leaves.isEmpty() || leaves.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("leaves not in 1.." + MAX_ENTRIES + ": " + leaves.size());
    }
    Checkpoint checkpoint = Checkpoint.parse(key.verify(checkpointNote).textOrThrow());
    List<Entry> entries = new ArrayList<>(leaves.size());
    for (Leaf leaf : leaves.stream().sorted(Comparator.comparingLong(Leaf::leafIndex)).toList()) {
      if (leaf.leafIndex() < 0 || leaf.leafIndex() >= checkpoint.treeSize()) {
        throw new IllegalArgumentException("leaf " + leaf.leafIndex() + " is not under the checkpoint of tree size "
            + checkpoint.treeSize());
      }
      entries.add(new Entry(leaf.leafIndex(), new String(leaf.line, StandardCharsets.UTF_8),
          proofs.inclusionProof(leaf.leafIndex(), checkpoint.treeSize())));
    }
    EvidenceBundle bundle = new EvidenceBundle(checkpointNote, checkpoint.treeSize(), checkpoint.rootHash(),
        key.verifierKey(), entries);
    EvidenceVerification check = verify(bundle.toJson(), key);
    if (!check.ok()) {
      throw new IllegalArgumentException("the bundle built does not verify: " + String.join(" ", check.problems()));
    }
    return bundle;
  }

  /** As {@link #build(String, NoteVerifier, List, InclusionProofs)} with {@code tree}'s proofs. */
  public static EvidenceBundle build(String checkpointNote, NoteVerifier key, List<Leaf> leaves, MerkleTree tree) {
    return build(checkpointNote, key, leaves, tree::inclusionProof);
  }

  public String checkpointNote() {
    return checkpointNote;
  }

  public long treeSize() {
    return treeSize;
  }

  public byte[] rootHash() {
    return rootHash.clone();
  }

  /** The verifier key string of the key that signed the checkpoint. */
  public String publicKey() {
    return publicKey;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** The bundle in canonical JSON (RFC 8785), no trailing newline. */
  public String toJson() {
    return CanonicalJson.write(toMap());
  }

  private Map<String, Object> toMap() {
    Base64.Encoder base64 = Base64.getEncoder();
    List<Object> entryObjects = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("leaf_index", e.leafIndex());
      entry.put("record", e.record());
      entry.put("inclusion_proof", e.inclusionProof().stream().map(base64::encodeToString).toList());
      entryObjects.add(entry);
    }
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("checkpoint", checkpointNote);
    bundle.put("tree_size", treeSize);
    bundle.put("root_hash", base64.encodeToString(rootHash));
    bundle.put("public_key", publicKey);
    bundle.put("entries", entryObjects);
    return bundle;
  }

  /**
   * The evidence of one session whose records are in several trees (the logs of several nodes):
   * {@code {"trees": [<bundle>, ...]}}, each element a whole bundle of one tree as {@link #toJson()}
   * writes it, in the order given, in canonical JSON. One tree gives that tree's bundle alone, as
   * before.
   */
  public static String toJson(List<EvidenceBundle> trees) {
    if (trees.isEmpty() || trees.size() > MAX_TREES) {
      throw new IllegalArgumentException("trees not in 1.." + MAX_TREES + ": " + trees.size());
    }
    if (trees.size() == 1) return trees.get(0).toJson();
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("trees", trees.stream().map(EvidenceBundle::toMap).toList());
    return CanonicalJson.write(all);
  }

  /** Limit on the trees of one bundle. */
  public static final int MAX_TREES = 1_024;

  /**
   * The outcome of {@link #verifyTrees}: {@code result} over the whole bundle (its {@code
   * treeSize} is -1 for a bundle of several trees, its {@code entries} the sum), and one result per
   * tree in bundle order.
   */
  public record Verified(EvidenceVerification result, List<EvidenceVerification> trees) {
    public Verified {
      Objects.requireNonNull(result, "result");
      trees = List.copyOf(trees);
    }
  }

  /**
   * Checks a bundle of one tree or of several ({@code {"trees": [...]}}) offline. Every tree is
   * checked as {@link #verify(String, NoteVerifier)} checks a bundle, with the trusted key of the
   * same name and key id as the tree's {@code public_key} (a tree whose key no trusted key is fails);
   * with no trusted key, with the tree's own key, and the result says it is not authenticated. With
   * exactly one trusted key and a bundle of one tree, that key is used whatever the bundle names,
   * as {@link #verify(String, NoteVerifier)} does. Across trees: all records name one session, and
   * no two trees name the same key. Never throws.
   */
  @SuppressWarnings("unchecked")
  public static Verified verifyTrees(String bundleJson, List<NoteVerifier> trustedKeys) {
    Objects.requireNonNull(trustedKeys, "trustedKeys");
    List<String> problems = new ArrayList<>();
    try {
      if (bundleJson == null || bundleJson.length() > MAX_BUNDLE_CHARS) {
        return single(verify(bundleJson, (NoteVerifier) null));
      }
      Map<String, Object> bundle;
      try {
        bundle = Json.parseObject(bundleJson);
      } catch (IllegalArgumentException e) {
        return single(verify(bundleJson, (NoteVerifier) null));
      }
      if (!bundle.containsKey("trees")) {
        NoteVerifier key = trustedKeys.size() == 1 ? trustedKeys.get(0)
            : trustedKeys.isEmpty() ? null : keyFor(bundle.get("public_key"), trustedKeys, problems, "The bundle");
        if (!problems.isEmpty()) {
          return single(new EvidenceVerification(false, false, null, -1, 0, problems));
        }
        return single(verifyOrThrow(bundle, key, problems));
      }
      if (bundle.size() != 1 || !(bundle.get("trees") instanceof List<?> trees)) {
        problems.add("A bundle of several trees holds one field, \"trees\", a list of bundles.");
        return single(new EvidenceVerification(false, false, null, -1, 0, problems));
      }
      if (trees.isEmpty() || trees.size() > MAX_TREES) {
        problems.add("The bundle has " + trees.size() + " trees; it must have 1.." + MAX_TREES + ".");
        return single(new EvidenceVerification(false, false, null, -1, 0, problems));
      }
      List<EvidenceVerification> results = new ArrayList<>();
      Set<String> keyNames = new HashSet<>();
      String sessionId = null;
      int entries = 0;
      boolean authenticated = !trustedKeys.isEmpty();
      for (int i = 0; i < trees.size(); i++) {
        String where = "Tree " + i;
        if (!(trees.get(i) instanceof Map)) {
          problems.add(where + " is not an object.");
          continue;
        }
        Map<String, Object> tree = (Map<String, Object>) trees.get(i);
        Object publicKey = tree.get("public_key");
        if (publicKey instanceof String pk) {
          where += " (" + name(pk) + ")";
          if (!keyNames.add(name(pk))) problems.add(where + " names the key of another tree of the bundle.");
        }
        List<String> treeProblems = new ArrayList<>();
        NoteVerifier key = trustedKeys.isEmpty() ? null : keyFor(publicKey, trustedKeys, treeProblems, where);
        EvidenceVerification r = treeProblems.isEmpty() ? verifyOrThrow(tree, key, treeProblems)
            : new EvidenceVerification(false, false, null, -1, 0, treeProblems);
        results.add(r);
        for (String p : r.problems()) problems.add(where + ": " + p);
        entries += r.entries();
        if (r.sessionId() != null && sessionId == null) {
          sessionId = r.sessionId();
        } else if (r.sessionId() != null && !r.sessionId().equals(sessionId)) {
          problems.add(where + " holds records of session " + r.sessionId() + ", not of " + sessionId + ".");
        }
      }
      boolean ok = problems.isEmpty();
      return new Verified(new EvidenceVerification(ok, ok && authenticated, sessionId, -1, entries, problems), results);
    } catch (RuntimeException e) { // a defect or an input we did not foresee: still a value
      problems.add("The bundle could not be checked (" + e + ").");
      return single(new EvidenceVerification(false, false, null, -1, 0, problems));
    }
  }

  private static Verified single(EvidenceVerification v) {
    return new Verified(v, List.of(v));
  }

  /** The name part of a verifier key string (before its first '+'). */
  private static String name(String verifierKey) {
    int plus = verifierKey.indexOf('+');
    return plus < 0 ? verifierKey : verifierKey.substring(0, plus);
  }

  /** The trusted key with the name and key id of {@code publicKey}, or null with a problem. */
  private static NoteVerifier keyFor(Object publicKey, List<NoteVerifier> trustedKeys, List<String> problems,
      String where) {
    if (!(publicKey instanceof String pk)) {
      problems.add(where + " has no \"public_key\" to find its trusted key by.");
      return null;
    }
    NoteVerifier k = NoteVerifier.lookup(trustedKeys, pk);
    if (k == null) {
      problems.add(where + " is signed by key " + keyName(pk) + ", which is not among the trusted keys.");
    }
    return k;
  }

  /** The name and key id of a verifier key string ({@code name+hex8}), as a signed note names its key. */
  private static String keyName(String verifierKey) {
    String[] parts = verifierKey.split("\\+", 3);
    return parts.length < 2 ? verifierKey : parts[0] + "+" + parts[1];
  }

  // ---- verification ----

  /**
   * Checks a bundle offline. With {@code trustedKey} the checkpoint must be signed by it; without,
   * the bundle's own {@code public_key} is used and the result says the key is not authenticated
   * (anyone can make a bundle that verifies under a key of their own). Never throws.
   */
  public static EvidenceVerification verify(String bundleJson, NoteVerifier trustedKey) {
    List<String> problems = new ArrayList<>();
    try {
      return verifyOrThrow(bundleJson, trustedKey, problems);
    } catch (RuntimeException e) { // a defect or an input we did not foresee: still a value
      problems.add("The bundle could not be checked (" + e + ").");
      return new EvidenceVerification(false, false, null, -1, 0, problems);
    }
  }

  @SuppressWarnings("unchecked")
  private static EvidenceVerification verifyOrThrow(String json, NoteVerifier trustedKey, List<String> problems) {
    if (json == null || json.length() > MAX_BUNDLE_CHARS) {
      problems.add("The bundle is missing or longer than " + MAX_BUNDLE_CHARS + " characters.");
      return new EvidenceVerification(false, false, null, -1, 0, problems);
    }
    Map<String, Object> bundle;
    try {
      bundle = Json.parseObject(json);
    } catch (IllegalArgumentException e) {
      problems.add("The bundle is not a JSON object (" + e.getMessage() + ").");
      return new EvidenceVerification(false, false, null, -1, 0, problems);
    }
    return verifyOrThrow(bundle, trustedKey, problems);
  }

  @SuppressWarnings("unchecked")
  private static EvidenceVerification verifyOrThrow(Map<String, Object> bundle, NoteVerifier trustedKey,
      List<String> problems) {
    String note = field(bundle, "checkpoint", String.class, problems);
    Long treeSize = field(bundle, "tree_size", Long.class, problems);
    byte[] root = hash(field(bundle, "root_hash", String.class, problems), "root_hash", problems);
    String publicKey = field(bundle, "public_key", String.class, problems);
    List<Object> entries = field(bundle, "entries", List.class, problems);
    NoteVerifier key = chooseKey(trustedKey, publicKey, problems);
    if (note != null && key != null) {
      checkNote(note, key, treeSize, root, problems);
    }
    String sessionId = null;
    int count = 0;
    if (entries != null && treeSize != null && root != null) {
      if (entries.isEmpty() || entries.size() > MAX_ENTRIES) {
        problems.add("The bundle has " + entries.size() + " entries; it must have 1.." + MAX_ENTRIES + ".");
      }
      sessionId = checkEntries(entries, treeSize, root, problems);
      count = entries.size();
    }
    boolean authenticated = trustedKey != null;
    return new EvidenceVerification(problems.isEmpty(), authenticated && problems.isEmpty(), sessionId,
        treeSize == null ? -1 : treeSize, count, problems);
  }

  private static NoteVerifier chooseKey(NoteVerifier trustedKey, String publicKey, List<String> problems) {
    NoteVerifier own = null;
    if (publicKey != null) {
      try {
        own = NoteVerifier.parse(publicKey);
      } catch (IllegalArgumentException e) {
        problems.add("The bundle's public_key is not a verifier key (" + e.getMessage() + ").");
      }
    }
    if (trustedKey == null) {
      return own;
    }
    if (own != null && !own.equals(trustedKey)) {
      problems.add("The bundle's public_key " + publicKey + " is not the trusted key " + trustedKey.verifierKey() + ".");
    }
    return trustedKey;
  }

  private static void checkNote(String note, NoteVerifier key, Long treeSize, byte[] root, List<String> problems) {
    NoteVerification verification = key.verify(note);
    if (!verification.verified()) {
      problems.add("The checkpoint's signature does not verify with " + key.verifierKey() + " (" + verification + ").");
      return;
    }
    Checkpoint checkpoint;
    try {
      checkpoint = Checkpoint.parse(verification.textOrThrow());
    } catch (IllegalArgumentException e) {
      problems.add("The signed checkpoint is not a tlog-checkpoint (" + e.getMessage() + ").");
      return;
    }
    String mismatch = checkpoint.originMismatch(key);
    if (mismatch != null) problems.add("The checkpoint: " + mismatch + ".");
    if (treeSize != null && checkpoint.treeSize() != treeSize) {
      problems.add("tree_size " + treeSize + " is not the signed tree size " + checkpoint.treeSize() + ".");
    }
    if (root != null && !MessageDigest.isEqual(checkpoint.rootHash(), root)) {
      problems.add("root_hash is not the signed root hash.");
    }
  }

  /** Checks every entry; returns the session id they share (or the first one seen). */
  @SuppressWarnings("unchecked")
  private static String checkEntries(List<Object> entries, long treeSize, byte[] root, List<String> problems) {
    String sessionId = null;
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < entries.size() && i < MAX_ENTRIES; i++) {
      String where = "Entry " + i;
      if (!(entries.get(i) instanceof Map)) {
        problems.add(where + " is not an object.");
        continue;
      }
      Map<String, Object> entry = (Map<String, Object>) entries.get(i);
      Long index = field(entry, "leaf_index", Long.class, problems, where);
      String record = field(entry, "record", String.class, problems, where);
      List<Object> proofJson = field(entry, "inclusion_proof", List.class, problems, where);
      if (index == null || record == null || proofJson == null) {
        continue;
      }
      where = "Entry " + i + " (leaf " + index + ")";
      if (!seen.add(index)) {
        problems.add(where + " repeats a leaf index.");
      }
      if (index < 0 || index >= treeSize) {
        problems.add(where + ": leaf_index is not below tree_size " + treeSize + ".");
        continue;
      }
      List<byte[]> proof = proof(proofJson, where, problems);
      byte[] leafHash = MerkleTree.leafHash(record.getBytes(StandardCharsets.UTF_8));
      if (proof != null && !MerkleProofs.verifyInclusion(leafHash, index, treeSize, proof, root)) {
        problems.add(where + ": the record and its inclusion proof do not give root_hash"
            + " (the record or the proof was changed).");
      }
      String recordSession = checkRecord(record, index, where, problems);
      if (recordSession != null && sessionId == null) {
        sessionId = recordSession;
      } else if (recordSession != null && !recordSession.equals(sessionId)) {
        problems.add(where + " is a record of session " + recordSession + ", not of " + sessionId + ".");
      }
    }
    return sessionId;
  }

  /** The record's session_id, checking that its seq is its leaf index; null with a problem. */
  private static String checkRecord(String record, long index, String where, List<String> problems) {
    Map<String, Object> fields;
    try {
      fields = Json.parseObject(record);
    } catch (IllegalArgumentException e) {
      problems.add(where + ": the record is not a JSON object (" + e.getMessage() + ").");
      return null;
    }
    if (!(fields.get("seq") instanceof Long seq) || seq != index) {
      problems.add(where + ": the record's seq " + fields.get("seq") + " is not its leaf index.");
    }
    if (!(fields.get("session_id") instanceof String session)) {
      problems.add(where + ": the record has no session_id.");
      return null;
    }
    return session;
  }

  private static List<byte[]> proof(List<Object> json, String where, List<String> problems) {
    if (json.size() > 2 * Long.SIZE) {
      problems.add(where + ": the inclusion proof is longer than any tree needs.");
      return null;
    }
    List<byte[]> proof = new ArrayList<>(json.size());
    for (Object element : json) {
      byte[] hash = element instanceof String s ? hash(s, null, null) : null;
      if (hash == null) {
        problems.add(where + ": the inclusion proof holds something that is not a base64 SHA-256 hash.");
        return null;
      }
      proof.add(hash);
    }
    return proof;
  }

  private static byte[] hash(String base64, String name, List<String> problems) {
    if (base64 == null) {
      return null;
    }
    byte[] hash = NoteVerifier.decodeCanonical(base64);
    if (hash == null || hash.length != HashStore.HASH_BYTES) {
      if (problems != null) {
        problems.add(name + " is not the base64 of a 32-byte hash.");
      }
      return null;
    }
    return hash;
  }

  private static <T> T field(Map<String, Object> object, String name, Class<T> type, List<String> problems) {
    return field(object, name, type, problems, "The bundle");
  }

  private static <T> T field(Map<String, Object> object, String name, Class<T> type, List<String> problems, String where) {
    Object value = object.get(name);
    if (type.isInstance(value)) {
      return type.cast(value);
    }
    problems.add(where + (value == null ? " has no " : " has a malformed ") + "\"" + name + "\".");
    return null;
  }
}
