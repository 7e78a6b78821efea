package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.NoteVerification.Problem;
import dev.curfew.core.audit.NoteVerification.Rejected;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

/**
 * C2SP signed notes: the golang.org/x/mod/sumdb/note test vectors (sumdb/note/note_test.go:
 * TestNewVerifier, TestNewSigner, TestSign, TestOpen; keys "PeterNeumann" and "EnochRoot"),
 * interoperability with BouncyCastle's Ed25519, and tampering.
 */
class SignedNoteTest {

  // From golang.org/x/mod sumdb/note/note_test.go.
  static final String PETER_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  static final String PETER_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  static final String ENOCH_VERIFIER_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
  static final String TEXT = "If you think cryptography is the answer to your problem,\n"
      + "then you don't know what your problem is.\n";
  static final String PETER_SIG = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  static final String ENOCH_SIG = "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

  // ---- the Go reference vectors ----

  @Test
  void sign_goVector_isByteForByteTheSame() {
    NoteSigner peter = NoteSigner.parse(PETER_SIGNER_KEY);
    assertThat(peter.name()).isEqualTo("PeterNeumann");
    assertThat(peter.keyId()).isEqualTo(0xc74f20a3);
    assertThat(peter.signerKey()).isEqualTo(PETER_SIGNER_KEY);
    assertThat(peter.verifier().verifierKey()).isEqualTo(PETER_VERIFIER_KEY);
    assertThat(peter.sign(TEXT)).isEqualTo(TEXT + "\n" + PETER_SIG);
    assertThat(peter.toString()).doesNotContain("PRIVATE").doesNotContain("AYEKFALV");
  }

  @Test
  void verify_goVector_doublySignedNote_eachKeyVerifiesItsOwn() {
    String note = TEXT + "\n" + PETER_SIG + ENOCH_SIG;
    assertThat(NoteVerifier.parse(PETER_VERIFIER_KEY).verify(note)).isEqualTo(new NoteVerification.Verified(TEXT));
    assertThat(NoteVerifier.parse(ENOCH_VERIFIER_KEY).verify(note).textOrThrow()).isEqualTo(TEXT);
    NoteVerifier stranger = NoteSigner.generate("PeterNeumann").verifier(); // same name, other key
    assertThat(stranger.verify(note)).isInstanceOfSatisfying(Rejected.class,
        r -> assertThat(r.problem()).isEqualTo(Problem.NO_SIGNATURE_BY_KEY));
  }

  @Test
  void verify_goVector_malformedNotes_areRejectedAsMalformed() {
    NoteVerifier peter = NoteVerifier.parse(PETER_VERIFIER_KEY);
    List<String> bad = List.of(
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG.substring(0, PETER_SIG.length() - 1),
        "\u0001" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.repeat(101),
        TEXT + "\n" + PETER_SIG.replace("\u2014", "--"));
    for (String note : bad) {
      assertThat(peter.verify(note)).as(note).isInstanceOfSatisfying(Rejected.class,
          r -> assertThat(r.problem()).isEqualTo(Problem.MALFORMED_NOTE));
    }
    byte[] notUtf8 = (TEXT + "\n" + PETER_SIG).getBytes(StandardCharsets.UTF_8);
    notUtf8[0] = (byte) 0xff;
    assertThat(peter.verify(notUtf8).verified()).isFalse();
    assertThat(peter.verify((TEXT + "\n" + PETER_SIG).getBytes(StandardCharsets.UTF_8)).verified()).isTrue();
  }

  @Test
  void verify_goVector_signatureWithInsertedBytes_isInvalid() {
    NoteVerifier peter = NoteVerifier.parse(PETER_VERIFIER_KEY);
    String note = TEXT + "\n" + PETER_SIG.substring(0, 60) + "ABCD" + PETER_SIG.substring(60);
    assertThat(peter.verify(note)).isInstanceOfSatisfying(Rejected.class,
        r -> assertThat(r.problem()).isEqualTo(Problem.INVALID_SIGNATURE));
    assertThatThrownBy(() -> peter.verify(note).textOrThrow())
        .hasMessageContaining("INVALID_SIGNATURE").hasMessageContaining("PeterNeumann+c74f20a3");
  }

