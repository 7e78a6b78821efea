package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.HashStore;
import dev.curfew.core.audit.MerkleTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** FileHashStore against InMemoryHashStore, across reopen, torn tails and refusals. */
class FileHashStoreTest {

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(ints = {FileHashStore.ALL_LEVELS, 2, FileHashStore.DEFAULT_LEVEL_STRIDE})
  void proofs_sameAsInMemoryStore_forRandomSizes(int stride) {
    Random random = new Random(stride);
    try (FileHashStore store = FileHashStore.open(dir, stride)) {
      MerkleTree onDisk = MerkleTree.open(store);
      MerkleTree inMemory = MerkleTree.inMemory();
      for (int round = 0; round < 12; round++) {
        appendSame(random, 1 + random.nextInt(round < 6 ? 40 : 3000), onDisk, inMemory);
        if (random.nextBoolean()) {
          store.flush();
        }
        assertSameProofs(random, onDisk, inMemory);
        onDisk.checkInvariants();
      }
    }
  }

  @Test
  void reopen_afterClose_continuesTheSameTree() {
    Random random = new Random(3);
    MerkleTree inMemory = MerkleTree.inMemory();
    try (FileHashStore store = FileHashStore.open(dir)) {
      appendSame(random, 5000, MerkleTree.open(store), inMemory);
    }
    try (FileHashStore store = FileHashStore.open(dir)) {
      MerkleTree reopened = MerkleTree.open(store);
      reopened.checkInvariants();
      assertThat(reopened.size()).isEqualTo(5000);
      assertThat(reopened.rootHash()).isEqualTo(inMemory.rootHash());
      appendSame(random, 777, reopened, inMemory);
      assertSameProofs(random, reopened, inMemory);
    }
  }

  @Test
  void open_tornFinalEntry_isCut() throws IOException {
    MerkleTree inMemory = MerkleTree.inMemory();
    try (FileHashStore store = FileHashStore.open(dir)) {
      appendSame(new Random(4), 100, MerkleTree.open(store), inMemory);
    }
    Files.write(dir.resolve("level-0.bin"), new byte[17], StandardOpenOption.APPEND); // a crash mid-append
    try (FileHashStore store = FileHashStore.open(dir)) {
      assertThat(Files.size(dir.resolve("level-0.bin"))).isEqualTo(100 * 32);
      MerkleTree tree = MerkleTree.open(store);
      assertThat(tree.size()).isEqualTo(100);
      assertThat(tree.rootHash()).isEqualTo(inMemory.rootHash());
    }
  }

  @Test
  void open_upperLevelsShort_areRepairedByTheTree() throws IOException {
    MerkleTree inMemory = MerkleTree.inMemory();
    try (FileHashStore store = FileHashStore.open(dir)) {
      appendSame(new Random(5), 1000, MerkleTree.open(store), inMemory);
    }
    try (var channel = java.nio.channels.FileChannel.open(dir.resolve("level-4.bin"), StandardOpenOption.WRITE)) {
      channel.truncate(10 * 32); // leaves written, upper nodes lost in the crash
    }
    try (FileHashStore store = FileHashStore.open(dir)) {
      MerkleTree tree = MerkleTree.open(store);
      tree.checkInvariants();
      assertThat(store.size(4)).isEqualTo(1000 >> 4);
      assertThat(tree.rootHash()).isEqualTo(inMemory.rootHash());
    }
  }

