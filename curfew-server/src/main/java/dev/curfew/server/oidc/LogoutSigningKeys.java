package dev.curfew.server.oidc;

import dev.curfew.core.Clock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The keys Curfew signs its back-channel logout tokens with, in {@code <data_dir>/logout-keys/}: one
 * file per key ({@code <created ms>-<alg>.key}, mode 0600, PKCS#8 private and X.509 public key in
 * base64), made with the JDK alone. The newest key signs; a rotation ({@link #rotate}, the command
 * {@code curfew logout-keys rotate}) adds a newer one. A key that stopped signing stays in the JWKS
 * for {@link #RETIRED_KEY_PUBLISHED_FOR}, so that every token it signed verifies until it expired.
 * The running server notices a rotation by the directory's modification time.
 */
public final class LogoutSigningKeys {
  public static final String DIRECTORY = "logout-keys";
  /** How long a logout token is valid after it was issued ({@code exp - iat}). */
  public static final Duration TOKEN_LIFETIME = Duration.ofMinutes(2);
  /**
   * A retired key's time in the JWKS: the lifetime of the last token it signed plus 5 minutes for
   * the clock skew and JWKS caching of relying parties.
   */
  public static final Duration RETIRED_KEY_PUBLISHED_FOR = TOKEN_LIFETIME.plus(Duration.ofMinutes(5));

  /** One key: its id (a SHA-256 thumbprint prefix of the public key), algorithm and creation time. */
  public record SigningKey(String kid, JwsAlgorithm alg, long createdAtMs, PrivateKey privateKey, PublicKey publicKey) {}

  private final Path dir;
  private final JwsAlgorithm alg;
  private final Clock clock;
  private volatile List<SigningKey> keys = List.of(); // oldest first
  private volatile java.nio.file.attribute.FileTime seenModified;

  private LogoutSigningKeys(Path dir, JwsAlgorithm alg, Clock clock) {
    this.dir = dir;
    this.alg = alg;
    this.clock = clock;
  }

  /** The key ring of {@code dataDir}; a key of {@code alg} is made when the newest key is not one. */
  public static LogoutSigningKeys open(Path dataDir, JwsAlgorithm alg, Clock clock) throws IOException {
    LogoutSigningKeys ring = new LogoutSigningKeys(dataDir.resolve(DIRECTORY), Objects.requireNonNull(alg, "alg"),
        Objects.requireNonNull(clock, "clock"));
    ring.reload();
    if (ring.keys.isEmpty() || ring.keys.get(ring.keys.size() - 1).alg() != alg) {
      rotate(dataDir, alg, clock);
      ring.reload();
    }
    return ring;
  }

  /** Adds a new signing key of {@code alg}; it signs from now on. Returns its key id. */
  public static String rotate(Path dataDir, JwsAlgorithm alg, Clock clock) throws IOException {
    Path d = dataDir.resolve(DIRECTORY);
    Files.createDirectories(d);
    KeyPair pair = generate(alg);
    long created = clock.millis();
    Path file = d.resolve(created + "-" + alg.name() + ".key");
    Path tmp = d.resolve(file.getFileName() + ".tmp");
    String text = "private " + Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n"
        + "public " + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n";
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // not a POSIX file system: the directory's own protection applies
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return kid(pair.getPublic());
  }

  /** The key that signs now. */
  public SigningKey current() {
    reloadIfChanged();
    List<SigningKey> k = keys;
    return k.get(k.size() - 1);
  }

  /** The JWKS (RFC 7517 §5): the signing key and every retired key still inside its window. */
  public Map<String, Object> jwks() {
    reloadIfChanged();
    List<SigningKey> k = keys;
    long now = clock.millis();
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = k.size() - 1; i >= 0; i--) {
      boolean signing = i == k.size() - 1;
      if (signing || now < k.get(i + 1).createdAtMs() + RETIRED_KEY_PUBLISHED_FOR.toMillis()) {
        out.add(Jwk.of(k.get(i).publicKey(), k.get(i).kid(), k.get(i).alg()));
      }
    }
    return Map.of("keys", out);
  }

  /** The algorithms keys of this ring may sign with (for the discovery document). */
  public List<String> algorithms() {
    return List.of(alg.name());
  }

  private void reloadIfChanged() {
    try {
      if (!Files.getLastModifiedTime(dir).equals(seenModified)) reload();
    } catch (IOException e) {
      // the directory went away: keep signing with the keys in memory
    }
  }

  private synchronized void reload() throws IOException {
    if (!Files.isDirectory(dir)) return;
    java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(dir);
    List<SigningKey> loaded = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".key")).toList()) {
        loaded.add(load(f));
      }
    }
    loaded.sort(Comparator.comparingLong(SigningKey::createdAtMs));
    if (!loaded.isEmpty()) keys = List.copyOf(loaded);
    seenModified = modified;
  }

  private static SigningKey load(Path f) throws IOException {
    String name = f.getFileName().toString();
    String[] parts = name.substring(0, name.length() - ".key".length()).split("-", 2);
    JwsAlgorithm alg = JwsAlgorithm.named(parts.length == 2 ? parts[1] : "")
        .orElseThrow(() -> new IOException(f + ": not a logout signing key file"));
    String priv = null;
    String pub = null;
    for (String line : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
      if (line.startsWith("private ")) priv = line.substring(8);
      if (line.startsWith("public ")) pub = line.substring(7);
    }
    if (priv == null || pub == null) throw new IOException(f + ": a private and a public line are required");
    try {
      String family = alg.keyType().equals("OKP") ? "Ed25519" : alg.keyType();
      KeyFactory kf = KeyFactory.getInstance(family);
      PrivateKey p = kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(priv)));
      PublicKey k = kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pub)));
      return new SigningKey(kid(k), alg, Long.parseLong(parts[0]), p, k);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(f + ": not a valid " + alg + " key: " + e.getMessage(), e);
    }
  }

  private static KeyPair generate(JwsAlgorithm alg) {
    try {
      return switch (alg.keyType()) {
        case "RSA" -> {
          KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
          g.initialize(2048); // RFC 7518 §3.3: a key of 2048 bits or larger MUST be used with RS*
          yield g.generateKeyPair();
        }
        case "EC" -> {
          KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
          g.initialize(new ECGenParameterSpec(alg == JwsAlgorithm.ES384 ? "secp384r1" : "secp256r1"));
          yield g.generateKeyPair();
        }
        default -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      };
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a " + alg + " key", e);
    }
  }

  /** A key id: the first 12 bytes of SHA-256 over the encoded public key, base64url. */
  static String kid(PublicKey k) {
    try {
      return Jwk.b64(Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(k.getEncoded()), 12));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
