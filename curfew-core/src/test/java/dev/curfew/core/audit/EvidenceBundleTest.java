package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Evidence bundles: built from a log, checked offline, and every tampering spec/audit.md cares about. */
class EvidenceBundleTest {

  final AuditTestLog log = AuditTestLog.of(103, 10);
  final NoteVerifier key = AuditTestLog.SIGNER.verifier();
  final String note = log.note(103);

  /** Session "s-5" owns records 20..23. */
  List<EvidenceBundle.Leaf> session5() {
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>();
    for (int seq = 20; seq < 24; seq++) {
      leaves.add(new EvidenceBundle.Leaf(seq, log.lines.get(seq)));
    }
    return leaves;
  }

  @Test
  void build_thenVerifyWithTrustedKey_holds() {
    EvidenceBundle bundle = EvidenceBundle.build(note, key, session5(), log.tree);
    EvidenceVerification result = EvidenceBundle.verify(bundle.toJson(), key);

    assertThat(result.problems()).isEmpty();
    assertThat(result.ok()).isTrue();
    assertThat(result.keyAuthenticated()).isTrue();
    assertThat(result.sessionId()).isEqualTo("s-5");
    assertThat(result.treeSize()).isEqualTo(103);
    assertThat(result.entries()).isEqualTo(4);
  }

  @Test
  void toJson_isCanonicalAndHasTheSpecShape() {
    String json = EvidenceBundle.build(note, key, session5(), log.tree).toJson();
    Map<String, Object> parsed = Json.parseObject(json);
    assertThat(CanonicalJson.write(parsed)).isEqualTo(json);
    assertThat(parsed).containsOnlyKeys("checkpoint", "tree_size", "root_hash", "public_key", "entries");
    assertThat(parsed.get("checkpoint")).isEqualTo(note);
    assertThat(parsed.get("public_key")).isEqualTo(key.verifierKey());
    assertThat(parsed.get("root_hash")).isEqualTo(Base64.getEncoder().encodeToString(log.tree.rootHash(103)));
    @SuppressWarnings("unchecked")
    Map<String, Object> first = (Map<String, Object>) ((List<Object>) parsed.get("entries")).get(0);
    assertThat(first).containsOnlyKeys("leaf_index", "record", "inclusion_proof");
    assertThat(first.get("record")).isEqualTo(new String(log.lines.get(20), java.nio.charset.StandardCharsets.UTF_8));
    assertThat(json).doesNotContain("s-4\"").doesNotContain("s-6\""); // nothing of other sessions
  }

  @Test
  void verify_withoutTrustedKey_holdsButFlagsTheKeyAsUnauthenticated() {
    EvidenceVerification result = EvidenceBundle.verify(EvidenceBundle.build(note, key, session5(), log.tree).toJson(), null);
    assertThat(result.ok()).isTrue();
    assertThat(result.keyAuthenticated()).isFalse();
  }

