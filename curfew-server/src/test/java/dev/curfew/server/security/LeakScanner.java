package dev.curfew.server.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Looks for secrets in bytes: files, captured output, whatever a test collected. A secret is
 * looked for in every form it could have been written in: verbatim, its last 16 characters (a
 * truncated or abbreviated log line), base64 and base64url of it, and for a session token the 32
 * random bytes it encodes (raw, hex, base64). A token's SHA-256 is also a form, but one that the
 * store keeps by design (its token journal and snapshots); {@link #withHashes} adds it for what
 * must not hold even that (the audit trail, logs).
 */
public final class LeakScanner {
  /** One place a secret was found: where, which secret (by label, never the secret), in what form. */
  public record Hit(String where, String secret, String form) {
    @Override
    public String toString() {
      return where + ": " + secret + " as " + form;
    }
  }

  /** label → (form → needle as ISO-8859-1 text, so that binary files are searched byte for byte). */
  private final Map<String, Map<String, String>> needles = new LinkedHashMap<>();

  private LeakScanner() {}

  /** A scanner for {@code secrets} (label → secret); session tokens ({@code cft_...}) also in their decoded forms. */
  public static LeakScanner of(Map<String, String> secrets, boolean withHashes) {
    LeakScanner s = new LeakScanner();
    secrets.forEach((label, secret) -> s.needles.put(label, forms(secret, withHashes)));
    return s;
  }

  /** The same secrets, with their SHA-256 forms too. */
  public static LeakScanner withHashes(Map<String, String> secrets) {
    return of(secrets, true);
  }

  private static Map<String, String> forms(String secret, boolean withHashes) {
    Map<String, String> f = new LinkedHashMap<>();
    byte[] utf8 = secret.getBytes(StandardCharsets.UTF_8);
    f.put("verbatim", latin1(utf8));
    if (secret.length() >= 24) f.put("its last 16 characters", secret.substring(secret.length() - 16));
    f.put("base64", Base64.getEncoder().withoutPadding().encodeToString(utf8));
    f.put("base64url", Base64.getUrlEncoder().withoutPadding().encodeToString(utf8));
    if (secret.startsWith("cft_")) {
      byte[] random = Base64.getUrlDecoder().decode(secret.substring(4));
      f.put("its random bytes", latin1(random));
      f.put("its random bytes in hex", HexFormat.of().formatHex(random));
      f.put("its random bytes in HEX", HexFormat.of().withUpperCase().formatHex(random));
      f.put("its random bytes in base64", Base64.getEncoder().withoutPadding().encodeToString(random));
    }
    if (withHashes) {
      byte[] sha = sha256(utf8);
      f.put("SHA-256", latin1(sha));
      f.put("SHA-256 hex", HexFormat.of().formatHex(sha));
      f.put("SHA-256 HEX", HexFormat.of().withUpperCase().formatHex(sha));
      f.put("SHA-256 base64", Base64.getEncoder().withoutPadding().encodeToString(sha));
      f.put("SHA-256 base64url", Base64.getUrlEncoder().withoutPadding().encodeToString(sha));
    }
    return f;
  }

  /** Every form of every secret found in {@code content}. */
  public List<Hit> scan(String where, byte[] content) {
    String text = latin1(content);
    String lower = text.toLowerCase(Locale.ROOT);
    List<Hit> hits = new ArrayList<>();
    needles.forEach((label, forms) -> forms.forEach((form, needle) -> {
      // hex is matched without regard to case; everything else exactly
      boolean found = form.contains("hex") || form.contains("HEX") ? lower.contains(needle.toLowerCase(Locale.ROOT))
          : text.contains(needle);
      if (found) hits.add(new Hit(where, label, form));
    }));
    return hits;
  }

  /** Every regular file under {@code root}, recursively. */
  public List<Hit> scanTree(Path root) {
    List<Hit> hits = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        hits.addAll(scan(root.relativize(p).toString(), Files.readAllBytes(p)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return hits;
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
