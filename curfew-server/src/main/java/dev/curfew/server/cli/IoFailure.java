package dev.curfew.server.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * What went wrong reading or writing a file, in words, for a one-line error that names the file
 * itself ("cannot read FILE: no such file"). The java.nio exceptions carry the path as their message
 * and the reason in their type, so their message alone said only the path again.
 */
public final class IoFailure {
  private IoFailure() {}

  /** The failure, without the path of a {@link FileSystemException}. */
  public static String describe(IOException e) {
    if (e instanceof NoSuchFileException) return "no such file";
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof NotDirectoryException) return "not a directory";
    if (e instanceof java.nio.file.FileAlreadyExistsException) return "already exists";
    if (e instanceof FileSystemException fs && fs.getReason() != null) return fs.getReason();
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
