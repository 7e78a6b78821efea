package dev.curfew.server.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.function.Consumer;

/**
 * The request target and {@code Host} of a request, screened before anything decides on them: a
 * request whose path could name another resource to some component after this one (the router, the
 * upstream app, a servlet container), or whose target or host can be read two ways, is refused with
 * a 400 problem naming what was ambiguous (issue 12, item 5).
 *
 * <p>Why refuse rather than normalise: the gateway decides on the path (the route, the login path
 * that needs no session, the passive paths) and then forwards the path unchanged, so the upstream
 * applies its own normalisation to what the gateway checked. Servlet containers strip {@code ;}
 * path parameters from every segment before matching (Jakarta Servlet 6.0 §3.5, "path parameters";
 * Tomcat's {@code CoyoteAdapter.parsePathParameters}), so {@code /login/..;/secret} is
 * {@code /login/../secret}, then {@code /secret}; Tomcat with {@code ALLOW_BACKSLASH} and Windows
 * servers treat {@code \} as {@code /}; frameworks decode twice ({@code %252e} becomes {@code .});
 * C code stops at a NUL. A path the gateway checked is only the path the upstream serves if no
 * such normalisation changes it, so every path that any of them would change is refused. The same
 * set of refusals is Spring Security's {@code StrictHttpFirewall} (rejected: {@code ;}, encoded
 * {@code /}, {@code \}, {@code %}, {@code .}, {@code //}, non-normalised paths, control characters).
 *
 * <p>The rules, for the path of a request that is forwarded ({@link Port#FORWARDING}):
 * <ul>
 *   <li>the target is in origin-form (RFC 9112 §3.2.1); absolute-form ({@code GET http://h/x}),
 *       authority-form ({@code CONNECT h:443}) and asterisk-form are refused, except {@code OPTIONS *}
 *       (RFC 9112 §3.2.4). RFC 9112 §3.2.2 asks origin servers to accept absolute-form; it is
 *       refused here because it carries a second authority that the {@code Host} header may contradict,
 *       and no browser sends it to an origin;
 *   <li>no control character, space, {@code #}, byte beyond ASCII or {@code \} (none is allowed in a
 *       URI, RFC 3986 §2), raw or percent-encoded ({@code %00}-{@code %1F}, {@code %7F}, {@code %5C});
 *   <li>no {@code ;} (path parameters), raw or encoded ({@code %3B});
 *   <li>every {@code %} starts a {@code %HH} escape; the escapes decode to valid UTF-8 (no overlong
 *       form such as {@code %C0%AE}, no surrogate: RFC 3629 §3);
 *   <li>no encoded {@code /} ({@code %2F}), no encoded {@code %} followed by two hex digits
 *       ({@code %252e}: a second decoding changes it), and no encoded unreserved character
 *       ({@code %2E}, {@code %41}): RFC 3986 §2.3 makes such a URI equivalent to the decoded one, and
 *       §6.2.2.2 has normalisers decode them, so their only use is to look different;
 *   <li>no dot segment ({@code .} or {@code ..}, RFC 3986 §5.2.4 removes them) and no empty segment
 *       ({@code //}, which servlet containers and Vert.x Web merge) except a trailing {@code /};
 *   <li>no character whose Unicode compatibility form (NFKC, UAX #15) is ASCII punctuation: a full-width
 *       dot {@code U+FF0E} or solidus {@code U+FF0F} becomes {@code .} or {@code /} in servers that
 *       normalise to NFKC.
 * </ul>
 * A port that routes its requests itself ({@link Port#ROUTING}, the API) applies only the rules
 * under which its router would see another path than the literal one (Vert.x Web routes on the RFC
 * 3986 §6 normal form: dot segments removed, {@code //} merged, unreserved characters decoded) and
 * those that make no sense in any path (controls, bad escapes, bytes beyond ASCII, backslashes): a
 * subject with a {@code /} or {@code ;} in it still has a path ({@code /v1/subjects/a%2Fb/revoke}).
 *
 * <p>The {@code Host} header (RFC 9112 §3.2): exactly one in an HTTP/1.1 request, at most one in
 * HTTP/1.0, each a host name, IPv4 or bracketed IPv6 address with an optional port. HTTP/2 carries the
 * authority in its own pseudo-header and is not looked at here.
 *
 * <p>The problem's detail names what was ambiguous; the offending text is quoted with every byte
 * outside printable ASCII percent-encoded, so that no raw control byte is echoed.
 */
