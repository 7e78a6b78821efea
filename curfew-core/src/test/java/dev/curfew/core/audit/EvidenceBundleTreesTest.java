package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Evidence of one session whose records are in two nodes' trees: one bundle, each tree proven with its own key. */
class EvidenceBundleTreesTest {
  static final NoteSigner A = NoteSigner.fromSeed("node-a", seed(1));
  static final NoteSigner B = NoteSigner.fromSeed("node-b", seed(2));
  static final NoteSigner MALLORY_AS_B = NoteSigner.fromSeed("node-b", seed(3));

  /** A tree of {@code size} records of {@code node}; those at {@code sessionSeqs} are of session "s-x". */
  static final class Tree {
    final List<byte[]> lines = new ArrayList<>();
    final MerkleTree tree = MerkleTree.inMemory();
    final List<EvidenceBundle.Leaf> session = new ArrayList<>();

    Tree(String node, int size, List<Integer> sessionSeqs) {
      for (int seq = 0; seq < size; seq++) {
        String id = sessionSeqs.contains(seq) ? "s-x" : "other-" + seq;
        byte[] line = AuditTestLog.record(seq, AuditTestLog.START_MS + 10L * seq, node, id);
        lines.add(line);
        tree.append(line);
        if (id.equals("s-x")) session.add(new EvidenceBundle.Leaf(seq, line));
      }
    }

    EvidenceBundle bundle(NoteSigner signer) {
      String note = signer.sign(new Checkpoint(signer.verifier().name(), lines.size(), tree.rootHash(lines.size())).body());
      return EvidenceBundle.build(note, signer.verifier(), session, tree);
    }
  }

  final Tree a = new Tree("node-a", 37, List.of(3, 20));
  final Tree b = new Tree("node-b", 12, List.of(5, 6, 11));
  final List<NoteVerifier> both = List.of(A.verifier(), B.verifier());

  @Test
  void twoTrees_verifyWithBothKeys() {
    String json = EvidenceBundle.toJson(List.of(a.bundle(A), b.bundle(B)));
    Map<String, Object> parsed = Json.parseObject(json);
    assertThat(parsed).containsOnlyKeys("trees");
    assertThat(CanonicalJson.write(parsed)).isEqualTo(json);

    EvidenceBundle.Verified v = EvidenceBundle.verifyTrees(json, both);
    assertThat(v.result().problems()).isEmpty();
    assertThat(v.result().keyAuthenticated()).isTrue();
    assertThat(v.result().sessionId()).isEqualTo("s-x");
    assertThat(v.result().entries()).isEqualTo(5);
    assertThat(v.trees()).extracting(EvidenceVerification::treeSize).containsExactly(37L, 12L);
    // without keys: consistent, not authenticated
    EvidenceBundle.Verified own = EvidenceBundle.verifyTrees(json, List.of());
    assertThat(own.result().ok()).isTrue();
    assertThat(own.result().keyAuthenticated()).isFalse();
    // the checks of one bundle see a bundle of several trees as no bundle
    assertThat(EvidenceBundle.verify(json, A.verifier()).ok()).isFalse();
  }

  @Test
  void oneTree_isTodaysBundleByteForByte_andVerifiesAsBefore() {
    EvidenceBundle one = a.bundle(A);
    assertThat(EvidenceBundle.toJson(List.of(one))).isEqualTo(one.toJson());
    assertThat(EvidenceBundle.verifyTrees(one.toJson(), List.of(A.verifier())).result())
        .isEqualTo(EvidenceBundle.verify(one.toJson(), A.verifier()));
    assertThat(EvidenceBundle.verifyTrees(one.toJson(), both).result().ok()).isTrue();
    // the one trusted key is used whatever the bundle names, as before
    assertThat(EvidenceBundle.verifyTrees(one.toJson(), List.of(B.verifier())).result())
        .isEqualTo(EvidenceBundle.verify(one.toJson(), B.verifier()));
  }

  @Test
  void aTreeWithoutATrustedKeyFails() {
    String json = EvidenceBundle.toJson(List.of(a.bundle(A), b.bundle(B)));
    EvidenceBundle.Verified v = EvidenceBundle.verifyTrees(json, List.of(A.verifier()));
    assertThat(v.result().ok()).isFalse();
    assertThat(v.result().problems()).anyMatch(p -> p.contains("node-b") && p.contains("not among the trusted keys"));
  }

  @Test
  void aTreeSignedByAnotherKeyOfTheSameNameFails() {
    String json = EvidenceBundle.toJson(List.of(a.bundle(A), b.bundle(MALLORY_AS_B)));
    assertThat(EvidenceBundle.verifyTrees(json, List.of()).result().ok()).isTrue(); // its own keys agree
    EvidenceBundle.Verified v = EvidenceBundle.verifyTrees(json, both);
    assertThat(v.result().ok()).isFalse();
    assertThat(v.result().problems()).anyMatch(p -> p.startsWith("Tree 1 (node-b): "));
  }

  @Test
  @SuppressWarnings("unchecked")
  void aChangedRecordOfTheSecondTreeFails() {
    Map<String, Object> all = Json.parseObject(EvidenceBundle.toJson(List.of(a.bundle(A), b.bundle(B))));
    Map<String, Object> second = (Map<String, Object>) ((List<Object>) all.get("trees")).get(1);
    Map<String, Object> entry = (Map<String, Object>) ((List<Object>) second.get("entries")).get(2);
    entry.put("record", ((String) entry.get("record")).replace("user-11@", "user-99@"));
    EvidenceBundle.Verified v = EvidenceBundle.verifyTrees(CanonicalJson.write(all), both);
    assertThat(v.result().ok()).isFalse();
    assertThat(v.result().problems()).containsExactly("Tree 1 (node-b): Entry 2 (leaf 11): the record and its"
        + " inclusion proof do not give root_hash (the record or the proof was changed).");
  }

  @Test
  @SuppressWarnings("unchecked")
  void treesOfTwoSessionsOrTheSameKeyTwiceFail() {
    Tree otherSession = new Tree("node-b", 12, List.of());
    List<EvidenceBundle.Leaf> leaves = List.of(new EvidenceBundle.Leaf(4, otherSession.lines.get(4)));
    String note = B.sign(new Checkpoint("node-b", 12, otherSession.tree.rootHash(12)).body());
    String mixed = EvidenceBundle.toJson(List.of(a.bundle(A),
        EvidenceBundle.build(note, B.verifier(), leaves, otherSession.tree)));
    assertThat(EvidenceBundle.verifyTrees(mixed, both).result().problems())
        .anyMatch(p -> p.contains("holds records of session other-4, not of s-x"));

    String twice = EvidenceBundle.toJson(List.of(a.bundle(A), a.bundle(A)));
    assertThat(EvidenceBundle.verifyTrees(twice, both).result().problems())
        .anyMatch(p -> p.contains("names the key of another tree"));

    assertThat(EvidenceBundle.verifyTrees("{\"trees\":[]}", both).result().ok()).isFalse();
    assertThat(EvidenceBundle.verifyTrees("{\"trees\":[1],\"x\":2}", both).result().ok()).isFalse();
    assertThat(EvidenceBundle.verifyTrees("{\"trees\":[1]}", both).result().problems()).contains("Tree 0 is not an object.");
    assertThat(EvidenceBundle.verifyTrees("not json", both).result().ok()).isFalse();
  }

  private static byte[] seed(int v) {
    byte[] s = new byte[32];
    java.util.Arrays.fill(s, (byte) v);
    return s;
  }
}
