package dev.curfew.server.http;

import static dev.curfew.server.http.RequestTarget.Port.FORWARDING;
import static dev.curfew.server.http.RequestTarget.Port.ROUTING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.gateway.ServletStyleUpstream;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestTargetTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "/login/..;/secret            | ';' parameter",
      "/login;jsessionid=1          | ';' parameter",
      "/login/..\\secret            | backslash",
      "/login/..%5csecret           | encoded backslash %5c",
      "/login/..%5Csecret           | encoded backslash %5C",
      "/login/%252e%252e/secret     | double encoding \"%252e\"",
      "/login/..%252fsecret         | double encoding",
      "/login/%2e%2e/secret         | encoded dot %2e",
      "/login/%2E./secret           | encoded dot %2E",
      "/login/%41                   | encoded unreserved character %41",
      "/login/../secret             | dot segment \"..\"",
      "/login/./x                   | dot segment \".\"",
      "/login/..                    | dot segment",
      "/login/.                     | dot segment",
      "/login//secret               | empty segment",
      "//secret                     | empty segment",
      "/login/..%2fsecret           | encoded slash %2f",
      "/login/..%2Fsecret           | encoded slash %2F",
      "/login/%3bx                  | encoded ';' %3b",
      "/login%00                    | encoded control character %00",
      "/login%1f                    | encoded control character %1f",
      "/login%7F                    | encoded control character %7F",
      "/login/%                     | does not start a %HH escape",
      "/login/%g0                   | does not start a %HH escape",
      "/login/%2                    | does not start a %HH escape",
      "/login/%c0%ae%c0%ae/secret   | not valid UTF-8",
      "/login/%e0%80%ae             | not valid UTF-8",
      "/login/%ed%a0%80             | not valid UTF-8",
      "/login/%c3                   | not valid UTF-8",
      "/login/%ef%bc%8e%ef%bc%8e/x  | U+FF0E",
      "/login/..%ef%bc%8fsecret     | U+FF0F",
      "/login/%ef%bc%bcx            | U+FF3C",
  })
  void theGatewayRefusesEveryPathThatAnyCommonNormalisationChanges(String path, String named) {
    assertThat(RequestTarget.pathAmbiguity(path, FORWARDING)).as(path).isNotNull().contains(named);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/login", "/login/", "/a/b/c", "/caf%C3%A9", "/a%20b", "/100%25", "/100%25x",
      "/a:b@c,d+e=f!$&'()*", "/a.b/c..d/...", "/.well-known/x", "/%E2%82%AC", "/a%3Fb", "/a%23b", "/%e6%97%a5%e6%9c%ac",
      "/%ef%bc%a1" /* full-width A: NFKC folds it to a letter, not to punctuation */})
  void ordinaryPathsPass(String path) {
    assertThat(RequestTarget.pathAmbiguity(path, FORWARDING)).as(path).isNull();
    assertThat(RequestTarget.pathAmbiguity(path, ROUTING)).as(path).isNull();
  }

  @Test
  void rawControlCharactersAndBytesBeyondAsciiAreNamedWithoutBeingEchoed() {
    for (char c : new char[] {0, 1, 9, 0x1b, 0x7f}) {
      String why = RequestTarget.pathAmbiguity("/login/" + c + "/x", FORWARDING);
      assertThat(why).contains("control character").contains("offset 7");
      assertThat(why.chars().noneMatch(x -> x < 0x20 || x == 0x7f)).as(why).isTrue();
    }
    assertThat(RequestTarget.pathAmbiguity("/login/\u00c0\u00ae", FORWARDING)).contains("%C0").contains("offset 7");
    assertThat(RequestTarget.pathAmbiguity("/a b", FORWARDING)).contains("a space");
    assertThat(RequestTarget.pathAmbiguity("/a#b", FORWARDING)).contains("'#'");
    assertThat(RequestTarget.quoted("a\u0000b\"c\u00e9")).isEqualTo("\"a%00b%22c%C3%A9\"");
    assertThat(RequestTarget.quoted("x".repeat(200))).hasSize(80 + 5).endsWith("...\"");
  }

  @Test
  void theApiRefusesOnlyWhatWouldRouteItElsewhere_andNonsense() {
    // the router sees another path: refused
    for (String p : List.of("/v1/../v1/sessions", "/v1/%73essions", "/v1//sessions", "/v1/sessions/.", "/v1/%2e%2e/x",
        "/v1/sessions%00", "/v1\\sessions", "/v1/%c0%ae")) {
      assertThat(RequestTarget.pathAmbiguity(p, ROUTING)).as(p).isNotNull();
    }
    // one segment to the router, decoded as a parameter: a subject may contain / ; % and \ when encoded
    for (String p : List.of("/v1/subjects/a%2Fb/revoke", "/v1/subjects/a;b/revoke", "/v1/subjects/a%3Bb/revoke",
        "/v1/subjects/100%2541/revoke", "/v1/policies/x;y")) {
      assertThat(RequestTarget.pathAmbiguity(p, ROUTING)).as(p).isNull();
      assertThat(RequestTarget.pathAmbiguity(p, FORWARDING)).as(p).isNotNull();
    }
  }

  @Test
  void targetForms_originOnly_asteriskOnlyForOptions_noConnect() {
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "/x?a=b", FORWARDING)).isNull();
    assertThat(RequestTarget.targetRefusal(HttpMethod.OPTIONS, "*", FORWARDING)).isNull();
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "*", FORWARDING).detail()).contains("only for OPTIONS");
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "http://h/x", FORWARDING).detail())
        .contains("origin-form").contains("\"http://h/x\"");
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "http://h/x", ROUTING)).isNotNull();
    assertThat(RequestTarget.targetRefusal(HttpMethod.CONNECT, "h:443", FORWARDING).slug()).isEqualTo("request-target-refused");
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "/x/../y", FORWARDING).slug()).isEqualTo("ambiguous-path");
    // the query is the app's, but bytes that no URI holds are refused there too
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "/x?a=%2e%2e%2f;b", FORWARDING)).isNull();
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "/x?a=\u0000", FORWARDING).detail()).contains("NUL");
    assertThat(RequestTarget.targetRefusal(HttpMethod.GET, "", FORWARDING)).isNotNull();
  }

  @Test
  void hosts_exactlyOneInHttp11_atMostOneInHttp10_eachOneHostWithAnOptionalPort() {
    assertThat(RequestTarget.hostRefusal(true, List.of("localhost"))).isNull();
    assertThat(RequestTarget.hostRefusal(true, List.of("[::1]:8443"))).isNull();
    assertThat(RequestTarget.hostRefusal(true, List.of("app.example.com:443"))).isNull();
    assertThat(RequestTarget.hostRefusal(false, List.of())).isNull();
    assertThat(RequestTarget.hostRefusal(true, List.of()).detail()).contains("needs a Host");
    assertThat(RequestTarget.hostRefusal(false, List.of("a", "b")).detail()).contains("2 Host headers");
    for (String h : List.of("a, b", "a/b", "u@a", "a:1:2", "a b", "", "a:", "a:123456", "[::1", "a\u0000")) {
      assertThat(RequestTarget.hostRefusal(true, List.of(h))).as(h).isNotNull();
      assertThat(RequestTarget.hostRefusal(true, List.of(h)).detail().chars().noneMatch(c -> c < 0x20)).isTrue();
    }
  }

  /**
   * Whatever the gateway lets through, the servlet-style mapping only decodes: random paths from an
   * alphabet of tricks, on a fixed seed.
   */
  @Test
  void whatPassesTheGatewayMeansOnePathToEveryNormaliser() {
    long seed = 20261203L;
    Random random = new Random(seed);
    List<String> atoms = List.of("/", "a", ".", "..", ";", "%2e", "%2f", "%5c", "%25", "%00", "%c0", "%ae", "%41",
        "%20", "\\", "x", "%ef%bc%8e", "2e", "%3b", "%e2%82%ac");
    int passed = 0;
    for (int n = 0; n < 20_000; n++) {
      StringBuilder b = new StringBuilder("/");
      int len = 1 + random.nextInt(8);
      for (int i = 0; i < len; i++) b.append(atoms.get(random.nextInt(atoms.size())));
      String path = b.toString();
      if (RequestTarget.pathAmbiguity(path, FORWARDING) != null) continue;
      passed++;
      // one decoding, and nothing else: no segment removed, merged, split or cut
      String mapped = ServletStyleUpstream.map(path);
      assertThat(mapped).as("seed " + seed + ": " + path).isEqualTo(ServletStyleUpstream.decode(path));
    }
    assertThat(passed).as("enough paths pass to mean something").isGreaterThan(500);
  }

  /**
   * The hand-written Host checks accept exactly what the regular expressions they replaced accept
   * (kept here as the reference), on random strings of the characters that matter.
   */
  @Test
  void hostChecksAgreeWithTheirRegularExpressions() {
    java.util.regex.Pattern host = java.util.regex.Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?");
    String alphabet = "aZf9G0[]:.-_~ \t/@%x1";
    long seed = 0x4057L;
    Random random = new Random(seed);
    int accepted = 0;
    for (int i = 0; i < 50_000; i++) {
      StringBuilder b = new StringBuilder();
      int len = random.nextInt(14);
      for (int k = 0; k < len; k++) b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      String raw = b.toString();
      String trimmed = raw.replaceAll("^[ \t]+|[ \t]+$", "");
      assertThat(RequestTarget.withoutOws(raw)).as("seed " + seed + ": [" + raw + "]").isEqualTo(trimmed);
      boolean expected = host.matcher(trimmed).matches();
      assertThat(RequestTarget.wellFormedHost(trimmed)).as("seed " + seed + ": [" + trimmed + "]").isEqualTo(expected);
      if (expected) accepted++;
    }
    for (String h : List.of("[::1]:8080", "[2001:db8::1]", "app.example:65535", "a:123456", "[]", "[::1", "app:", ":80")) {
      assertThat(RequestTarget.wellFormedHost(h)).as(h).isEqualTo(host.matcher(h).matches());
    }
    assertThat(accepted).as("enough hosts pass to mean something").isGreaterThan(1_000);
  }
}
