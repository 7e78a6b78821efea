package dev.curfew.core.audit;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A signed note split into its text and its signature lines (c2sp.org/signed-note: the last
 * {@code "\n\n"} separates them), without checking any signature: what a witness needs to find a
 * note's origin before it knows which key to check, and what adds cosignatures to a note.
 *
 * @param text the note text, final newline included
 * @param signatureLines the signature lines, each without its newline, in order
 */
public record SignedNote(String text, List<String> signatureLines) {

  public SignedNote {
    Objects.requireNonNull(text, "text");
    signatureLines = List.copyOf(signatureLines);
  }

  /**
   * Splits {@code note}.
   *
   * @throws IllegalArgumentException if it has no blank line, no signature, too many signatures, or
   *     a control character other than newline
   */
  public static SignedNote parse(String note) {
    Objects.requireNonNull(note, "note");
    if (note.length() > NoteVerifier.MAX_NOTE_CHARS) {
      throw new IllegalArgumentException("note longer than " + NoteVerifier.MAX_NOTE_CHARS + " chars");
    }
    for (int i = 0; i < note.length(); i++) {
      char c = note.charAt(i);
      if (c < 0x20 && c != '\n') throw new IllegalArgumentException("control character at offset " + i);
    }
    int split = note.lastIndexOf("\n\n");
    if (split < 0) throw new IllegalArgumentException("no blank line before the signatures");
    String signatures = note.substring(split + 2);
    if (signatures.isEmpty() || !signatures.endsWith("\n")) {
      throw new IllegalArgumentException("signature block is empty or does not end with a newline");
    }
    List<String> lines = Arrays.asList(signatures.substring(0, signatures.length() - 1).split("\n", -1));
    if (lines.size() > NoteVerifier.MAX_SIGNATURES) {
      throw new IllegalArgumentException("more than " + NoteVerifier.MAX_SIGNATURES + " signature lines");
    }
    return new SignedNote(note.substring(0, split + 1), lines);
  }

  /** The note's first line (a checkpoint's origin), without its newline. */
  public String firstLine() {
    int nl = text.indexOf('\n');
    return text.substring(0, nl);
  }

  /** The note with {@code moreLines} (each ending in a newline) added after its signatures. */
  public String withSignatures(List<String> moreLines) {
    StringBuilder sb = new StringBuilder(text).append('\n');
    for (String l : signatureLines) sb.append(l).append('\n');
    for (String l : moreLines) {
      if (!l.endsWith("\n") || l.indexOf('\n') != l.length() - 1) {
        throw new IllegalArgumentException("a signature line must be one line ending in a newline");
      }
      sb.append(l);
    }
    return sb.toString();
  }

  /** The note, as it was parsed. */
  public String note() {
    return withSignatures(List.of());
  }
}
