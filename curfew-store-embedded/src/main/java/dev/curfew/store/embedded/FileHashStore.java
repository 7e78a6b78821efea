package dev.curfew.store.embedded;

import dev.curfew.core.audit.HashStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/*
 * The Merkle tree's hashes on disk: one append-only file per kept level, level-<n>.bin, holding
 * node (n, i) at byte offset 32 * i (see HashStore for the addressing, RFC 6962 §2.1 for the tree).
 *
 * Which levels. Level 0 (the leaf hashes) and every `levelStride`-th level above it are kept. A
 * level that is not kept is recomputed by MerkleTree from the kept level below: node (L, i) with
 * L = k * stride + r costs 2^r reads. With stride 4 a node costs at most 8 reads, an inclusion
 * proof in a 10 M-leaf tree (24 levels) a few hundred positional reads, and the store takes
 * 32 * n * (1 + 1/16 + 1/256 ...) ~ 34 bytes per leaf instead of ~64 with every level.
 *
 * Writes. Appends go to one buffer per level and reach the file on flush(), on force(), or when a
 * buffer fills (then every level is written, lowest first, so that a file never holds a node whose
 * leaves are still only in memory). Reads see buffered appends. force() writes and fsyncs level 0
 * before it writes the upper levels, then fsyncs those: after a power loss the upper levels are
 * never ahead of the leaves they were computed from, for everything that was forced. (Data that
 * was only flush()ed survives a process crash; a power loss may persist it in any order, and a
 * level then found ahead of the leaves is refused as the HashStore contract requires: the store
 * is derived from the log and can be rebuilt.)
 *
 * Opening. A file whose length is not a multiple of 32 ends in a torn entry from a crash: the
 * partial entry is cut. A level holding more nodes than size(0) >> level allows is refused, as is
 * a level file this stride does not keep. Files are created 0600 in a directory created 0700, and
 * level 0 is locked (FileChannel.tryLock) for the store's lifetime: one writer per directory.
 */

/**
 * A file-backed, append-only {@link HashStore}: one file per kept level in a directory. Not
 * thread-safe ({@link dev.curfew.core.audit.MerkleTree} serializes access). Close it to release
 * the lock; closing forces.
 */
public final class FileHashStore implements HashStore, Closeable {

  /** Stride that keeps every level. */
  public static final int ALL_LEVELS = 1;
  /** The default stride: level 0 and every 4th level. */
  public static final int DEFAULT_LEVEL_STRIDE = 4;
  /** Entries buffered per level before the buffers are written (64 KiB of level 0). */
  static final int BUFFER_ENTRIES = 2048;

