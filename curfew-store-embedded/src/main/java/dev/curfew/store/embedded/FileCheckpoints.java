package dev.curfew.store.embedded;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.Witnesses;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The checkpoints file of the audit log, audit/checkpoints.jsonl (the part of {@link AuditTrail}
 * that signs): one {@link CheckpointLine} per line, forced before it counts, its torn last line
 * cut at open. With witnesses, each new checkpoint is submitted to them before its line is
 * written, so that the line's note carries the cosignatures obtained; one offered again that
 * gains cosignatures is one more line of the same tree size. Thread-safe (one checkpoint at a
 * time).
 */
final class FileCheckpoints {
  /** What is to be signed next: null when the tree still has {@code lastSize} leaves. */
  @FunctionalInterface
  interface Source {
    Checkpoint next(long lastSize) throws IOException;
  }

  private final AuditFiles files;
  private final NoteSigner signer;
  private final Witnesses witnesses;
  private FileChannel file; // guarded by this; null once closed
  private volatile String lastNote;
  private volatile long lastSize = -1;

  private FileCheckpoints(AuditFiles files, NoteSigner signer, Witnesses witnesses) {
    this.files = files;
    this.signer = signer;
    this.witnesses = witnesses;
  }

  /** Opens the file (cutting a torn last line from a crash mid-write) and reads the latest checkpoint. */
  static FileCheckpoints open(AuditFiles files, NoteSigner signer, Witnesses witnesses) throws IOException {
    FileCheckpoints c = new FileCheckpoints(files, signer, witnesses);
    Path f = files.checkpointsFile();
    List<String> lines = files.checkpointLines(Long.MAX_VALUE);
    long complete = 0;
    for (String l : lines) complete += l.getBytes(StandardCharsets.UTF_8).length + 1L;
    synchronized (c) {
      c.file = PrivateFiles.openAppend(f);
      if (c.file.size() > complete) { // a torn last line from a crash mid-write
        c.file.truncate(complete);
        c.file.force(true);
      }
      PrivateFiles.forceDirectory(files.auditDir());
      if (!lines.isEmpty()) {
        CheckpointLine last = CheckpointLine.parse(lines.get(lines.size() - 1));
        c.lastNote = last.note();
        c.lastSize = last.treeSize();
      }
    }
    return c;
  }

  /** The latest checkpoint note, or null before the first. */
  String latestNote() {
    return lastNote;
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  long latestSize() {
    return lastSize;
  }

  /**
   * Signs what {@code source} gives (unless nothing is new), has the witnesses cosign it (their
   * own timeouts bound the wait; one that fails is left out, never blocks the log), writes and
   * forces its line; returns the latest checkpoint note.
   */
  synchronized String checkpoint(Source source, AuditProofs proofs) throws IOException {
    if (file == null) throw new IllegalStateException("audit trail is closed");
    Checkpoint cp = source.next(lastSize);
    if (cp == null) return lastNote;
    String note = witnesses.cosign(signer.sign(cp.body()), cp, proofs);
    writeLine(new CheckpointLine(cp.treeSize(), note));
    lastNote = note;
    lastSize = cp.treeSize();
    return note;
  }

  /** Whether the latest checkpoint lacks a witness's cosignature. */
  boolean lacksCosignatures() {
    String note = lastNote;
    return note != null && !witnesses.complete(note);
  }

  /**
   * Offers the latest checkpoint to the witnesses that have not cosigned it (one was down when it
   * was written, and no record came since); what they add is written as one more line of the same
   * tree size, which the verifier reads as the same checkpoint, now with more cosignatures.
   */
  synchronized void cosignLatestAgain(AuditProofs proofs) throws IOException {
    if (file == null || lastNote == null) return;
    String before = lastNote;
    Checkpoint cp = Checkpoint.parse(signer.verifier().verify(before).textOrThrow());
    String after = witnesses.cosign(before, cp, proofs);
    if (after.equals(before)) return;
    writeLine(new CheckpointLine(cp.treeSize(), after));
    lastNote = after;
  }

  /** Appends one line to the checkpoints file and forces it; under this. */
  private void writeLine(CheckpointLine cl) throws IOException {
    byte[] line = (cl.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
    long before = file.size();
    try {
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) file.write(b);
      file.force(false);
    } catch (IOException e) {
      // a line cut short by a full disk must not stay in front of the next one
      try {
        file.truncate(before);
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  synchronized void close() throws IOException {
    try {
      if (file != null) file.close();
    } finally {
      file = null;
    }
  }
}
