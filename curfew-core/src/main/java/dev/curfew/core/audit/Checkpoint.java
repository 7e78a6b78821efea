package dev.curfew.core.audit;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A tree head to sign: the C2SP tlog-checkpoint note text (https://c2sp.org/tlog-checkpoint),
 *
 * <pre>
 * &lt;origin&gt;\n          the log's identity, e.g. "curfew.example/node-1"
 * &lt;tree size&gt;\n       decimal, no leading zeros ("0" for the empty tree)
 * &lt;base64 root hash&gt;\n the RFC 6962 Merkle Tree Hash of the first tree-size records
 * </pre>
 *
 * Sign {@link #body()} with a {@link NoteSigner}; the key name should be the origin. We write no
 * extension lines and refuse them when parsing, since nothing here would check them.
 *
 * @param origin non-empty, without newline or control characters
 * @param treeSize number of leaves, {@code >= 0}
 * @param rootHash the 32-byte root hash (copied in and out)
 */
public record Checkpoint(String origin, long treeSize, byte[] rootHash) {

  public Checkpoint {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(rootHash, "rootHash");
    if (origin.isEmpty() || origin.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException("origin must be non-empty, without control characters: \""
          + origin.replace("\n", "\\n") + "\"");
    }
    if (treeSize < 0) {
      throw new IllegalArgumentException("treeSize < 0: " + treeSize);
    }
    if (rootHash.length != HashStore.HASH_BYTES) {
      throw new IllegalArgumentException("rootHash length != " + HashStore.HASH_BYTES + ": " + rootHash.length);
    }
    rootHash = rootHash.clone();
  }

  /** The checkpoint of {@code tree} as it is now. */
  public static Checkpoint of(String origin, MerkleTree tree) {
    synchronized (tree) { // size and root of one instant
      return new Checkpoint(origin, tree.size(), tree.rootHash());
    }
  }

  /**
   * Parses checkpoint note text (the verified text of a signed note).
   *
   * @throws IllegalArgumentException naming the line that is wrong
   */
  public static Checkpoint parse(String body) {
    Objects.requireNonNull(body, "body");
    if (!body.endsWith("\n")) {
      throw new IllegalArgumentException("checkpoint does not end with a newline");
    }
    String[] lines = body.substring(0, body.length() - 1).split("\n", -1);
    if (lines.length < 3) {
      throw new IllegalArgumentException("checkpoint has " + lines.length + " lines, want 3");
    }
    if (lines.length > 3) {
      throw new IllegalArgumentException("checkpoint has extension lines, which are not supported");
    }
    return new Checkpoint(lines[0], parseSize(lines[1]), parseRoot(lines[2]));
  }

  /**
   * Null when {@code signer}, the key whose signature on this checkpoint verified, is named as the
   * origin; else what is wrong. A log's key is named as its origin ({@code curfew/<node>},
   * docs/contract-changes.md), so a checkpoint of one origin signed by a key of another name is not
   * that log's checkpoint, whoever trusts the key.
   */
  public String originMismatch(NoteVerifier signer) {
    Objects.requireNonNull(signer, "signer");
    if (origin.equals(signer.name())) return null;
    return "its origin is " + origin + " but it is signed by the key named " + signer.name()
        + ": a log's key is named as its origin";
  }

  /** The note text: {@code origin\nsize\nbase64(root)\n}. */
  public String body() {
    return origin + "\n" + treeSize + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n";
  }

  @Override
  public byte[] rootHash() {
    return rootHash.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c && c.origin.equals(origin) && c.treeSize == treeSize
        && Arrays.equals(c.rootHash, rootHash);
  }

  @Override
  public int hashCode() {
    return (origin.hashCode() * 31 + Long.hashCode(treeSize)) * 31 + Arrays.hashCode(rootHash);
  }

  @Override
  public String toString() {
    return "Checkpoint[" + body().replace("\n", " ").trim() + "]";
  }

  static long parseSize(String line) {
    boolean digits = !line.isEmpty() && line.length() <= 19 && line.chars().allMatch(c -> c >= '0' && c <= '9');
    if (!digits || (line.length() > 1 && line.charAt(0) == '0')) {
      throw new IllegalArgumentException("tree size line is not a decimal without leading zeros: \"" + line + "\"");
    }
    try {
      return Long.parseLong(line);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("tree size out of range: " + line, e);
    }
  }

  private static byte[] parseRoot(String line) {
    byte[] root = NoteVerifier.decodeCanonical(line);
    if (root == null || root.length != HashStore.HASH_BYTES) {
      throw new IllegalArgumentException("root hash line is not base64 of 32 bytes: \"" + line + "\"");
    }
    return root;
  }
}
