package dev.curfew.gateway.mysql;

import java.util.ArrayList;
import java.util.List;

/**
 * A client's {@code KILL} as the gateway reads it (docs/gateway-mysql.md, "Cancelling a
 * statement"). Every connection of the gateway runs upstream under the one configured login, and a
 * login may always kill its own threads: a KILL relayed upstream would reach whichever connection
 * holds that thread id, another person's included. So no text that holds a KILL statement is ever
 * relayed: the forms standard clients send are taken by the gateway, every other one is refused.
 *
 * <p>Taken: {@code KILL [HARD] [CONNECTION | QUERY] <digits>} as a statement of its own, in any
 * case, with whitespace, comments and trailing semicolons; the mariadb and mysql CLIs send {@code
 * KILL QUERY <id>} on Ctrl-C and {@code KILL <id>} on a second one, Connector/J {@code KILL QUERY
 * <id>} from {@code Statement.cancel()}, Connector/ODBC <code>KILL /*!50000 QUERY *&#47; &lt;id&gt;</code>.
 * Refused: MariaDB's {@code KILL SOFT} (the gateway's kill upstream is the hard one), {@code KILL
 * QUERY ID} (a query id, which the gateway does not know), {@code KILL USER} (every gateway
 * connection is the same upstream user), an expression for the id, and KILL anywhere else in the
 * text (after another statement, in a compound statement or a stored program's body).
 *
 * <p>The text is not parsed as SQL; it is cut into words the way the server's lexer does (MariaDB
 * "Comment Syntax", "Identifier Names", "String Literals"): quoted strings and identifiers are
 * skipped, comments too except executable ones (<code>/*!...*&#47;</code>, <code>/*M!...*&#47;</code>), whose
 * content is read as code whatever its version. KILL is a reserved word, so a bare {@code KILL}
 * that does not follow a dot ({@code t.kill} names a column) can only start a KILL statement. A
 * backslash escapes a quote unless {@code NO_BACKSLASH_ESCAPES} is set, which the gateway does not
 * know: a text is read both ways, and holds a KILL when either way finds one.
 *
 * @param query {@code KILL QUERY} (else {@code KILL [CONNECTION]})
 * @param id the connection id as written, without leading zeros; null when refused
 * @param refused what the gateway does not take, for the client's error; null when taken
 */
record MyKill(boolean query, String id, String refused) {
  /** The token that stands for a quoted string or identifier (no word can be it). */
  private static final String QUOTED = "'";

  /** The KILL {@code text} holds, or null when it holds none (most statements: one scan for the letters). */
  static MyKill read(String text) {
    if (!mentionsKill(text)) return null;
    List<String> words = words(text, true);
    if (!holdsKill(words) && !holdsKill(words(text, false))) return null;
    return parse(words);
  }

  /** The id as a number, or -1 when it is longer than any connection id. */
  long idValue() {
    return id == null || id.length() > 10 ? -1 : Long.parseLong(id);
  }

  private static MyKill refused(String what) {
    return new MyKill(false, null, what);
  }

  private static MyKill parse(List<String> t) {
    int end = t.size();
    while (end > 0 && t.get(end - 1).equals(";")) end--;
    if (end == 0 || !is(t.get(0), "KILL") || t.subList(0, end).contains(";")) {
      return refused("KILL together with other statements");
    }
    int i = 1;
    if (i < end && is(t.get(i), "SOFT")) return refused("KILL SOFT");
    if (i < end && is(t.get(i), "HARD")) i++;
    boolean query = false;
    if (i < end && is(t.get(i), "QUERY")) {
      query = true;
      i++;
      if (i < end && is(t.get(i), "ID")) return refused("KILL QUERY ID");
    } else if (i < end && is(t.get(i), "CONNECTION")) {
      i++;
    }
    if (i < end && is(t.get(i), "USER")) return refused("KILL USER");
    if (i != end - 1 || !digits(t.get(i))) return refused("KILL of an expression");
    String id = t.get(i).replaceFirst("^0+(?=.)", "");
    return new MyKill(query, id, null);
  }

  private static boolean is(String word, String keyword) {
    return word.equalsIgnoreCase(keyword);
  }

  private static boolean digits(String word) {
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if (c < '0' || c > '9') return false;
    }
    return !word.isEmpty();
  }

  private static boolean holdsKill(List<String> words) {
    for (int i = 0; i < words.size(); i++) {
      if (is(words.get(i), "KILL") && (i == 0 || !words.get(i - 1).equals("."))) return true;
    }
    return false;
  }

  private static boolean mentionsKill(String text) {
    for (int i = text.length() - 4; i >= 0; i--) {
      char c = text.charAt(i);
      if ((c == 'k' || c == 'K') && text.regionMatches(true, i, "kill", 0, 4)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ the words of a text

  /** The text's words, punctuation marks and {@link #QUOTED} tokens, comments left out. */
  static List<String> words(String s, boolean backslashEscapes) {
    List<String> out = new ArrayList<>();
    int n = s.length();
    boolean executable = false; // inside an executable comment: its content is code
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b) {
        i++;
      } else if (c == '#' || (c == '-' && at(s, i + 1) == '-' && (i + 2 >= n || s.charAt(i + 2) <= ' '))) {
        while (i < n && s.charAt(i) != '\n') i++; // "-- " needs a space or control character after it
      } else if (c == '/' && at(s, i + 1) == '*') {
        if (at(s, i + 2) == '!' || (at(s, i + 2) == 'M' && at(s, i + 3) == '!')) {
          i += at(s, i + 2) == '!' ? 3 : 4;
          while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 0x80) i++; // the version
          executable = true;
        } else {
          int close = s.indexOf("*/", i + 2);
          i = close < 0 ? n : close + 2;
        }
      } else if (c == '*' && executable && at(s, i + 1) == '/') {
        executable = false;
        i += 2;
      } else if (c == '\'' || c == '"' || c == '`') {
        i = afterQuoted(s, i, backslashEscapes && c != '`');
        out.add(QUOTED);
      } else if (c == '@') { // a variable: @name, @@name, @'name'
        i++;
        if (at(s, i) == '@') i++;
        char q = at(s, i);
        if (q == '\'' || q == '"' || q == '`') {
          i = afterQuoted(s, i, backslashEscapes && q != '`');
        } else {
          while (i < n && wordChar(s.charAt(i))) i++;
        }
        out.add("@");
      } else if (wordChar(c)) {
        int start = i;
        while (i < n && wordChar(s.charAt(i))) i++;
        out.add(s.substring(start, i));
      } else {
        out.add(String.valueOf(c));
        i++;
      }
    }
    return out;
  }

  private static char at(String s, int i) {
    return i < s.length() ? s.charAt(i) : 0;
  }

  /** Identifier characters: ASCII letters and digits, {@code _}, {@code $}, and U+0080 and above. */
  private static boolean wordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
  }

  /** The index after the quoted string or identifier opening at {@code i} (a doubled quote stays inside). */
  private static int afterQuoted(String s, int i, boolean backslashEscapes) {
    char q = s.charAt(i);
    int n = s.length();
    i++;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\\' && backslashEscapes) {
        i += 2;
      } else if (c == q) {
        if (at(s, i + 1) != q) return i + 1;
        i += 2;
      } else {
        i++;
      }
    }
    return n;
  }
}
