package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The C2SP tlog-checkpoint note text. */
class CheckpointTest {

  static final byte[] ROOT8 = MerkleTreeVectorsTest.ROOTS.get(8);
  static final String ROOT8_BASE64 = Base64.getEncoder().encodeToString(ROOT8);

  @Test
  void body_isOriginSizeRootEachOnALine() {
    Checkpoint c = new Checkpoint("curfew.example/log", 8, ROOT8);
    assertThat(c.body()).isEqualTo("curfew.example/log\n8\n" + ROOT8_BASE64 + "\n");
    assertThat(Checkpoint.parse(c.body())).isEqualTo(c);
    assertThat(new Checkpoint("o", 0, MerkleTree.emptyRootHash()).body())
        .isEqualTo("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
  }

  @Test
  void of_tree_isItsSizeAndRoot() {
    Checkpoint c = Checkpoint.of("curfew.example/log", MerkleTreeVectorsTest.referenceTree());
    assertThat(c.treeSize()).isEqualTo(8);
    assertThat(c.rootHash()).isEqualTo(ROOT8);
  }

  @Test
  void rootHash_isCopiedInAndOut() {
    byte[] root = ROOT8.clone();
    Checkpoint c = new Checkpoint("o", 8, root);
    root[0] ^= 1;
    c.rootHash()[1] ^= 1;
    assertThat(c.rootHash()).isEqualTo(ROOT8);
  }

  @Test
  void parse_malformedBodies_areRefusedNamingTheLine() {
    assertThatThrownBy(() -> Checkpoint.parse("o\n8\n" + ROOT8_BASE64)).hasMessageContaining("newline");
    assertThatThrownBy(() -> Checkpoint.parse("o\n8\n")).hasMessageContaining("2 lines");
    assertThatThrownBy(() -> Checkpoint.parse("o\n08\n" + ROOT8_BASE64 + "\n")).hasMessageContaining("leading zeros");
    assertThatThrownBy(() -> Checkpoint.parse("o\n-8\n" + ROOT8_BASE64 + "\n")).hasMessageContaining("tree size");
    assertThatThrownBy(() -> Checkpoint.parse("o\n+8\n" + ROOT8_BASE64 + "\n")).hasMessageContaining("tree size");
    assertThatThrownBy(() -> Checkpoint.parse("o\n99999999999999999999\n" + ROOT8_BASE64 + "\n"))
        .hasMessageContaining("tree size");
    assertThatThrownBy(() -> Checkpoint.parse("o\n8\nAAAA\n")).hasMessageContaining("root hash");
    assertThatThrownBy(() -> Checkpoint.parse("o\n8\n" + ROOT8_BASE64.replace("=", "") + "\n"))
        .hasMessageContaining("root hash");
    assertThatThrownBy(() -> Checkpoint.parse("\n8\n" + ROOT8_BASE64 + "\n")).hasMessageContaining("origin");
    assertThatThrownBy(() -> Checkpoint.parse("o\n8\n" + ROOT8_BASE64 + "\next\n")).hasMessageContaining("extension");
  }
}
