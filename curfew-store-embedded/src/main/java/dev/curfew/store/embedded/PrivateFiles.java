package dev.curfew.store.embedded;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/**
 * Files of the data directory are private to the server's user: directories 0700, files 0600,
 * set at creation (no window in which a file is readable by others). The snapshot and the token
 * journal hold token hashes; audit segments are not secret, but nobody else should write them
 * either. On a file system without POSIX permissions (Windows) the attributes are skipped.
 */
final class PrivateFiles {
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  private static final FileAttribute<?>[] DIR_0700 = POSIX
      ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
      : new FileAttribute<?>[0];
  private static final FileAttribute<?>[] FILE_0600 = POSIX
      ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
      : new FileAttribute<?>[0];

  private PrivateFiles() {}

  /** Creates {@code dir} and missing parents with mode 0700; an existing directory is left as it is. */
  static void createDirectories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, DIR_0700);
    }
  }

  /** Opens {@code file} for appending, creating it with mode 0600 if it does not exist. */
  static FileChannel openAppend(Path file) throws IOException {
    return FileChannel.open(file,
        EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND), FILE_0600);
  }

  /** Creates (or truncates) {@code file} for writing, mode 0600 when created. */
  static FileChannel createTruncate(Path file) throws IOException {
    return FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING), FILE_0600);
  }

  /**
   * Makes the directory entries of {@code dir} durable (a created, renamed or deleted file),
   * the step that fsync of the file itself does not cover.
   */
  static void forceDirectory(Path dir) throws IOException {
    if (!POSIX) return; // Windows cannot open a directory as a channel; NTFS journals entries
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