  @Test
  void build_leafNotUnderCheckpoint_refused() {
    List<EvidenceBundle.Leaf> leaves = List.of(new EvidenceBundle.Leaf(102, log.lines.get(102)));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EvidenceBundle.build(log.note(100), key, leaves, log.tree))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not under the checkpoint of tree size 100");
  }

  // ---- tampering ----

  @Test
  void tamper_editedRecord() {
    assertProblem(tampered(b -> entry(b, 1).put("record", ((String) entry(b, 1).get("record")).replace("user-21@", "user-99@")), key),
        "Entry 1 (leaf 21): the record and its inclusion proof do not give root_hash");
  }

  @Test
  void tamper_wrongProofHash() {
    assertProblem(tampered(b -> {
      @SuppressWarnings("unchecked")
      List<Object> proof = new ArrayList<>((List<Object>) entry(b, 2).get("inclusion_proof"));
      proof.set(0, Base64.getEncoder().encodeToString(new byte[32]));
      entry(b, 2).put("inclusion_proof", proof);
    }, key), "Entry 2 (leaf 22): the record and its inclusion proof do not give root_hash");
  }

  @Test
  void tamper_wrongRoot() {
    EvidenceVerification result = tampered(b -> b.put("root_hash", Base64.getEncoder().encodeToString(log.tree.rootHash(100))), key);
    assertProblem(result, "root_hash is not the signed root hash");
    assertProblem(result, "Entry 0 (leaf 20): the record and its inclusion proof do not give root_hash");
  }

  @Test
  void tamper_signatureByAnotherKey_withTrustedKey() {
    String forged = log.note(103, AuditTestLog.OTHER_SIGNER);
    EvidenceVerification result = tampered(b -> {
      b.put("checkpoint", forged);
      b.put("public_key", AuditTestLog.OTHER_SIGNER.verifier().verifierKey());
    }, key);
    assertProblem(result, "The checkpoint's signature does not verify with " + key.verifierKey());
    assertProblem(result, "is not the trusted key");
  }

  @Test
  void tamper_signatureByAnotherKey_withoutTrustedKey_verifiesButIsNotAuthenticated() {
    String forged = log.note(103, AuditTestLog.OTHER_SIGNER);
    EvidenceVerification result = tampered(b -> {
      b.put("checkpoint", forged);
      b.put("public_key", AuditTestLog.OTHER_SIGNER.verifier().verifierKey());
    }, null);
    assertThat(result.ok()).isTrue();
    assertThat(result.keyAuthenticated()).isFalse(); // which is why a relying party passes its own key
  }

  @Test
  void tamper_signatureEdited() {
    String note2 = note.substring(0, note.length() - 6) + (note.charAt(note.length() - 6) == 'A' ? 'B' : 'A') + note.substring(note.length() - 5);
    assertProblem(tampered(b -> b.put("checkpoint", note2), key), "The checkpoint's signature does not verify");
  }

  @Test
  void tamper_anotherSessionsRecordMixedIn_withAValidProof() {
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>(session5());
    String json = EvidenceBundle.build(note, key, leaves, log.tree).toJson();
    Map<String, Object> bundle = Json.parseObject(json);
    @SuppressWarnings("unchecked")
    List<Object> entries = (List<Object>) bundle.get("entries");
    entries.add(Map.of("leaf_index", 40L, "record", new String(log.lines.get(40), java.nio.charset.StandardCharsets.UTF_8),
        "inclusion_proof", log.tree.inclusionProof(40, 103).stream().map(Base64.getEncoder()::encodeToString).toList()));
    assertProblem(EvidenceBundle.verify(CanonicalJson.write(bundle), key), "Entry 4 (leaf 40) is a record of session s-10, not of s-5");
  }

  @Test
  void tamper_duplicateLeafIndex() {
    EvidenceVerification result = tampered(b -> {
      @SuppressWarnings("unchecked")
      List<Object> entries = (List<Object>) b.get("entries");
      entries.add(entries.get(0));
    }, key);
    assertProblem(result, "Entry 4 (leaf 20) repeats a leaf index");
  }

  @Test
  void tamper_leafIndexBeyondTreeSize() {
    assertProblem(tampered(b -> entry(b, 0).put("leaf_index", 103L), key), "leaf_index is not below tree_size 103");
  }

  @Test
  void tamper_treeSizeChanged() {
    assertProblem(tampered(b -> b.put("tree_size", 104L), key), "tree_size 104 is not the signed tree size 103");
  }

  @Test
  void malformedInput_neverThrows() {
    for (String bad : new String[] {null, "", "{", "[]", "null", "{\"entries\":5}", "{\"checkpoint\":1,\"tree_size\":\"x\"}",
        "{\"checkpoint\":\"x\",\"tree_size\":-1,\"root_hash\":\"AAAA\",\"public_key\":\"a+b+c\",\"entries\":[1,{}]}",
        "{\"checkpoint\":\"x\",\"tree_size\":1,\"root_hash\":\"" + Base64.getEncoder().encodeToString(new byte[32])
            + "\",\"public_key\":\"" + key.verifierKey() + "\",\"entries\":[{\"leaf_index\":0,\"record\":\"{}\",\"inclusion_proof\":[1]}]}",
        "[".repeat(10_000)}) {
      EvidenceVerification result = EvidenceBundle.verify(bad, key);
      assertThat(result.ok()).as(String.valueOf(bad)).isFalse();
      assertThat(result.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).endsWith("."));
    }
  }

  // ---- helpers ----

  EvidenceVerification tampered(Consumer<Map<String, Object>> edit, NoteVerifier trustedKey) {
    Map<String, Object> bundle = Json.parseObject(EvidenceBundle.build(note, key, session5(), log.tree).toJson());
    edit.accept(bundle);
    return EvidenceBundle.verify(CanonicalJson.write(bundle), trustedKey);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> entry(Map<String, Object> bundle, int i) {
    return (Map<String, Object>) ((List<Object>) bundle.get("entries")).get(i);
  }

  static void assertProblem(EvidenceVerification result, String problem) {
    assertThat(result.ok()).isFalse();
    assertThat(result.keyAuthenticated()).isFalse();
    assertThat(result.problems()).anySatisfy(p -> assertThat(p).contains(problem));
  }
}
