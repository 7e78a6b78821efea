package dev.curfew.server.oidc;

import dev.curfew.core.Clock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@link SeenLogoutTokens} of one node that survives a restart: each first sighting is appended to
 * a file in the data directory and forced to disk before the logout is carried out, so a token
 * replayed after a restart (inside its {@code iat} window) is still refused. One line per entry,
 * {@code <forget-at-ms> <key, base64url>}; the last line of a key wins ({@link #forget} appends an
 * entry already forgotten). Expired entries are dropped when the file is read, and the file is
 * rewritten (to a temporary file, then renamed) when most of its lines are dead. A line cut short
 * by a crash is ignored: its sighting was never acknowledged.
 *
 * <p>Disk work runs on one thread of its own, never on the caller's (an event loop).
 */
final class FileSeenLogoutTokens implements SeenLogoutTokens, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FileSeenLogoutTokens.class.getName());

  private final Path file;
  private final Clock clock;
  private final Map<String, Long> seen = new HashMap<>(); // touched on the writer thread only
  private final ExecutorService writer;
  private FileChannel channel;
  private long lines;
  private int appendsSinceCheck;

  FileSeenLogoutTokens(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "curfew-logout-tokens");
      t.setDaemon(true);
      return t;
    });
    try {
      load();
      rewrite();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the logout tokens already seen, " + file, e);
    }
  }

  @Override
  public CompletableFuture<Boolean> firstSighting(String key, long forgetAtMs) {
    return CompletableFuture.supplyAsync(() -> {
      long now = clock.millis();
      Long old = seen.get(key);
      if (old != null && old > now) return false;
      if (seen.size() >= MAX_REMEMBERED) seen.values().removeIf(t -> t <= now);
      if (seen.size() >= MAX_REMEMBERED) dropEarliest();
      seen.put(key, forgetAtMs); // before the append, which may rewrite the file from this map
      try {
        append(key, forgetAtMs);
      } catch (Unavailable e) {
        seen.remove(key);
        throw e;
      }
      return true;
    }, writer);
  }

  @Override
  public CompletableFuture<Void> forget(String key) {
    return CompletableFuture.runAsync(() -> {
      if (seen.remove(key) != null) append(key, 0);
    }, writer);
  }

  @Override
  public void close() {
    writer.shutdown();
    try {
      writer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
      if (channel != null) channel.close();
    } catch (IOException | InterruptedException e) {
      LOG.log(System.Logger.Level.WARNING, "closing " + file + ": " + e);
    }
  }

  private void dropEarliest() {
    seen.entrySet().stream().min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).ifPresent(seen::remove);
  }

  private void append(String key, long forgetAtMs) {
    try {
      String line = forgetAtMs + " " + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\n";
      ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) channel.write(b);
      channel.force(false);
      lines++;
      if (++appendsSinceCheck >= 1024) { // now and then: drop what has expired; rewrite when most lines are dead
        appendsSinceCheck = 0;
        long now = clock.millis();
        seen.values().removeIf(t -> t <= now);
        if (lines > 2L * (seen.size() + 1)) rewrite();
      }
    } catch (IOException e) {
      // Not remembered durably: refuse to act on the token rather than risk a replay after a restart.
      throw new Unavailable("cannot record a logout token in " + file + ": " + e.getMessage(), e);
    }
  }

  private void load() throws IOException {
    if (!Files.exists(file)) return;
    long now = clock.millis();
    for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      int space = line.indexOf(' ');
      if (space <= 0) continue;
      try {
        long forgetAt = Long.parseLong(line.substring(0, space));
        String key = new String(Base64.getUrlDecoder().decode(line.substring(space + 1)), StandardCharsets.UTF_8);
        if (forgetAt > now) seen.put(key, forgetAt);
        else seen.remove(key);
      } catch (IllegalArgumentException cutShort) {
        // the tail of a write a crash interrupted: never acknowledged
      }
    }
  }

  /** Writes the live entries to a new file and renames it over the old one. */
  private void rewrite() throws IOException {
    long now = clock.millis();
    seen.values().removeIf(t -> t <= now);
    if (channel != null) channel.close();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    StringBuilder all = new StringBuilder();
    seen.forEach((k, t) -> all.append(t).append(' ').append(Base64.getUrlEncoder().withoutPadding()
        .encodeToString(k.getBytes(StandardCharsets.UTF_8))).append('\n'));
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(all.toString().getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) out.write(b);
      out.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    lines = seen.size();
  }
}
