package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.audit.CanonicalJson;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsers behind the HTTP API, fuzzed on their own (fast, so the fuzzer goes deep): request
 * bodies, the Authorization header of backends. {@link HttpFuzzTest} sends whole requests to a
 * real server.
 */
class HttpInputsFuzzTest {
  private static final String KEY = "k3y-for-tests-0123456789";
  private static final ApiKeys KEYS = ApiKeys.of(List.of(ApiKey.ofSecret("app-backend", KEY)));

  /**
   * A create body is read or refused as bad input (a 400), never another exception; whatever is
   * accepted can be written into an audit record (canonical JSON), so accepting it cannot turn into
   * a failed append later.
   */
  @FuzzTest
  void createBody_isReadOrRefused_andWhatIsReadFitsARecord(byte[] body) {
    Map<String, Object> attributes;
    String subject;
    try {
      ObjectNode node = JsonBodies.object(body, false);
      JsonBodies.onlyFields(node, Set.of("subject", "policy", "attributes"));
      subject = JsonBodies.text(node, "subject", true, 256);
      JsonBodies.text(node, "policy", false, 128);
      JsonBodies.bool(node, "touch", true);
      attributes = JsonBodies.attributes(node, "attributes");
    } catch (JsonBodies.BadInput refused) {
      assertThat(refused.getMessage()).isNotBlank();
      return;
    }
    assertThatCode(() -> CanonicalJson.write(subject)).doesNotThrowAnyException();
    if (attributes != null) {
      assertThatCode(() -> CanonicalJson.write(attributes)).as("attributes %s", attributes).doesNotThrowAnyException();
    }
  }

  /** An Authorization header names the key only when it carries that key, as Bearer or as Basic. */
  @FuzzTest
  void authorizationHeader_matchesOnlyTheRealKey(byte[] input) {
    String header = new String(input, StandardCharsets.UTF_8);
    var name = KEYS.verify(header);
    if (name.isEmpty()) return;
    assertThat(name).hasValue("app-backend");
    String h = header.trim();
    String credentials = h.substring(h.indexOf(' ') + 1).trim();
    if (h.regionMatches(true, 0, "bearer ", 0, 7)) {
      assertThat(credentials).isEqualTo(KEY);
    } else {
      String decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
      assertThat(decoded).isEqualTo("app-backend:" + KEY);
    }
  }
}