public final class RequestTarget {
  /** Which rules apply: see the class comment. */
  public enum Port {
    /** The gateway: paths are forwarded to an upstream whose normalisation is unknown. */
    FORWARDING,
    /** The API: the router is the only reader of the path. */
    ROUTING
  }

  /** A refusal: the problem type's slug, its title, and what was ambiguous. */
  public record Refusal(String slug, String title, String detail) {
    public Problem problem() {
      return Problem.of(400, slug, title, detail);
    }
  }

  private static final String PATH = "ambiguous-path";
  private static final String PATH_TITLE = "Ambiguous path";
  private static final String TARGET = "request-target-refused";
  private static final String TARGET_TITLE = "Request target not accepted";
  private static final String HOST = "ambiguous-host";
  private static final String HOST_TITLE = "Ambiguous host";
  /** RFC 3986 §3.2.2: reg-name (without escapes and sub-delims), IPv4 or an IP literal; RFC 9110 §7.2 port. */
  private static final int QUOTED_MAX = 80;

  private RequestTarget() {}

  /**
   * Answers {@code req} with its problem when it is ambiguous, and then closes the connection; to be
   * called on every request before the router sees it (the router itself refuses a target that
   * does not start with /, with a 404, and a missing Host, before any handler of its own runs).
   *
   * @param securityHeaders adds the port's security headers to the answer
   * @return whether the request was answered (false: it is unambiguous, route it)
   */
  public static boolean answeredIfAmbiguous(HttpServerRequest req, Port port, Consumer<MultiMap> securityHeaders) {
    Refusal r = refusalOf(req, port);
    if (r == null) return false;
    securityHeaders.accept(req.response().headers());
    r.problem().send(req.response().putHeader("Connection", "close"));
    return true;
  }

  /** Why {@code req} is refused, or null when its target and host are unambiguous. */
  public static Refusal refusalOf(HttpServerRequest req, Port port) {
    Refusal r = targetRefusal(req.method(), req.uri(), port);
    if (r != null || req.version() == HttpVersion.HTTP_2) return r;
    return hostRefusal(req.version() == HttpVersion.HTTP_1_1, req.headers().getAll("Host"));
  }

  /** The rules on the request line: the target's form, then its path. */
  public static Refusal targetRefusal(HttpMethod method, String target, Port port) {
    if (method == HttpMethod.CONNECT) {
      return new Refusal(TARGET, TARGET_TITLE, "CONNECT (authority-form) is not served: this is not a forward proxy");
    }
    if (target == null || target.isEmpty()) return new Refusal(TARGET, TARGET_TITLE, "the request target is empty");
    if (target.equals("*")) {
      return method == HttpMethod.OPTIONS ? null : new Refusal(TARGET, TARGET_TITLE,
          "the asterisk-form target * is only for OPTIONS (RFC 9112 section 3.2.4)");
    }
    if (target.charAt(0) != '/') {
      return new Refusal(TARGET, TARGET_TITLE, "only origin-form targets (a path starting with /) are served, not "
          + quoted(target) + ": an absolute-form target names a host beside the Host header");
    }
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    String query = q < 0 ? "" : target.substring(q + 1);
    String why = pathAmbiguity(path, port);
    if (why == null) why = queryAmbiguity(query);
    return why == null ? null : new Refusal(PATH, PATH_TITLE, why);
  }

  /** The rules on the {@code Host} header lines of an HTTP/1.x request. */
  public static Refusal hostRefusal(boolean http11, List<String> hosts) {
    if (hosts.size() > 1) {
      return new Refusal(HOST, HOST_TITLE, hosts.size() + " Host headers: a request names exactly one host");
    }
    if (hosts.isEmpty()) {
      return http11 ? new Refusal(HOST, HOST_TITLE, "an HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)")
          : null;
    }
    String h = withoutOws(hosts.get(0));
    if (!wellFormedHost(h)) {
      return new Refusal(HOST, HOST_TITLE, "the Host header " + quoted(h)
          + " is not one host name or address with an optional port");
    }
    return null;
  }