  @Test
  void parse_goVector_everyManglingOfTheKeys_isRefused() {
    // After TestNewVerifier / TestNewSigner: every proper substring and every one-byte change.
    assertRefusesManglings(PETER_VERIFIER_KEY, true);
    assertRefusesManglings(PETER_SIGNER_KEY, false);
    // Wrong key length and unknown algorithm, each with a matching key id (from the Go test).
    assertThatThrownBy(() -> NoteVerifier.parse(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NoteVerifier.parse(
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
        .hasMessageContaining("not Ed25519");
  }

  private static void assertRefusesManglings(String key, boolean verifier) {
    byte[] b = key.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i <= b.length; i++) {
      for (int j = i + 1; j <= b.length; j++) {
        if (i != 0 || j != b.length) {
          assertRefused(key.substring(i, j), verifier);
        }
      }
    }
    for (int i = 0; i < b.length; i++) {
      byte[] changed = b.clone();
      changed[i]++;
      assertRefused(new String(changed, StandardCharsets.US_ASCII), verifier);
    }
  }

  private static void assertRefused(String key, boolean verifier) {
    assertThatThrownBy(() -> {
      if (verifier) {
        NoteVerifier.parse(key);
      } else {
        NoteSigner.parse(key);
      }
    }).as(key).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- our keys ----

  @Test
  void generate_keyStringsRoundTrip_andKeyIdFollowsTheSpec() throws Exception {
    NoteSigner signer = NoteSigner.generate("curfew.example/node-1");
    NoteSigner reparsed = NoteSigner.parse(signer.signerKey());
    NoteVerifier verifier = NoteVerifier.parse(signer.verifier().verifierKey());
    assertThat(reparsed.verifier()).isEqualTo(signer.verifier()).isEqualTo(verifier);
    assertThat(reparsed.rawSeed()).isEqualTo(signer.rawSeed());
    assertThat(signer.signerKey()).startsWith("PRIVATE+KEY+curfew.example/node-1+" + verifier.keyIdHex() + "+");

    // key id = SHA-256(name || 0x0A || 0x01 || public key)[:4], computed here independently
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update("curfew.example/node-1\n".getBytes(StandardCharsets.UTF_8));
    sha256.update((byte) 0x01);
    byte[] id = sha256.digest(verifier.rawPublicKey());
    assertThat(verifier.keyId()).isEqualTo(ByteBuffer.wrap(id).getInt());
    assertThat(verifier.keyIdHex()).hasSize(8).isLowerCase();
  }

  @Test
  void ed25519Keys_rawAndJdkFormsRoundTrip() {
    KeyPair pair = Ed25519Keys.generate();
    byte[] pub = Ed25519Keys.rawPublicKey(pair.getPublic());
    byte[] seed = Ed25519Keys.rawSeed(pair.getPrivate());
    assertThat(pub).hasSize(32);
    assertThat(seed).hasSize(32);
    assertThat(Ed25519Keys.publicKey(pub).getEncoded()).isEqualTo(pair.getPublic().getEncoded());
    assertThat(Ed25519Keys.privateKey(seed).getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
    assertThat(Ed25519Keys.rawPublicKey(Ed25519Keys.fromSeed(seed).getPublic())).isEqualTo(pub);
    assertThat(NoteSigner.of("k", pair.getPrivate()).verifier()).isEqualTo(NoteVerifier.of("k", pair.getPublic()));
    assertThatThrownBy(() -> Ed25519Keys.publicKey(new byte[31])).hasMessageContaining("length != 32: 31");
  }

  @Test
  void keyNames_withSpaceOrPlus_areRefused() {
    for (String name : List.of("", "a b", "a+b", "a\tb", "a\u00a0b", "a\nb")) {
      assertThatThrownBy(() -> NoteSigner.generate(name)).as(name).isInstanceOf(IllegalArgumentException.class);
    }
  }

  // ---- BouncyCastle interoperability ----

  @Test
  void checkpoint_signedWithJdk_verifiesWithBouncyCastle() {
    NoteSigner signer = NoteSigner.generate("curfew.example/log");
    Checkpoint checkpoint = new Checkpoint("curfew.example/log", 8, MerkleTreeVectorsTest.ROOTS.get(8));
    String note = signer.sign(checkpoint.body());

    String line = note.substring(checkpoint.body().length() + 1);
    assertThat(line).startsWith("\u2014 curfew.example/log ").endsWith("\n");
    byte[] decoded = Base64.getDecoder().decode(line.substring(line.lastIndexOf(' ') + 1, line.length() - 1));
    assertThat(decoded).hasSize(4 + 64);
    assertThat(ByteBuffer.wrap(decoded).getInt()).isEqualTo(signer.keyId());

    Ed25519Signer bc = new Ed25519Signer();
    bc.init(false, new Ed25519PublicKeyParameters(signer.verifier().rawPublicKey(), 0));
    byte[] body = checkpoint.body().getBytes(StandardCharsets.UTF_8);
    bc.update(body, 0, body.length);
    assertThat(bc.verifySignature(Arrays.copyOfRange(decoded, 4, decoded.length))).isTrue();
  }

  @Test
  void checkpoint_signedWithBouncyCastle_verifiesWithJdk() {
    byte[] bcSeed = new byte[32];
    new java.util.Random(20261128L).nextBytes(bcSeed); // a fixed key: the same run every time
    Ed25519PrivateKeyParameters bcPrivate = new Ed25519PrivateKeyParameters(bcSeed, 0);
    byte[] bcPublic = bcPrivate.generatePublicKey().getEncoded();
    Checkpoint checkpoint = new Checkpoint("bc.example/log", 5, MerkleTreeVectorsTest.ROOTS.get(5));
    byte[] body = checkpoint.body().getBytes(StandardCharsets.UTF_8);
    Ed25519Signer bc = new Ed25519Signer();
    bc.init(true, bcPrivate);
    bc.update(body, 0, body.length);
    byte[] signature = bc.generateSignature();

    NoteVerifier verifier = NoteVerifier.of("bc.example/log", bcPublic);
    String note = checkpoint.body() + "\n\u2014 bc.example/log " + Base64.getEncoder().encodeToString(
        ByteBuffer.allocate(68).putInt(verifier.keyId()).put(signature).array()) + "\n";
    assertThat(Checkpoint.parse(verifier.verify(note).textOrThrow())).isEqualTo(checkpoint);

    // The same seed in our signer gives BouncyCastle's public key and, Ed25519 being
    // deterministic, the very same note.
    NoteSigner ours = NoteSigner.fromSeed("bc.example/log", bcPrivate.getEncoded());
    assertThat(ours.verifier().rawPublicKey()).isEqualTo(bcPublic);
    assertThat(ours.sign(checkpoint.body())).isEqualTo(note);
  }

  // ---- tampering ----

  @Test
  void tamperedCheckpointNotes_areAllRejected() {
    NoteSigner signer = NoteSigner.generate("curfew.example/log");
    NoteVerifier verifier = signer.verifier();
    MerkleTree tree = MerkleTreeVectorsTest.referenceTree();
    String body = Checkpoint.of("curfew.example/log", tree).body();
    String note = signer.sign(body);
    assertThat(Checkpoint.parse(verifier.verify(note).textOrThrow()).rootHash()).isEqualTo(tree.rootHash());

    String sigLine = note.substring(body.length() + 1);
    String sigBase64 = sigLine.substring(sigLine.lastIndexOf(' ') + 1, sigLine.length() - 1);

    // every single flipped byte of the body
    for (int i = 0; i < body.length() - 1; i++) {
      char[] chars = body.toCharArray();
      chars[i] ^= 1;
      String tampered = new String(chars) + "\n" + sigLine;
      assertThat(verifier.verify(tampered).verified()).as("body byte %d flipped", i).isFalse();
    }
    assertRejected(verifier, body.replace("\n8\n", "\n7\n") + "\n" + sigLine, Problem.INVALID_SIGNATURE);
    assertRejected(verifier, body + "extra\n\n" + sigLine, Problem.INVALID_SIGNATURE);
    // wrong key: another key with the same name
    assertRejected(NoteSigner.generate("curfew.example/log").verifier(), note, Problem.NO_SIGNATURE_BY_KEY);
    // truncated signature: one base64 quantum short, then only the key id
    assertRejected(verifier, note.replace(sigBase64, sigBase64.substring(0, sigBase64.length() - 4)),
        Problem.INVALID_SIGNATURE);
    assertRejected(verifier, note.replace(sigBase64, Base64.getEncoder().encodeToString(
        Arrays.copyOf(Base64.getDecoder().decode(sigBase64), 4))), Problem.MALFORMED_NOTE); // as Go: < 5 bytes
    assertRejected(verifier, note.replace(sigBase64, sigBase64.substring(0, sigBase64.length() - 1)),
        Problem.MALFORMED_NOTE);
    // flipped signature bit
    byte[] sig = Base64.getDecoder().decode(sigBase64);
    sig[10] ^= 1;
    assertRejected(verifier, note.replace(sigBase64, Base64.getEncoder().encodeToString(sig)), Problem.INVALID_SIGNATURE);
    // signature removed, or a second, bad signature by the same key next to the good one
    assertRejected(verifier, body + "\n", Problem.MALFORMED_NOTE);
    assertRejected(verifier, note + sigLine.replace(sigBase64, Base64.getEncoder().encodeToString(sig)),
        Problem.INVALID_SIGNATURE);
    // a signature by an unknown key is ignored, not fatal
    assertThat(verifier.verify(note + NoteSigner.generate("witness.example").signatureLine(body)).verified()).isTrue();
  }

  private static void assertRejected(NoteVerifier verifier, String note, Problem problem) {
    assertThat(verifier.verify(note)).as(note).isInstanceOfSatisfying(Rejected.class,
        r -> assertThat(r.problem()).isEqualTo(problem));
  }

  @Test
  void sign_textThatIsNotANoteBody_isRefused() {
    NoteSigner signer = NoteSigner.generate("k");
    assertThatThrownBy(() -> signer.sign("abc")).hasMessageContaining("newline");
    assertThatThrownBy(() -> signer.sign("")).hasMessageContaining("newline");
    assertThatThrownBy(() -> signer.sign("a\u0007b\n")).hasMessageContaining("control character 0x7");
  }
}
