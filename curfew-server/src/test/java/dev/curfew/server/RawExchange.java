package dev.curfew.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One HTTP/1.1 exchange written byte for byte on a fresh socket, with a deadline on the answer: for
 * requests that no well-behaved client would send (a bad escape, a broken form, a half-sent header).
 *
 * @param status the status code of the answer; 0 when the server closed without answering
 * @param head the status line and headers as received
 * @param body what followed the headers until the server closed or the deadline passed
 */
public record RawExchange(int status, String head, String body) {
  /** Sends {@code request} (bytes as given, ISO-8859-1) and reads until close; a hang is an AssertionError. */
  public static RawExchange send(int port, String request, Duration deadline) {
    return send(port, request.getBytes(StandardCharsets.ISO_8859_1), deadline);
  }

  public static RawExchange send(int port, byte[] request, Duration deadline) {
    long endNanos = System.nanoTime() + deadline.toNanos();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout((int) Math.max(1, deadline.toMillis()));
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException closedWhileSending) {
        // The server may answer and close before the whole request is written (a refused header).
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      while (true) {
        long leftMs = (endNanos - System.nanoTime()) / 1_000_000;
        if (leftMs <= 0) break;
        s.setSoTimeout((int) leftMs);
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException e) {
          break;
        } catch (IOException reset) {
          break;
        }
        if (n < 0) break;
        got.write(buf, 0, n);
        if (complete(got.toString(StandardCharsets.ISO_8859_1))) break;
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      int headEnd = text.indexOf("\r\n\r\n");
      if (text.isEmpty()) {
        if (System.nanoTime() >= endNanos) throw new AssertionError("no answer within " + deadline + " to: " + firstLine(request));
        return new RawExchange(0, "", "");
      }
      if (!text.startsWith("HTTP/1.1 ") || text.length() < 12) throw new AssertionError("not an HTTP answer: " + text);
      int status = Integer.parseInt(text.substring(9, 12));
      if (headEnd < 0) throw new AssertionError("headers not complete within " + deadline + ": " + text);
      return new RawExchange(status, text.substring(0, headEnd), text.substring(headEnd + 4));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Whether a whole answer with a Content-Length (or a chunked end) has arrived: no need to wait for close. */
  private static boolean complete(String text) {
    int headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) return false;
    String head = text.substring(0, headEnd).toLowerCase(java.util.Locale.ROOT);
    int cl = head.indexOf("\ncontent-length:");
    if (cl >= 0) {
      int eol = head.indexOf('\r', cl + 1);
      long length = Long.parseLong(head.substring(cl + 16, eol < 0 ? head.length() : eol).trim());
      return text.length() - headEnd - 4 >= length;
    }
    return head.contains("transfer-encoding: chunked") && text.endsWith("0\r\n\r\n");
  }

  private static String firstLine(byte[] request) {
    String s = new String(request, 0, Math.min(request.length, 200), StandardCharsets.ISO_8859_1);
    int eol = s.indexOf('\r');
    return eol < 0 ? s : s.substring(0, eol);
  }

  public String header(String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) return line.substring(colon + 1).trim();
    }
    return null;
  }
}