  /** {@code value} without the spaces and tabs around it (optional whitespace, RFC 9110 section 5.6.3), nothing else. */
  static String withoutOws(String value) {
    int from = 0;
    int to = value.length();
    while (from < to && isOws(value.charAt(from))) from++;
    while (to > from && isOws(value.charAt(to - 1))) to--;
    return value.substring(from, to);
  }

  private static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /**
   * Whether {@code h} is one host and an optional port: a bracketed IP literal of hex digits, colons
   * and dots, or a name of letters, digits and {@code . _ ~ -}; then {@code :} and one to five
   * digits. Checked by hand on every request: it runs before anything else is decided.
   */
  static boolean wellFormedHost(String h) {
    int n = h.length();
    int i = 0;
    if (n > 0 && h.charAt(0) == '[') {
      i = 1;
      while (i < n && isIpLiteralChar(h.charAt(i))) i++;
      if (i == 1 || i == n || h.charAt(i) != ']') return false;
      i++;
    } else {
      while (i < n && isNameChar(h.charAt(i))) i++;
      if (i == 0) return false;
    }
    if (i == n) return true;
    if (h.charAt(i) != ':' || n - i - 1 < 1 || n - i - 1 > 5) return false;
    for (i++; i < n; i++) {
      if (h.charAt(i) < '0' || h.charAt(i) > '9') return false;
    }
    return true;
  }

  private static boolean isIpLiteralChar(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.';
  }

