package dev.curfew.server.cli;

import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Resolves the backend API keys: {@code CURFEW_API_KEY} (named {@code default}), the config's
 * {@code api_keys}, or, when neither is set, a key created on first start in the data directory
 * (mode 0600). The first and the last have the scope admin; configured keys their own scopes.
 * Only SHA-256 hashes leave this class; a key itself is never printed.
 *
 * <p>The created key is for the operator to pick up: next to it, {@code api-key.sha256} holds its
 * hash, and once the key file is moved to a secret store and deleted, the server starts from the
 * hash alone, so that the data directory need not hold any key at all.
 */
public final class KeyBootstrap {
  public static final String KEY_FILE = "api-key";
  /** The SHA-256 (hex) of the key file's key: what the server goes on once the key file is taken away. */
  public static final String KEY_HASH_FILE = "api-key.sha256";

  /** A key's name, the hex SHA-256 of its secret, and its scopes. */
  public record NamedKeyHash(String name, String sha256Hex, List<String> scopes) {
    /** A key with the scope admin (CURFEW_API_KEY and the key file). */
    public NamedKeyHash(String name, String sha256Hex) {
      this(name, sha256Hex, CurfewConfig.ApiKeyConfig.DEFAULT_SCOPES);
    }
  }

  private KeyBootstrap() {}

  public static List<NamedKeyHash> resolve(CurfewConfig cfg, Map<String, String> env, Path dataDir, PrintStream log) {
    List<NamedKeyHash> out = new ArrayList<>();
    String envKey = env.get("CURFEW_API_KEY");
    if (envKey != null && !envKey.isBlank()) {
      out.add(new NamedKeyHash("default", sha256Hex(envKey.trim())));
    }
    for (int i = 0; i < cfg.apiKeys().size(); i++) {
      CurfewConfig.ApiKeyConfig k = cfg.apiKeys().get(i);
      if (k.keySha256() != null) {
        out.add(new NamedKeyHash(k.name(), k.keySha256(), k.scopes()));
      } else {
        String v = env.get(k.keyEnv());
        if (v == null || v.isBlank()) {
          throw new ConfigException("api_keys[" + i + "].key_env", "environment variable " + k.keyEnv() + " is not set");
        }
        out.add(new NamedKeyHash(k.name(), sha256Hex(v.trim()), k.scopes()));
      }
    }
    if (out.isEmpty()) {
      out.add(new NamedKeyHash("default", fileKeyHash(dataDir, log)));
    }
    return out;
  }

  /** The hash of the key file's key (kept up to date in the hash file), else the hash file's, else a new key's. */
  private static String fileKeyHash(Path dataDir, PrintStream log) {
    Path file = dataDir.resolve(KEY_FILE);
    Path hashFile = dataDir.resolve(KEY_HASH_FILE);
    try {
      if (Files.exists(file)) {
        String hash = sha256Hex(Files.readString(file, StandardCharsets.US_ASCII).trim());
        if (!Files.exists(hashFile) || !Files.readString(hashFile, StandardCharsets.US_ASCII).trim().equals(hash)) {
          writePrivate(dataDir, hashFile, hash);
        }
        return hash;
      }
      if (Files.exists(hashFile)) {
        String hash = Files.readString(hashFile, StandardCharsets.US_ASCII).trim();
        if (!hash.matches("[0-9a-f]{64}")) {
          throw new ConfigException("data_dir", hashFile + " does not hold a SHA-256 in hex; delete it to make a new key");
        }
        return hash;
      }
      if (!Files.isDirectory(dataDir)) {
        Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      String key = "cfk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      String hash = sha256Hex(key);
      writePrivate(dataDir, hashFile, hash);
      writePrivate(dataDir, file, key);
      log.println("curfew: created an API key named \"default\" in " + file.toAbsolutePath()
          + " (mode 0600); send it as Authorization: Bearer <key>. Once it is kept elsewhere, delete the file:"
          + " the server needs only its hash (" + KEY_HASH_FILE + ")");
      return hash;
    } catch (IOException e) {
      throw new ConfigException("data_dir", "cannot read or create the API key file " + file + ": " + e.getMessage());
    }
  }

  /** {@code line} as the whole of {@code file}, mode 0600, replaced atomically. */
  private static void writePrivate(Path dataDir, Path file, String line) throws IOException {
    Path tmp = dataDir.resolve(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, line + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  public static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
