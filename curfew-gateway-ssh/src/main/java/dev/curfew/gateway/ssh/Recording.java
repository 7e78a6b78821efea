package dev.curfew.gateway.ssh;

import dev.curfew.core.audit.CanonicalJson;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One channel's terminal as an asciicast v2 file (https://docs.asciinema.org/manual/asciicast/v2/):
 * a header line (JSON object: {@code version} 2, {@code width}, {@code height}, {@code timestamp} in
 * Unix seconds, {@code env.TERM}), then one JSON array per event, {@code [seconds since start, "o",
 * text]} for output and {@code [seconds, "r", "COLSxROWS"]} for a resize (the client's window
 * change). A size of 0 (a client that announced none, as a script's {@code ssh -tt} does) is recorded as
 * the default 80 x 24. Input is not recorded: what a terminal does not echo (a password typed
 * to {@code sudo}) must not land in a file. The file's SHA-256 is computed while it is written and
 * goes into the {@code connection.closed} record, which is how a recording proves itself later
 * ({@code curfew audit verify-recording}).
 *
 * <p>Output is bytes and asciicast text is UTF-8: bytes are decoded with a decoder that keeps a
 * multi-byte sequence split across two reads whole; invalid bytes become U+FFFD.
 */
final class Recording {
  /** The size recorded when a client announces 0 (none). */
  static final int DEFAULT_WIDTH = 80;
  static final int DEFAULT_HEIGHT = 24;

  private final Path file;
  private final DigestOutputStream out;
  private final long startNanos;
  private final Utf8Text output = new Utf8Text();
  private String sha256Hex;

  private Recording(Path file, DigestOutputStream out, long startNanos) {
    this.file = file;
    this.out = out;
    this.startNanos = startNanos;
  }

  /** Creates {@code file} (mode 0600: a terminal shows secrets) and writes the header. */
  static Recording start(Path file, int width, int height, String term, long startEpochMs, long startNanos)
      throws IOException {
    Files.createDirectories(file.getParent());
    OutputStream raw = Files.newOutputStream(Files.createFile(file, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------"))), StandardOpenOption.WRITE);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      raw.close();
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    Recording r = new Recording(file, new DigestOutputStream(new BufferedOutputStream(raw, 64 * 1024), sha), startNanos);
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("version", 2L);
    header.put("width", (long) orDefault(width, DEFAULT_WIDTH));
    header.put("height", (long) orDefault(height, DEFAULT_HEIGHT));
    header.put("timestamp", startEpochMs / 1000);
    if (term != null) header.put("env", Map.of("TERM", term));
    r.line(CanonicalJson.write(header));
    return r;
  }

  Path file() {
    return file;
  }

  synchronized void output(byte[] bytes, long nowNanos) throws IOException {
    event("o", output, bytes, nowNanos);
  }

  /** The terminal was resized to {@code columns} x {@code rows}: an asciicast {@code "r"} event. */
  synchronized void resize(int columns, int rows, long nowNanos) throws IOException {
    if (sha256Hex != null) return;
    String size = orDefault(columns, DEFAULT_WIDTH) + "x" + orDefault(rows, DEFAULT_HEIGHT);
    line(eventLine("r", size, nowNanos));
  }

  private static int orDefault(int value, int fallback) {
    return value > 0 ? value : fallback;
  }

  /** Closes the file once and answers its SHA-256 (hex); later calls answer the same. */
  synchronized String finish() throws IOException {
    if (sha256Hex == null) {
      out.close();
      sha256Hex = HexFormat.of().formatHex(out.getMessageDigest().digest());
    }
    return sha256Hex;
  }

  private void event(String kind, Utf8Text text, byte[] bytes, long nowNanos) throws IOException {
    if (sha256Hex != null) return;
    CharSequence chars = text.decode(bytes);
    if (chars.length() == 0) return;
    line(eventLine(kind, chars.toString(), nowNanos));
  }

  private String eventLine(String kind, String data, long nowNanos) {
    StringBuilder line = new StringBuilder(data.length() + 32);
    long micros = Math.max(0, (nowNanos - startNanos) / 1_000);
    line.append('[').append(micros / 1_000_000).append('.').append(String.format("%06d", micros % 1_000_000))
        .append(",\"").append(kind).append("\",");
    CanonicalJson.write(data, line);
    line.append(']');
    return line.toString();
  }

  private void line(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.write('\n');
  }

  /** Decodes a byte stream read in pieces: the bytes of a sequence cut at a piece's end wait for the next. */
  private static final class Utf8Text {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] carry = new byte[0];

    CharSequence decode(byte[] bytes) {
      ByteBuffer in = ByteBuffer.allocate(carry.length + bytes.length).put(carry).put(bytes).flip();
      CharBuffer chars = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, chars, false);
      carry = new byte[in.remaining()]; // at most 3 bytes: an incomplete sequence
      in.get(carry);
      return chars.flip();
    }
  }
}
