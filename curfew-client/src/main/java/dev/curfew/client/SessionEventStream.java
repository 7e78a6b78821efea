package dev.curfew.client;

import dev.curfew.core.audit.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The events of one session as they come (the text/event-stream format of the WHATWG HTML
 * standard, "Server-sent events": {@code event:} and {@code data:} lines, a blank line ends an
 * event, lines starting with {@code :} are comments such as heartbeats). Blocking; close it to stop.
 */
public final class SessionEventStream implements AutoCloseable {
  private final InputStream raw;
  private final BufferedReader lines;

  SessionEventStream(InputStream raw) {
    this.raw = raw;
    this.lines = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
  }

  /** The next event, or empty when the server closed the stream. */
  public Optional<SessionEvent> next() {
    String name = "message";
    StringBuilder data = new StringBuilder();
    try {
      for (String line; (line = lines.readLine()) != null; ) {
        if (line.isEmpty()) {
          if (data.length() > 0) return Optional.of(event(name, data.toString()));
          name = "message";
        } else if (line.startsWith("event:")) {
          name = field(line, 6);
        } else if (line.startsWith("data:")) {
          if (data.length() > 0) data.append('\n');
          data.append(field(line, 5));
        }
      }
      return data.length() > 0 ? Optional.of(event(name, data.toString())) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String field(String line, int from) {
    String v = line.substring(from);
    return v.startsWith(" ") ? v.substring(1) : v;
  }

  private static SessionEvent event(String name, String data) {
    Map<String, Object> body = data.startsWith("{") ? Json.parseObject(data) : Map.of("text", data);
    return new SessionEvent(name, body);
  }

  @Override
  public void close() {
    try {
      raw.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
