package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

/**
 * The witness (c2sp.org/tlog-witness §add-checkpoint) and its cosignatures
 * (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1): the spec's own examples, an independent
 * Ed25519 (BouncyCastle) over the message as the spec words it, and every status code of the
 * add-checkpoint rules, including the rewritten-and-re-signed log an honest witness refuses.
 */
class WitnessTest {
  // tlog-cosignature, the example at the top of the page, and the example signed message of
  // §"Ed25519 signed message" (same checkpoint, time 1679315147).
  static final String SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  static final String SPEC_COSIGNATURE = "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
  static final String SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
      + "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  // tlog-witness §add-checkpoint, the example request body (its proof hashes and checkpoint).
  static final String SPEC_REQUEST = "old 20852014\n"
      + "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
      + "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
      + "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
      + "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
      + "\n"
      + SPEC_CHECKPOINT
      + "\n"
      + "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
      + "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";

  @Test
  void specExampleCosignature_parses_withTheTimestampOfTheSpecsSignedMessage() {
    Cosignature c = Cosignature.parseLine(SPEC_COSIGNATURE);
    assertThat(c).isNotNull();
    assertThat(c.name()).isEqualTo("witness.example.com/w1");
    assertThat(c.keyId()).isEqualTo(0x8d66cf3f); // "jWbPPw" = 8d 66 cf 3f
    assertThat(c.timestampSeconds()).isEqualTo(1679315147L);
    assertThat(Cosignature.message(SPEC_CHECKPOINT, c.timestampSeconds())).isEqualTo(SPEC_MESSAGE);
    assertThat(c.line()).isEqualTo(SPEC_COSIGNATURE + "\n"); // re-encodes byte for byte
  }

  @Test
  void specExampleRequest_parses_andWritesBackTheSameBody() {
    AddCheckpointRequest r = AddCheckpointRequest.parse(SPEC_REQUEST.getBytes(StandardCharsets.UTF_8));
    assertThat(r.oldSize()).isEqualTo(20852014L);
    assertThat(r.proof()).hasSize(4);
    assertThat(SignedNote.parse(r.checkpointNote()).text()).isEqualTo(SPEC_CHECKPOINT);
    assertThat(SignedNote.parse(r.checkpointNote()).signatureLines()).hasSize(2);
    assertThat(r.body()).isEqualTo(SPEC_REQUEST);
  }

  @Test
  void cosignature_verifiesWithAnIndependentEd25519_overTheMessageAsTheSpecWordsIt() throws Exception {
    WitnessSigner w = WitnessSigner.generate("witness.example/w1");
    Cosignature c = w.cosign(SPEC_CHECKPOINT, 1_700_000_000L);
    byte[] raw = Base64.getDecoder().decode(c.line().substring(c.line().indexOf(' ', 2) + 1).trim());
    ByteBuffer b = ByteBuffer.wrap(raw);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update("witness.example/w1\n".getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0x04);
    sha.update(w.key().rawPublicKey());
    assertThat(b.getInt()).isEqualTo(ByteBuffer.wrap(sha.digest()).getInt());
    assertThat(b.getLong()).isEqualTo(1_700_000_000L);
    byte[] sig = new byte[64];
    b.get(sig);
    Ed25519Signer bc = new Ed25519Signer();
    bc.init(false, new Ed25519PublicKeyParameters(w.key().rawPublicKey(), 0));
    byte[] message = ("cosignature/v1\ntime 1700000000\n" + SPEC_CHECKPOINT).getBytes(StandardCharsets.UTF_8);
    bc.update(message, 0, message.length);
    assertThat(bc.verifySignature(sig)).isTrue();
    assertThat(WitnessKey.parse(w.key().verifierKey())).isEqualTo(w.key());
    assertThat(WitnessSigner.parse(w.signerKey()).key()).isEqualTo(w.key());
    assertThat(w.toString()).doesNotContain("PRIVATE");
  }