  private static final Pattern LEVEL_FILE = Pattern.compile("level-(\\d+)\\.bin");
  private static final FileAttribute<?>[] FILE_MODE_0600 = {
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
  private static final FileAttribute<?>[] DIR_MODE_0700 = {
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))};

  private final Path directory;
  private final int levelStride;
  private final Level[] levels = new Level[MAX_LEVEL + 1];
  private final ByteBuffer readBuffer = ByteBuffer.allocate(HASH_BYTES);
  private FileLock lock;
  private boolean closed;

  private FileHashStore(Path directory, int levelStride) {
    this.directory = directory;
    this.levelStride = levelStride;
  }

  /** Opens (creating if needed) the store in {@code directory}, keeping every 4th level. */
  public static FileHashStore open(Path directory) {
    return open(directory, DEFAULT_LEVEL_STRIDE);
  }

  /**
   * Opens (creating if needed) the store in {@code directory}, keeping level 0 and every
   * {@code levelStride}-th level ({@link #ALL_LEVELS} keeps all).
   *
   * @throws IllegalStateException if the files do not fit together (a level ahead of the leaves,
   *     a level file this stride does not keep) or another store holds the directory
   * @throws UncheckedIOException on I/O failure
   */
  public static FileHashStore open(Path directory, int levelStride) {
    Objects.requireNonNull(directory, "directory");
    if (levelStride < 1 || levelStride > MAX_LEVEL) {
      throw new IllegalArgumentException("levelStride not in 1.." + MAX_LEVEL + ": " + levelStride);
    }
    FileHashStore store = new FileHashStore(directory, levelStride);
    try {
      store.openFiles();
      return store;
    } catch (IOException e) {
      store.closeQuietly();
      throw new UncheckedIOException("cannot open hash store in " + directory, e);
    } catch (RuntimeException e) {
      store.closeQuietly();
      throw e;
    }
  }

  private void openFiles() throws IOException {
    createDirectory(directory);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "level-*.bin")) {
      for (Path file : files) {
        Matcher m = LEVEL_FILE.matcher(file.getFileName().toString());
        int level = m.matches() && m.group(1).length() <= 2 ? Integer.parseInt(m.group(1)) : -1;
        if (!keeps(level)) {
          throw new IllegalStateException(file + " is not a level this store keeps (stride " + levelStride
              + "): the directory was written with another stride");
        }
        levels[level] = Level.open(file, false);
      }
    }
    if (levels[0] == null) {
      levels[0] = Level.open(directory.resolve("level-0.bin"), true);
    }
    lock = levels[0].channel.tryLock();
    if (lock == null) {
      throw new IllegalStateException("another process holds the hash store in " + directory);
    }
    for (int level = 1; level <= MAX_LEVEL; level++) {
      if (levels[level] != null && levels[level].size > levels[0].size >>> level) {
        throw new IllegalStateException("level " + level + " holds " + levels[level].size
            + " nodes, more than its " + levels[0].size + " leaves allow (" + (levels[0].size >>> level) + ")");
      }
    }
  }

  /** The directory holding the level files. */
  public Path directory() {
    return directory;
  }

  /** The stride of kept levels. */
  public int levelStride() {
    return levelStride;
  }

  @Override
  public boolean keeps(int level) {
    return level >= 0 && level <= MAX_LEVEL && level % levelStride == 0;
  }

  @Override
  public long size(int level) {
    return keeps(level) && levels[level] != null ? levels[level].size : 0;
  }

  @Override
  public byte[] read(int level, long index) {
    ensureOpen();
    Level l = keeps(level) ? levels[level] : null;
    if (l == null || index < 0 || index >= l.size) {
      throw new IndexOutOfBoundsException("node (" + level + ", " + index + ") not stored: level size " + size(level));
    }
    byte[] hash = new byte[HASH_BYTES];
    if (index >= l.written) { // still in the write buffer
      l.buffer.get((int) ((index - l.written) * HASH_BYTES), hash);
      return hash;
    }
    readBuffer.clear();
    try {
      long position = index * HASH_BYTES;
      while (readBuffer.hasRemaining()) {
        if (l.channel.read(readBuffer, position + readBuffer.position()) < 0) {
          throw new IOException("unexpected end of " + l.file + " at node " + index);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read node (" + level + ", " + index + ")", e);
    }
    readBuffer.flip().get(hash);
    return hash;
  }

  @Override
  public void append(int level, byte[] hash) {
    ensureOpen();
    if (!keeps(level)) {
      throw new IndexOutOfBoundsException("level " + level + " is not kept (stride " + levelStride + ")");
    }
    if (hash.length != HASH_BYTES) {
      throw new IllegalArgumentException("hash length != " + HASH_BYTES + ": " + hash.length);
    }
    try {
      if (levels[level] == null) {
        levels[level] = Level.open(directory.resolve("level-" + level + ".bin"), true);
      }
      Level l = levels[level];
      if (!l.buffer.hasRemaining()) {
        writeAll(); // all levels, lowest first: no file gets ahead of the leaves
      }
      l.buffer.put(hash);
      l.size++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to level " + level, e);
    }
  }

  /** Writes buffered appends to the files (survives a process crash, not a power loss). */
  public void flush() {
    ensureOpen();
    try {
      writeAll();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot flush hash store in " + directory, e);
    }
  }

  /** Writes and fsyncs: level 0 first, then the upper levels (survives a power loss). */
  public void force() {
    ensureOpen();
    try {
      levels[0].write();
      levels[0].channel.force(false);
      for (int level = 1; level <= MAX_LEVEL; level++) {
        if (levels[level] != null) {
          levels[level].write();
        }
      }
      for (int level = 1; level <= MAX_LEVEL; level++) {
        if (levels[level] != null) {
          levels[level].channel.force(false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot force hash store in " + directory, e);
    }
  }

  /** Forces, releases the lock and closes the files. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      force();
    } finally {
      closeQuietly();
    }
  }

  /**
   * Closes the files without writing what is buffered: for a store whose state in memory can no
   * longer be trusted after a failed write. Reopen the directory to go on from what is on disk.
   */
  public void abandon() {
    closeQuietly();
  }

  private void writeAll() throws IOException {
    for (Level l : levels) {
      if (l != null) {
        l.write();
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("hash store in " + directory + " is closed");
    }
  }

  private void closeQuietly() {
    closed = true;
    for (Level l : levels) {
      if (l != null) {
        try {
          l.channel.close(); // also releases the lock
        } catch (IOException ignored) {
          // closing after a failure: the first failure is the one reported
        }
      }
    }
  }

  private static void createDirectory(Path directory) throws IOException {
    if (Files.isDirectory(directory)) {
      return;
    }
    try {
      Files.createDirectories(directory, posix(directory.getParent()) ? DIR_MODE_0700 : new FileAttribute<?>[0]);
    } catch (FileAlreadyExistsException e) {
      // created concurrently: fine if it is a directory
      if (!Files.isDirectory(directory)) {
        throw e;
      }
    }
  }

  private static boolean posix(Path somewhere) {
    Path p = somewhere == null ? Path.of(".").toAbsolutePath() : somewhere;
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    try {
      return p != null && Files.getFileStore(p).supportsFileAttributeView("posix");
    } catch (IOException e) {
      return false;
    }
  }

  /** One level file: its channel, entries on disk ({@code written}), and the write buffer. */
  private static final class Level {
    final Path file;
    final FileChannel channel;
    final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_ENTRIES * HASH_BYTES);
    long written; // entries in the file
    long size; // entries in the file and the buffer

    private Level(Path file, FileChannel channel, long written) {
      this.file = file;
      this.channel = channel;
      this.written = written;
      this.size = written;
    }

    static Level open(Path file, boolean create) throws IOException {
      if (create && !Files.exists(file)) {
        Files.createFile(file, posix(file.getParent()) ? FILE_MODE_0600 : new FileAttribute<?>[0]);
      }
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      long length = channel.size();
      if (length % HASH_BYTES != 0) { // a torn final entry from a crash
        channel.truncate(length - length % HASH_BYTES);
        channel.force(false);
      }
      return new Level(file, channel, channel.size() / HASH_BYTES);
    }

    /**
     * Writes the buffer at its place in the file. It writes from a view, so a write that fails
     * part way (a full disk) leaves the buffer whole, and the next call writes the same bytes at
     * the same offsets again.
     */
    void write() throws IOException {
      ByteBuffer out = buffer.duplicate().flip();
      long position = written * HASH_BYTES;
      while (out.hasRemaining()) {
        position += channel.write(out, position);
      }
      written = size;
      buffer.clear();
    }
  }
}