  @Test
  void open_levelAheadOfLeaves_refused() throws IOException {
    try (FileHashStore store = FileHashStore.open(dir)) {
      appendSame(new Random(6), 64, MerkleTree.open(store), MerkleTree.inMemory());
    }
    Files.write(dir.resolve("level-4.bin"), new byte[32], StandardOpenOption.APPEND);
    assertThatThrownBy(() -> FileHashStore.open(dir)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("level 4 holds 5 nodes, more than its 64 leaves allow (4)");
  }

  @Test
  void open_levelFileOfAnotherStride_refused() {
    try (FileHashStore store = FileHashStore.open(dir, FileHashStore.ALL_LEVELS)) {
      appendSame(new Random(7), 8, MerkleTree.open(store), MerkleTree.inMemory());
    }
    assertThatThrownBy(() -> FileHashStore.open(dir, 4)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("another stride");
  }

  @Test
  void open_twice_secondRefused() {
    try (FileHashStore store = FileHashStore.open(dir)) {
      assertThatThrownBy(() -> FileHashStore.open(dir)).isInstanceOf(RuntimeException.class);
    }
  }

  @Test
  void files_areMode0600() throws IOException {
    Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Path sub = dir.resolve("hashes");
    try (FileHashStore store = FileHashStore.open(sub)) {
      appendSame(new Random(8), 40, MerkleTree.open(store), MerkleTree.inMemory());
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sub))).isEqualTo("rwx------");
    for (String name : new String[] {"level-0.bin", "level-4.bin"}) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sub.resolve(name)))).isEqualTo("rw-------");
    }
  }

  @Test
  void read_seesUnflushedAppends_andFlushWritesThem() throws IOException {
    try (FileHashStore store = FileHashStore.open(dir)) {
      byte[] hash = new byte[32];
      hash[0] = 42;
      store.append(0, hash);
      assertThat(store.read(0, 0)).isEqualTo(hash);
      assertThat(Files.size(dir.resolve("level-0.bin"))).isZero();
      store.flush();
      assertThat(Files.size(dir.resolve("level-0.bin"))).isEqualTo(32);
      assertThat(store.read(0, 0)).isEqualTo(hash);
    }
  }

  /**
   * Opt-in (-Dcurfew.test.big=true): a 10 M-leaf tree on disk; prints the time of inclusion
   * proofs after reopening (page cache warm: the files were just written).
   */
  @ParameterizedTest
  @ValueSource(ints = {FileHashStore.ALL_LEVELS, FileHashStore.DEFAULT_LEVEL_STRIDE})
  void inclusionProof_in10MLeafTree_timed(int stride) {
    Assumptions.assumeTrue(Boolean.getBoolean("curfew.test.big"), "set -Dcurfew.test.big=true");
    long leaves = 10_000_000;
    long start = System.nanoTime();
    try (FileHashStore store = FileHashStore.open(dir, stride)) {
      MerkleTree tree = MerkleTree.open(store);
      ByteBuffer leaf = ByteBuffer.allocate(8);
      for (long i = 0; i < leaves; i++) {
        tree.append(leaf.clear().putLong(i).array());
      }
    }
    long buildNanos = System.nanoTime() - start;
    try (FileHashStore store = FileHashStore.open(dir, stride)) {
      MerkleTree tree = MerkleTree.open(store);
      Random random = new Random(9);
      long worstNanos = 0;
      long totalNanos = 0;
      int proofs = 200;
      for (int i = 0; i < proofs; i++) {
        long index = (long) (random.nextDouble() * leaves);
        long t0 = System.nanoTime();
        var proof = tree.inclusionProof(index, leaves);
        long nanos = System.nanoTime() - t0;
        worstNanos = Math.max(worstNanos, nanos);
        totalNanos += nanos;
        assertThat(dev.curfew.core.audit.MerkleProofs.verifyInclusion(tree.leafHashAt(index), index, leaves, proof,
            tree.rootHash())).isTrue();
      }
      long bytes = 0;
      for (int level = 0; level <= HashStore.MAX_LEVEL; level++) {
        bytes += store.size(level) * 32;
      }
      System.out.printf("FileHashStore stride %d, %,d leaves: build %.1f s, %,d bytes on disk,"
              + " inclusion proof mean %.3f ms, worst %.3f ms (%d proofs, page cache warm)%n",
          stride, leaves, buildNanos / 1e9, bytes, totalNanos / 1e6 / proofs, worstNanos / 1e6, proofs);
      assertThat(worstNanos).isLessThan(50_000_000L);
    }
  }

  // ---- helpers ----

  static void appendSame(Random random, int count, MerkleTree a, MerkleTree b) {
    for (int i = 0; i < count; i++) {
      byte[] leaf = new byte[1 + random.nextInt(16)];
      random.nextBytes(leaf);
      assertThat(a.append(leaf)).isEqualTo(b.append(leaf));
    }
  }

  static void assertSameProofs(Random random, MerkleTree onDisk, MerkleTree inMemory) {
    long size = inMemory.size();
    assertThat(onDisk.size()).isEqualTo(size);
    assertThat(onDisk.rootHash()).isEqualTo(inMemory.rootHash());
    for (int i = 0; i < 20; i++) {
      long treeSize = 1 + (long) (random.nextDouble() * size);
      long index = (long) (random.nextDouble() * treeSize);
      long older = (long) (random.nextDouble() * (treeSize + 1));
      assertThat(onDisk.rootHash(treeSize)).isEqualTo(inMemory.rootHash(treeSize));
      assertThat(onDisk.inclusionProof(index, treeSize)).containsExactlyElementsOf(inMemory.inclusionProof(index, treeSize));
      assertThat(onDisk.consistencyProof(older, treeSize)).containsExactlyElementsOf(inMemory.consistencyProof(older, treeSize));
    }
  }

}
