package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.MerkleTree;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The writer's two-phase tree: batches of leaves are committed or, when PostgreSQL failed them,
 * discarded and the tree reopened over the committed state. After every step the tree must equal
 * an in-memory RFC 6962 tree of the committed leaves (plus the pending ones), check its own
 * invariants, and never have needed a database read (the store here has none: a read that is not
 * served from the pending hashes or the last committed ones fails).
 */
class PgHashStorePropertiesTest {

  /** One step: append {@code leaves} leaves, then commit them or fail and reopen. */
  record Step(int leaves, boolean commit) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Step> step = net.jqwik.api.Combinators.combine(
        Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(1, 40)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(41, 700))),
        Arbitraries.of(true, true, true, false)).as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 200, seed = "20261128")
  void committedOrDiscardedBatchesKeepTheTreeOfTheCommittedLeaves(@ForAll("steps") List<Step> steps) {
    PgHashStore store = PgHashStore.detached();
    MerkleTree tree = MerkleTree.open(store);
    MerkleTree reference = MerkleTree.inMemory();
    long leaf = 0;
    for (Step step : steps) {
      long before = tree.size();
      for (int i = 0; i < step.leaves(); i++) {
        tree.appendLeafHash(MerkleTree.leafHash(("leaf " + (leaf + i)).getBytes(StandardCharsets.UTF_8)));
      }
      assertThat(store.pendingLeaves()).hasSize(step.leaves());
      if (step.commit()) {
        store.commit();
        for (int i = 0; i < step.leaves(); i++) reference.append(("leaf " + (leaf + i)).getBytes(StandardCharsets.UTF_8));
        leaf += step.leaves();
      } else {
        store.discard();
        tree = MerkleTree.open(store); // what the writer does after a failed commit
        assertThat(tree.size()).isEqualTo(before);
      }
      tree.checkInvariants();
      assertThat(tree.size()).isEqualTo(reference.size());
      assertThat(tree.rootHash()).isEqualTo(reference.rootHash());
      assertThat(store.pendingLeaves()).isEmpty();
      assertThat(store.pendingInterior().hashes()).isEmpty();
      for (int level = PgHashStore.LEVEL_STRIDE; level <= 62; level += PgHashStore.LEVEL_STRIDE) {
        assertThat(store.size(level)).as("level %d", level).isEqualTo(reference.size() >>> level);
      }
    }
  }
}