  private static boolean isNameChar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~'
        || c == '-';
  }

  /** The query is the app's to read, but it may not carry bytes that are not part of a URI at all. */
  private static String queryAmbiguity(String query) {
    for (int i = 0; i < query.length(); i++) {
      char c = query.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '#') {
        return "the query contains " + describe(c) + " at offset " + i + ", which no URI may contain";
      }
    }
    return null;
  }

  /**
   * Why the path (the target up to {@code ?}, still percent-encoded) is ambiguous under {@code port}'s
   * rules, or null when it is not.
   */
  public static String pathAmbiguity(String path, Port port) {
    boolean strict = port == Port.FORWARDING;
    // Raw characters first: each rule names the character and where it is.
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) return "the path contains the control character " + describe(c) + " at offset " + i;
      if (c == ' ' || c == '#' || c > 0x7f) return "the path contains " + describe(c) + " at offset " + i
          + ", which no URI may contain unencoded";
      if (c == '\\') return "the path contains a backslash at offset " + i + ", which some servers read as /";
      if (c == ';' && strict) return "the path segment " + quoted(segmentAt(path, i))
          + " carries a ';' parameter, which servlet containers strip before matching";
    }
    String decoded = decodedOrWhy(path, strict);
    if (decoded.startsWith("!")) return decoded.substring(1);
    // Each segment after a slash: not a dot segment, and not empty unless it is the last.
    for (int slash = path.indexOf('/'); slash >= 0; ) {
      int next = path.indexOf('/', slash + 1);
      int end = next < 0 ? path.length() : next;
      int length = end - slash - 1;
      boolean dots = (length == 1 || length == 2) && path.charAt(slash + 1) == '.' && path.charAt(end - 1) == '.';
      if (dots) {
        return "the path contains the dot segment " + quoted(path.substring(slash + 1, end))
            + ", which RFC 3986 section 5.2.4 removes";
      }
      if (length == 0 && next >= 0) {
        return "the path contains an empty segment (//), which servers merge into one /";
      }
      slash = next;
    }
    if (strict) {
      String nfkc = nfkcPunctuation(decoded);
      if (nfkc != null) return nfkc;
    }
    return null;
  }

  /**
   * The path percent-decoded as UTF-8, or {@code "!"} and why the escapes are refused. Checks every
   * escape in turn: well-formed, not a control, not an encoded separator, not a double encoding, not
   * an unreserved character, and that the bytes together are valid UTF-8.
   */
  private static String decodedOrWhy(String path, boolean strict) {
    // No escape: the path decodes to itself (its raw characters were checked to be ASCII).
    if (path.indexOf('%') < 0) return path;
    ByteBuffer bytes = ByteBuffer.allocate(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '%') {
        bytes.put((byte) c);
        continue;
      }
      int hi = i + 1 < path.length() ? Character.digit(path.charAt(i + 1), 16) : -1;
      int lo = i + 2 < path.length() ? Character.digit(path.charAt(i + 2), 16) : -1;
      if (hi < 0 || lo < 0) return "!the path contains a '%' at offset " + i + " that does not start a %HH escape";
      int b = hi * 16 + lo;
      String esc = path.substring(i, i + 3);
      String why = escapeAmbiguity(b, esc, path, i, strict);
      if (why != null) return "!" + why;
      bytes.put((byte) b);
      i += 2;
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
    } catch (CharacterCodingException e) {
      return "!the path's percent-escapes are not valid UTF-8 (an overlong or truncated sequence, or a surrogate)";
    }
  }

  private static String escapeAmbiguity(int b, String esc, String path, int at, boolean strict) {
    if (b < 0x20 || b == 0x7f) return "the path contains the encoded control character " + esc + " at offset " + at;
    if (b == '\\') return "the path contains an encoded backslash " + esc + " at offset " + at + ", which some servers read as /";
    if (isUnreserved(b)) {
      String what = b == '.' ? "an encoded dot " : "an encoded unreserved character ";
      return "the path contains " + what + esc + " at offset " + at + ", which normalisation decodes (RFC 3986 section 2.3)";
    }
    if (!strict) return null;
    if (b == '/') return "the path contains an encoded slash " + esc + " at offset " + at + ", which some servers decode to /";
    if (b == ';') return "the path contains an encoded ';' " + esc + " at offset " + at + ", which some servers read as a parameter";
    if (b == '%' && at + 5 <= path.length() && Character.digit(path.charAt(at + 3), 16) >= 0
        && Character.digit(path.charAt(at + 4), 16) >= 0) {
      return "the path contains a double encoding " + quoted(path.substring(at, at + 5)) + " at offset " + at
          + ", which a second decoding turns into " + quoted("%" + path.substring(at + 3, at + 5));
    }
    return null;
  }

  /** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
  private static boolean isUnreserved(int b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
        || b == '-' || b == '.' || b == '_' || b == '~';
  }

  /** A character beyond ASCII whose NFKC form holds ASCII punctuation ({@code U+FF0E} is {@code .}), or null. */
  private static String nfkcPunctuation(String decoded) {
    for (int i = 0; i < decoded.length(); ) {
      int cp = decoded.codePointAt(i);
      i += Character.charCount(cp);
      if (cp < 0x80) continue;
      String n = Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFKC);
      for (int j = 0; j < n.length(); j++) {
        char c = n.charAt(j);
        if (c < 0x80 && !Character.isLetterOrDigit(c)) {
          return String.format("the path contains U+%04X, which Unicode normalisation (NFKC) turns into %s", cp,
              quoted(n));
        }
      }
    }
    return null;
  }

  private static String segmentAt(String path, int i) {
    int start = path.lastIndexOf('/', i) + 1;
    int end = path.indexOf('/', i);
    return path.substring(start, end < 0 ? path.length() : end);
  }

  private static String describe(char c) {
    if (c == 0) return "a NUL (%00)";
    if (c == ' ') return "a space";
    if (c == '#') return "a '#'";
    if (c > 0xff) return String.format("the character U+%04X", (int) c);
    return String.format("the byte %%%02X", (int) c);
  }

  /**
   * {@code s} in double quotes, cut at {@value #QUOTED_MAX} characters, with every character outside
   * printable ASCII (and {@code "}) percent-encoded: a refusal never echoes a raw control byte.
   */
  static String quoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    int n = Math.min(s.length(), QUOTED_MAX);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c > 0x20 && c < 0x7f && c != '"') {
        b.append(c);
      } else {
        for (byte x : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) b.append(String.format("%%%02X", x & 0xff));
      }
    }
    return b.append(s.length() > n ? "...\"" : "\"").toString();
  }
}
