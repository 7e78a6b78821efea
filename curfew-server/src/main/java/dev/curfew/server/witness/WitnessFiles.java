package dev.curfew.server.witness;

import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.Witness;
import dev.curfew.core.audit.WitnessSigner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A witness's data directory:
 *
 * <pre>
 * witness.key   the Ed25519 cosigner key (WitnessSigner format), created 0600 on first start
 * state.json    per log origin, the latest checkpoint cosigned: {"origin": {"root_hash": b64, "tree_size": N}}
 * </pre>
 *
 * The state is replaced whole on every change: written to a temporary file, forced, renamed over
 * the old one, and the directory forced, so that a crash leaves the old state or the new one,
 * never a mix. It is small: one entry per log the witness follows. {@link #save} is durable when it
 * returns, which is what tlog-witness asks before the cosignature is sent ("The witness MUST
 * persist the new checkpoint before responding").
 */
public final class WitnessFiles implements Witness.State {
  static final String KEY_FILE = "witness.key";
  static final String STATE_FILE = "state.json";
  private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private final Path dir;
  private final TreeMap<String, Witness.Latest> latest = new TreeMap<>(); // guarded by this

  private WitnessFiles(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating) the directory and reads the state. */
  public static WitnessFiles open(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Files.createDirectories(dir);
    WitnessFiles f = new WitnessFiles(dir);
    Path state = dir.resolve(STATE_FILE);
    if (Files.exists(state)) {
      try {
        for (Map.Entry<String, Object> e : Json.parseObject(Files.readString(state, StandardCharsets.UTF_8)).entrySet()) {
          @SuppressWarnings("unchecked")
          Map<String, Object> v = (Map<String, Object>) e.getValue();
          f.latest.put(e.getKey(), new Witness.Latest(e.getKey(), (Long) v.get("tree_size"),
              Base64.getDecoder().decode((String) v.get("root_hash"))));
        }
      } catch (RuntimeException e) {
        throw new IOException(state + " is not a witness state: " + e.getMessage(), e);
      }
    }
    return f;
  }

  /** The cosigner key in {@code dir}, created for {@code name} on first start. */
  public static WitnessSigner loadOrCreateKey(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path key = dir.resolve(KEY_FILE);
    if (!Files.exists(key)) {
      WitnessSigner created = WitnessSigner.generate(name);
      try {
        Files.createFile(key, fileMode());
        Files.writeString(key, created.signerKey() + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
        try (FileChannel ch = FileChannel.open(key, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      } catch (FileAlreadyExistsException raced) {
        // another process created it: keep theirs
      }
    }
    return readKey(dir);
  }

  /** The cosigner key in {@code dir}, which must exist. */
  public static WitnessSigner readKey(Path dir) throws IOException {
    Path key = dir.resolve(KEY_FILE);
    if (!Files.exists(key)) throw new IOException("no witness key in " + dir + " (" + KEY_FILE + "): start 'curfew witness serve' once");
    try {
      return WitnessSigner.parse(Files.readString(key, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IOException(key + " is not a witness key: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Optional<Witness.Latest> latest(String origin) {
    return Optional.ofNullable(latest.get(origin));
  }

  @Override
  public synchronized void save(Witness.Latest l) throws IOException {
    TreeMap<String, Witness.Latest> next = new TreeMap<>(latest);
    next.put(l.origin(), l);
    Map<String, Object> json = new TreeMap<>();
    for (Witness.Latest e : next.values()) {
      json.put(e.origin(), Map.of("tree_size", e.treeSize(), "root_hash", Base64.getEncoder().encodeToString(e.rootHash())));
    }
    Path tmp = dir.resolve(STATE_FILE + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        fileMode())) {
      ByteBuffer b = ByteBuffer.wrap((CanonicalJson.write(json) + "\n").getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) ch.write(b);
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(STATE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceDirectory(dir);
    latest.put(l.origin(), l);
  }

  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (POSIX) throw e; // some file systems cannot open a directory; POSIX ones can
    }
  }

  private static FileAttribute<?>[] fileMode() {
    return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
  }
}
