package dev.curfew.store.embedded;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The exclusive hold of one process on a data directory: an OS file lock ({@link FileChannel#tryLock})
 * on {@code curfew.lock} in it, taken before anything else in the directory is written. Two writers
 * on one audit log interleave their records under the same seq numbers and sign two different trees
 * of one size, after which no start succeeds (issue 12, item 3). The lock file holds who took it
 * (pid, start time, command, and the ports once listening) so that a refused start can say who to
 * stop. The OS drops the lock when the process dies, even by SIGKILL: a stale file never blocks.
 */
public final class DataDirLock implements AutoCloseable {
  public static final String FILE_NAME = "curfew.lock";

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private final Map<String, String> holder = new LinkedHashMap<>();

  /** The directory is held by another process (or another holder in this one); {@link #holder} says who. */
  public static final class HeldException extends IllegalStateException {
    private final transient Map<String, String> holder;

    HeldException(Path dir, Map<String, String> holder) {
      super("the data directory " + dir.toAbsolutePath() + " is in use by another curfew process ("
          + describe(holder) + "); stop it first, or give this one another --data");
      this.holder = Map.copyOf(holder);
    }

    public Map<String, String> holder() {
      return holder;
    }
  }

  private DataDirLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock on {@code dataDir} (creating the directory, 0700, if needed) for {@code command};
   * throws {@link HeldException} naming the holder when another process has it.
   */
  public static DataDirLock acquire(Path dataDir, String command) throws IOException {
    Objects.requireNonNull(command, "command");
    PrivateFiles.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException sameProcess) {
      l = null;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (l == null) {
      Map<String, String> holder = read(ch);
      ch.close();
      throw new HeldException(dataDir, holder);
    }
    DataDirLock d = new DataDirLock(file, ch, l);
    ProcessHandle self = ProcessHandle.current();
    d.holder.put("pid", Long.toString(self.pid()));
    d.holder.put("started_at", self.info().startInstant().orElse(Instant.now()).toString());
    d.holder.put("command", command);
    d.write();
    return d;
  }

  /** Adds what a holder learns after start (a port), for the next refused start to show. */
  public synchronized void note(String key, String value) throws IOException {
    holder.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    write();
  }

  private synchronized void write() throws IOException {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : holder.entrySet()) b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8)), 0);
    channel.force(false);
  }

  private static Map<String, String> read(FileChannel ch) {
    Map<String, String> m = new LinkedHashMap<>();
    try {
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
      ch.read(buf, 0);
      for (String line : new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) m.put(line.substring(0, eq), line.substring(eq + 1).strip());
      }
    } catch (IOException e) {
      m.put("unreadable", e.getMessage());
    }
    return m;
  }

  static String describe(Map<String, String> holder) {
    if (holder.isEmpty()) return "holder not yet recorded";
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : holder.entrySet()) {
      if (b.length() > 0) b.append(", ");
      b.append(e.getKey().replace('_', ' ')).append(' ').append(e.getValue());
    }
    return b.toString();
  }

  public Path file() {
    return file;
  }

  /** Releases the lock; the file stays (removing it could race with a process that just opened it). */
  @Override
  public synchronized void close() throws IOException {
    try {
      if (lock.isValid()) lock.release();
    } finally {
      channel.close();
    }
  }
}
