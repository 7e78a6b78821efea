package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of the JSON readers that see untrusted bytes: audit files and
 * evidence bundles given to verify. Seeds and findings are kept in {@code JsonFuzzTestInputs/}.
 * Without {@code JAZZER_FUZZ} these run on the kept inputs only, as ordinary tests.
 */
class JsonFuzzTest {

  /**
   * {@link Json#parse} either returns a value or throws IllegalArgumentException; a value that
   * canonical JSON can hold survives a write and a read unchanged.
   */
  @FuzzTest
  void parse_returnsOrRefuses_andCanonicalFormRoundTrips(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Object value;
    try {
      value = Json.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    String canonical;
    try {
      canonical = CanonicalJson.write(value);
    } catch (IllegalArgumentException notCanonical) {
      return; // fractions, integers beyond 2^53: readable, but not in records
    }
    Object again = Json.parse(canonical);
    assertThat(again).isEqualTo(value);
    assertThat(CanonicalJson.write(again)).isEqualTo(canonical);
  }

  /**
   * The verifier's fast path ({@link CanonicalJsonScanner}) accepts exactly the lines that the
   * reference path (strict UTF-8, {@link Json}, {@link CanonicalJson}) writes back byte for byte.
   */
  @FuzzTest
  void scanner_agreesWithTheReferencePath(byte[] input) {
    CanonicalJsonScanner scanner = new CanonicalJsonScanner();
    boolean fast = scanner.scan(input, 0, input.length);
    boolean reference = reference(input);
    assertThat(fast).as("scanner (problem: %s) vs reference on %s", scanner.problem,
        new String(input, StandardCharsets.UTF_8)).isEqualTo(reference);
  }

  private static boolean reference(byte[] input) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(input)).toString();
    } catch (CharacterCodingException e) {
      return false;
    }
    try {
      Object v = Json.parse(text);
      return v instanceof java.util.Map && CanonicalJson.write(v).equals(text)
          && ((java.util.Map<?, ?>) v).size() <= CanonicalJsonScanner.MAX_MEMBERS;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
