package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CheckpointerTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final NoteSigner signer = NoteSigner.generate("curfew/node-a");
  private final Checkpointer rule = new Checkpointer(signer, clock, Duration.ofSeconds(1));

  private static MerkleTree tree(int leaves) {
    MerkleTree t = MerkleTree.inMemory();
    for (int i = 0; i < leaves; i++) t.append(("record " + i).getBytes(StandardCharsets.UTF_8));
    return t;
  }

  @Test
  void dueWhenTheTreeGrewAndTheIntervalPassedOrOneIsAsked_neverOverAnEmptyTreeOrTwiceAtOneSize() {
    assertThat(rule.due(0, true)).as("an empty tree").isFalse();
    assertThat(rule.due(3, false)).as("the first checkpoint").isTrue();
    Checkpointer.Signed first = rule.sign(tree(3));
    rule.published(first);
    assertThat(rule.latestSize()).isEqualTo(3);
    assertThat(rule.due(3, true)).as("the same size").isFalse();
    assertThat(rule.due(5, false)).as("within the interval").isFalse();
    assertThat(rule.due(5, true)).as("asked for").isTrue();
    clock.advanceMillis(1000);
    assertThat(rule.due(5, false)).as("the interval passed").isTrue();
    Checkpoint cp = Checkpoint.parse(signer.verifier().verify(first.note()).textOrThrow());
    assertThat(cp.treeSize()).isEqualTo(3);
    assertThat(cp.rootHash()).isEqualTo(tree(3).rootHash());
  }

  @Test
  void cosignaturesReplaceTheLatestNoteOnlyWhileItIsStillThatCheckpoint() {
    rule.opened(rule.sign(tree(2)));
    assertThat(rule.lacksCosignatures(Witnesses.NONE)).isFalse();
    assertThat(rule.cosigned(2, "note with a cosignature")).isTrue();
    assertThat(rule.latestNote()).isEqualTo("note with a cosignature");
    rule.published(rule.sign(tree(4)));
    assertThat(rule.cosigned(2, "late cosignature of size 2")).isFalse();
    assertThat(rule.latestSize()).isEqualTo(4);
    assertThat(rule.latestNote()).doesNotContain("late");
  }
}
