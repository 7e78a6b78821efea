package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The verifier's fast canonical-form check ({@link CanonicalJsonScanner}) agrees with the
 * reference: strict UTF-8, {@link Json#parseObject}, {@link CanonicalJson#write}, same text.
 */
class AuditVerifierCanonicalFormTest {

  private final CanonicalJsonScanner scanner = new CanonicalJsonScanner();

  @Test
  void handPickedLines_agreeWithReference() {
    List<String> lines = List.of(
        "{}", "{\"a\":1}", "{\"a\":-0}", "{\"a\":0}", "{\"a\":-1}", "{\"a\":01}", "{\"a\":1.0}", "{\"a\":1e3}",
        "{\"a\":9007199254740991}", "{\"a\":9007199254740992}", "{\"a\":-9007199254740991}",
        "{\"a\":12345678901234567890}", "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2}",
        "{\"a\":\"\\u0041\"}", "{\"a\":\"\\u001f\"}", "{\"a\":\"\\u001F\"}", "{\"a\":\"\\u000a\"}", "{\"a\":\"\\n\"}",
        "{\"a\":\"\\/\"}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\ud83d\ude00\"}", "{\"a\":\"\\ud800\"}",
        "{\"\ud83d\ude00\":1,\"\ue000\":2}", "{\"\ue000\":1,\"\ud83d\ude00\":2}", "{\"a\":\"\u007f\"}",
        "{\"a\":[1,[2,{\"c\":null,\"b\":true}]]}", "{\"a\":[1,[2,{\"b\":true,\"c\":null}]]}", "{\"a\":[]}",
        "{\"a\":[ ]}", " {}", "{} ", "{\"a\":tru}", "{\"a\":true}", "{\"a\":false,\"b\":null}", "[]", "\"a\"", "",
        "{\"a\":\"\\\"\\\\\\b\\f\\n\\r\\t\"}", "{\"a\":\"x\"", "{\"a\"1}", "{\"a\":1,}", "{,}", "{\"a\":-}",
        "{\"A\":1,\"a\":2,\"b\":3}", "{\"a\":{\"a\":{\"a\":{}}}}");
    for (String line : lines) {
      byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
      assertThat(scanner.scan(bytes, 0, bytes.length)).as(line).isEqualTo(reference(bytes));
    }
  }

  @Test
  void invalidUtf8_refused() {
    for (byte[] tail : new byte[][] {{(byte) 0xc0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0x80}}) {
      byte[] line = new byte[8 + tail.length];
      byte[] head = "{\"a\":\"".getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(head, 0, line, 0, head.length);
      System.arraycopy(tail, 0, line, head.length, tail.length);
      line[line.length - 2] = '"';
      line[line.length - 1] = '}';
      assertThat(scanner.scan(line, 0, line.length)).isFalse();
      assertThat(reference(line)).isFalse();
    }
  }

  @Test
  void deepNesting_agreesWithReferenceAtTheLimit() {
    for (int depth = Json.MAX_DEPTH - 2; depth <= Json.MAX_DEPTH + 2; depth++) {
      String line = "{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
      byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
      assertThat(scanner.scan(bytes, 0, bytes.length)).as("depth %d", depth).isEqualTo(reference(bytes));
    }
  }

  /** Fuzz: random canonical records, then random byte mutations; both paths must agree every time. */
  @Test
  void mutatedRecords_agreeWithReference() {
    byte[] alphabet = " \\\"u0123456789abcdefABCDEF{}[],:-.eEtrufalsn/\t\n".getBytes(StandardCharsets.US_ASCII);
    byte[] high = {(byte) 0x80, (byte) 0xbf, (byte) 0xc3, (byte) 0xa9, (byte) 0xed, (byte) 0xf0, (byte) 0x9f, 0x7f, 0x1f};
    for (long seed = 0; seed < 30_000; seed++) {
      Random random = new Random(seed);
      byte[] line = randomRecord(random);
      int mutations = random.nextInt(3);
      for (int m = 0; m < mutations && line.length > 1; m++) {
        line = mutate(random, line, random.nextInt(4) == 0 ? high : alphabet);
      }
      boolean expected = reference(line);
      assertThat(scanner.scan(line, 0, line.length))
          .as("seed %d: %s (scanner: %s)", seed, new String(line, StandardCharsets.UTF_8), scanner.problem)
          .isEqualTo(expected);
    }
  }

  private static byte[] randomRecord(Random random) {
    Map<String, Object> data = new LinkedHashMap<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      data.put(randomString(random, 6), random.nextInt(3) == 0 ? (Object) (long) (random.nextInt() >> random.nextInt(32))
          : random.nextBoolean() ? randomString(random, 12) : List.of(randomString(random, 3), 7L, true));
    }
    return AuditRecord.builder("session.extended", Math.abs(random.nextLong() % 4_000_000_000_000L), randomString(random, 5))
        .session(randomString(random, 8), "u", "p", 1).put("data", data).build()
        .canonicalLine(random.nextInt(1000), 0);
  }

  private static String randomString(Random random, int maxLength) {
    String pool = "ab\"\\\n\t\u0001\u001f\u007f\u00e9\u20ac\ue000\ud83d\ude00 /";
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(maxLength + 1); i > 0; i--) {
      int at = random.nextInt(pool.length());
      char c = pool.charAt(at);
      if (Character.isHighSurrogate(c)) {
        s.append(c).append(pool.charAt(at + 1));
      } else if (!Character.isLowSurrogate(c)) {
        s.append(c);
      }
    }
    return s.toString();
  }

  private static byte[] mutate(Random random, byte[] line, byte[] alphabet) {
    int at = random.nextInt(line.length);
    byte b = alphabet[random.nextInt(alphabet.length)];
    ByteBuffer out = ByteBuffer.allocate(line.length + 1);
    switch (random.nextInt(3)) {
      case 0: // replace
        byte[] copy = line.clone();
        copy[at] = b;
        return copy;
      case 1: // insert
        out.put(line, 0, at).put(b).put(line, at, line.length - at);
        return java.util.Arrays.copyOf(out.array(), line.length + 1);
      default: // delete
        out.put(line, 0, at).put(line, at + 1, line.length - at - 1);
        return java.util.Arrays.copyOf(out.array(), line.length - 1);
    }
  }

  /** The definition: valid UTF-8, a JSON object, and CanonicalJson writes the same text. */
  static boolean reference(byte[] bytes) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return false;
    }
    try {
      return CanonicalJson.write(Json.parseObject(text)).equals(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
