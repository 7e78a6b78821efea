package dev.curfew.core.fs;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small file system of its own (tmpfs, {@code mount -t tmpfs -o size=...}) that a test can fill
 * to the last byte: the real ENOSPC, not a simulated one. Mounting needs root (the CI machine
 * runs tests as root). Where it cannot mount, the test fails in CI ({@code CI=true}: the check
 * must run there) and is skipped with a message elsewhere. Close unmounts.
 */
public final class SmallTmpfs implements AutoCloseable {
  private final Path dir;
  private final Path filler;

  private SmallTmpfs(Path dir) {
    this.dir = dir;
    this.filler = dir.resolve("filler");
  }

  /** Mounts a tmpfs of {@code sizeBytes} on a new directory under {@code parent}. */
  public static SmallTmpfs mount(Path parent, long sizeBytes) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(parent, "tmpfs-");
    String error = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes, "tmpfs", dir.toString()));
    if (error != null) {
      String why = "cannot mount a tmpfs on " + dir + " (needs root): " + error;
      if ("true".equals(System.getenv("CI"))) fail(why);
      Assumptions.abort(why + "; skipped outside CI");
    }
    return new SmallTmpfs(dir);
  }

  /** The mounted directory. */
  public Path dir() {
    return dir;
  }

  /** Usable bytes left. */
  public long freeBytes() throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  /** Fills the file system until a write fails with ENOSPC (a file {@code filler} holds it). */
  public void fill() throws IOException {
    byte[] chunk = new byte[4096];
    try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND)) {
      while (true) {
        out.write(chunk);
        out.flush();
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) throw full;
    }
    // a last few bytes that a page-sized chunk did not fit into
    try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
      while (true) {
        out.write(0);
        out.flush();
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) throw full;
    }
  }

  /** Frees what {@link #fill} took. */
  public void free() throws IOException {
    Files.deleteIfExists(filler);
  }

  /** Unmounts (lazily if something still holds a file open) and removes the directory. */
  @Override
  public void close() throws IOException, InterruptedException {
    String error = run(List.of("umount", dir.toString()));
    if (error != null) run(List.of("umount", "-l", dir.toString()));
    Files.deleteIfExists(dir);
  }

  /** Runs a command; null when it exits 0, else its output. */
  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out";
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }
}