  @Test
  void logKeys_areNotWitnessKeys_andViceVersa() {
    NoteSigner log = NoteSigner.generate("curfew/n1");
    WitnessSigner w = WitnessSigner.generate("curfew/n1");
    assertThat(w.key().keyId()).isNotEqualTo(log.keyId()); // algorithm byte 0x04 vs 0x01
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> WitnessKey.parse(log.verifier().verifierKey()))
        .hasMessageContaining("not cosignature/v1 Ed25519 (0x04)");
  }

  @Test
  void quorum_countsValidCosignatures_ignoresStrangers_andFailsOnAnAlteredOne() {
    NoteSigner log = NoteSigner.generate("curfew/n1");
    WitnessSigner w1 = WitnessSigner.generate("w1");
    WitnessSigner w2 = WitnessSigner.generate("w2");
    WitnessSigner stranger = WitnessSigner.generate("w3");
    String text = new Checkpoint("curfew/n1", 3, new byte[32]).body();
    SignedNote note = SignedNote.parse(log.sign(text));
    String both = note.withSignatures(List.of(w1.cosign(text, 10).line(), stranger.cosign(text, 11).line(),
        w2.cosign(text, 12).line()));
    WitnessQuorum all = WitnessQuorum.all(List.of(w1.key(), w2.key()));
    assertThat(all.check(both).satisfied()).isTrue();
    assertThat(all.check(both).cosignedBy()).containsExactly("w1", "w2");
    String onlyOne = note.withSignatures(List.of(w1.cosign(text, 10).line()));
    assertThat(all.check(onlyOne).satisfied()).isFalse();
    assertThat(WitnessQuorum.of(List.of(w1.key(), w2.key()), 1).check(onlyOne).satisfied()).isTrue();
    // w1's line moved onto another checkpoint: it carries w1's name and id, and fails
    String other = new Checkpoint("curfew/n1", 4, new byte[32]).body();
    String moved = SignedNote.parse(log.sign(other)).withSignatures(List.of(w1.cosign(text, 10).line()));
    WitnessQuorum.Result r = WitnessQuorum.of(List.of(w1.key(), w2.key()), 1).check(moved);
    assertThat(r.satisfied()).isFalse();
    assertThat(r.problem()).contains("w1").contains("does not verify");
    // and the log's own key still verifies the note with the cosignatures on it
    assertThat(log.verifier().verify(both).verified()).isTrue();
  }

  // ---- add-checkpoint ----

  private final NoteSigner log = NoteSigner.generate("curfew/n1");
  private final WitnessSigner witnessKey = WitnessSigner.generate("witness.test/w1");
  private final MemoryState state = new MemoryState();
  private final AtomicLong nowMs = new AtomicLong(1_767_225_600_000L);
  private final Witness witness = new Witness(witnessKey, Map.of("curfew/n1", List.of(log.verifier())), state, nowMs::get);
  private final MerkleTree tree = MerkleTree.inMemory();

  private void grow(int records, Random random) {
    for (int i = 0; i < records; i++) {
      byte[] leaf = new byte[20];
      random.nextBytes(leaf);
      tree.append(leaf);
    }
  }

  private String signed(MerkleTree t, NoteSigner signer) {
    return signer.sign(Checkpoint.of(signer.name(), t).body());
  }

  private Witness.Response add(long old, List<byte[]> proof, String note) throws IOException {
    return witness.addCheckpoint(new AddCheckpointRequest(old, proof, note).body().getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void addCheckpoint_firstThenConsistent_isCosigned_andTheStateMovesForward() throws IOException {
    Random random = new Random(18);
    grow(5, random);
    String first = signed(tree, log);
    Witness.Response r1 = add(0, List.of(), first);
    assertThat(r1.status()).isEqualTo(200);
    Cosignature c = Cosignature.parseLine(r1.body());
    assertThat(c.timestampSeconds()).isEqualTo(1_767_225_600L);
    assertThat(witnessKey.key().check(SignedNote.parse(first).text(), r1.body())).isEqualTo(WitnessKey.Check.VALID);
    assertThat(state.map.get("curfew/n1").treeSize()).isEqualTo(5);

    grow(8, random);
    nowMs.addAndGet(2500);
    Witness.Response r2 = add(5, tree.consistencyProof(5, 13), signed(tree, log));
    assertThat(r2.status()).isEqualTo(200);
    assertThat(Cosignature.parseLine(r2.body()).timestampSeconds()).isEqualTo(1_767_225_602L);
    assertThat(state.map.get("curfew/n1").treeSize()).isEqualTo(13);
    // the same checkpoint again: same size, same root: cosigned again
    assertThat(add(13, List.of(), signed(tree, log)).status()).isEqualTo(200);
  }

  @Test
  void addCheckpoint_statusCodes_asTheSpecSays() throws IOException {
    Random random = new Random(7);
    grow(4, random);
    assertThat(add(0, List.of(), signed(tree, log)).status()).isEqualTo(200);
    grow(3, random);
    String note = signed(tree, log);
    List<byte[]> proof = tree.consistencyProof(4, 7);

    Witness.Response stale = add(0, List.of(), note);
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.contentType()).isEqualTo("text/x.tlog.size");
    assertThat(stale.body()).isEqualTo("4\n");
    assertThat(add(8, List.of(), note).status()).isEqualTo(400); // old > checkpoint size
    NoteSigner other = NoteSigner.generate("curfew/n1");
    assertThat(add(4, proof, signed(tree, other)).status()).isEqualTo(403); // same origin, untrusted key
    assertThat(add(4, proof, signed(tree, NoteSigner.generate("curfew/elsewhere"))).status()).isEqualTo(404);
    List<byte[]> badProof = new ArrayList<>(proof);
    badProof.set(0, new byte[32]);
    assertThat(add(4, badProof, note).status()).isEqualTo(422);
    assertThat(witness.addCheckpoint("old x\n\n".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(400);
    assertThat(state.map.get("curfew/n1").treeSize()).isEqualTo(4); // nothing refused moved it
    assertThat(add(4, proof, note).status()).isEqualTo(200);
  }

  @Test
  void aRewrittenLogReSignedByTheOperatorsOwnKey_isNeverCosignedAgain() throws IOException {
    Random random = new Random(42);
    List<byte[]> leaves = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      byte[] leaf = ("record " + i).getBytes(StandardCharsets.UTF_8);
      leaves.add(leaf);
      tree.append(leaf);
    }
    assertThat(add(0, List.of(), signed(tree, log)).status()).isEqualTo(200);
    // the operator edits record 3 and rebuilds the tree; the log key (theirs) signs it all again
    MerkleTree rewritten = MerkleTree.inMemory();
    for (int i = 0; i < leaves.size(); i++) rewritten.append(i == 3 ? "record 3 (edited)".getBytes() : leaves.get(i));
    assertThat(log.verifier().verify(signed(rewritten, log)).verified()).isTrue(); // the log's key alone cannot tell
    assertThat(add(10, List.of(), signed(rewritten, log)).status()).isEqualTo(409); // same size, other root
    for (int i = 0; i < 5; i++) rewritten.append(("later " + i).getBytes());
    grow(0, random);
    Witness.Response r = add(10, rewritten.consistencyProof(10, 15), signed(rewritten, log));
    assertThat(r.status()).isEqualTo(422);
    assertThat(add(0, List.of(), signed(rewritten, log)).status()).isEqualTo(409);
    assertThat(state.map.get("curfew/n1").rootHash()).isEqualTo(tree.rootHash(10));
  }

  static final class MemoryState implements Witness.State {
    final Map<String, Witness.Latest> map = new HashMap<>();

    @Override
    public Optional<Witness.Latest> latest(String origin) {
      return Optional.ofNullable(map.get(origin));
    }

    @Override
    public void save(Witness.Latest latest) {
      map.put(latest.origin(), latest);
    }
  }
}
