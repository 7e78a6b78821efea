package dev.curfew.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where a session may be used: a list of places, each {@code KIND:NAME} or the single word {@code
 * console} (spec/http-api.md, "a live token used outside its audience is refused with {@code
 * reason: "wrong_audience"}"; spec/audit.md, {@code session.created} names the session's {@code
 * audience}). Kinds:
 * <dl>
 *   <dt>{@code route:PATH}</dt><dd>a route of the HTTP gateway, by its path ({@code route:/})</dd>
 *   <dt>{@code app:KEY}</dt><dd>a backend, by its API key's name: its {@code /v1/check},
 *       {@code /v1/introspect} and {@code /v1/revoke} calls</dd>
 *   <dt>{@code console}</dt><dd>the admin console; only console sign-in opens such a session</dd>
 *   <dt>{@code db:NAME}, {@code ssh:NAME}, {@code mcp:PATH}</dt><dd>the protocol gateways
 *       (spec/protocol-gateways.md)</dd>
 * </dl>
 *
 * <p>The rule, written here once and used by every store (the Redis scripts are checked against it
 * by a test): an enforcement point names the places it speaks for, and a session passes iff its
 * audience and those places share an entry, compared as exact strings. A session's own holder
 * endpoints ({@code /v1/session*}) are not a place: they act on the session itself.
 *
 * <p>{@link #NOWHERE} (empty) is only what a session recovered from a log written before audiences
 * existed gets: it passes no enforcement point (fail closed), only its holder endpoints.
 */
public final class Audience {
  /** Most places one session may name. */
  public static final int MAX_ENTRIES = 16;
  /** Longest place. */
  public static final int MAX_ENTRY_CHARS = 256;
  /** The admin console's place. */
  public static final String CONSOLE_ENTRY = "console";
  public static final Audience CONSOLE = new Audience(List.of(CONSOLE_ENTRY));
  public static final Audience NOWHERE = new Audience(List.of());
  private static final Set<String> KINDS = Set.of("route", "app", "db", "ssh", "mcp");

  private final List<String> entries;

  private Audience(List<String> entries) {
    this.entries = entries;
  }

  /**
   * A non-empty audience of valid places, repeats dropped, order kept.
   *
   * @throws IllegalArgumentException naming the first invalid entry
   */
  public static Audience of(Collection<String> entries) {
    Objects.requireNonNull(entries, "audience");
    if (entries.isEmpty()) throw new IllegalArgumentException("audience must name at least one place");
    Set<String> out = new LinkedHashSet<>();
    for (String e : entries) out.add(checkEntry(e));
    if (out.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("audience names more than " + MAX_ENTRIES + " places");
    }
    return new Audience(List.copyOf(out));
  }

  public static Audience of(String... entries) {
    return of(List.of(entries));
  }

  /** The place of gateway route {@code path}. */
  public static Audience route(String path) {
    return of("route:" + path);
  }

  /** The place of the backend whose API key is named {@code keyName}. */
  public static Audience app(String keyName) {
    return of("app:" + keyName);
  }

  /**
   * One place, checked: {@code console}, or a known kind, a colon and a name of printable ASCII
   * without spaces (so that an entry can never split a header or a list); a route's name is a path.
   */
  public static String checkEntry(String e) {
    if (e == null || e.isEmpty()) throw new IllegalArgumentException("audience entry must not be empty");
    if (e.length() > MAX_ENTRY_CHARS) {
      throw new IllegalArgumentException("audience entry is longer than " + MAX_ENTRY_CHARS + " characters");
    }
    for (int i = 0; i < e.length(); i++) {
      char c = e.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException("audience entry \"" + printable(e) + "\" has a space or a character outside printable ASCII");
      }
    }
    if (e.equals(CONSOLE_ENTRY)) return e;
    int colon = e.indexOf(':');
    String kind = colon < 0 ? "" : e.substring(0, colon);
    if (!KINDS.contains(kind) || colon == e.length() - 1) {
      throw new IllegalArgumentException("audience entry \"" + printable(e)
          + "\" is not KIND:NAME with KIND one of route, app, db, ssh, mcp (or the word console)");
    }
    if (kind.equals("route") && e.charAt(colon + 1) != '/') {
      throw new IllegalArgumentException("audience entry \"" + printable(e) + "\": a route is a path starting with /");
    }
    return e;
  }

  /** Whether a session of this audience may be used at a point that speaks for {@code places}. */
  public boolean admits(Audience places) {
    for (String p : places.entries) {
      if (entries.contains(p)) return true;
    }
    return false;
  }

  /**
   * Whether a check made for these places can hand the holder a new token (renew_every): a browser
   * through a gateway route (a new cookie), an app or the console (the answer). Not at a database,
   * SSH or MCP gateway: their clients hold the token as a password or a configured bearer, and an
   * old one presented again would end the session as replayed.
   */
  public boolean takesNewTokens() {
    for (String e : entries) {
      if (e.startsWith("db:") || e.startsWith("ssh:") || e.startsWith("mcp:")) return false;
    }
    return true;
  }

  /** Whether {@code places} lies wholly inside this audience (what a key may ask for). */
  public boolean covers(Audience places) {
    return entries.containsAll(places.entries);
  }

  public List<String> entries() {
    return entries;
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** As audit data and JSON: a list of strings. */
  public List<Object> toList() {
    return new ArrayList<>(entries);
  }

  /**
   * From stored data: null (written before audiences existed) is {@link #NOWHERE}; anything
   * else must be a valid audience.
   */
  public static Audience fromStored(Object stored) {
    if (stored == null) return NOWHERE;
    if (!(stored instanceof List<?> list)) throw new IllegalArgumentException("audience is not a list");
    if (list.isEmpty()) return NOWHERE;
    List<String> out = new ArrayList<>(list.size());
    for (Object o : list) out.add(String.valueOf(o));
    return of(out);
  }

  /**
   * The entries joined by newlines: the form the Redis scripts store and compare (an entry holds
   * no whitespace, so the separator cannot occur inside one).
   */
  public String wire() {
    return String.join("\n", entries);
  }

  public static Audience fromWire(String wire) {
    if (wire == null || wire.isEmpty()) return NOWHERE;
    return of(List.of(wire.split("\n")));
  }

  private static String printable(String s) {
    String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return t.replaceAll("[^\\x21-\\x7e]", "?");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Audience a && a.entries.equals(entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return entries.toString();
  }
}
