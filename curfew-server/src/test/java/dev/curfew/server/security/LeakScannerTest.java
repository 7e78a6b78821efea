package dev.curfew.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Tokens;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scanner of the token-leak test finds each form it claims to find, and nothing else. */
class LeakScannerTest {
  @TempDir Path dir;
  private final String token = Tokens.newToken();
  private final LeakScanner scanner = LeakScanner.withHashes(Map.of("t", token));

  private List<String> forms(String content) {
    return scanner.scan("x", content.getBytes(StandardCharsets.ISO_8859_1)).stream().map(LeakScanner.Hit::form).toList();
  }

  @Test
  void findsEveryForm() throws Exception {
    byte[] random = Base64.getUrlDecoder().decode(token.substring(4));
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    assertThat(forms("log: token=" + token + " refused")).contains("verbatim", "its last 16 characters");
    assertThat(forms("Authorization: Bearer " + token.substring(0, 30) + "...")).isEmpty(); // a prefix alone is not looked for
    assertThat(forms("...xx" + token.substring(token.length() - 16) + "\"")).containsExactly("its last 16 characters");
    assertThat(forms(Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)))).contains("base64");
    assertThat(forms(new String(random, StandardCharsets.ISO_8859_1))).containsExactly("its random bytes");
    assertThat(forms(HexFormat.of().withUpperCase().formatHex(random))).contains("its random bytes in HEX", "its random bytes in hex");
    assertThat(forms(Base64.getEncoder().encodeToString(random))).contains("its random bytes in base64");
    assertThat(forms("{\"token_sha256\":\"" + HexFormat.of().formatHex(sha) + "\"}")).containsExactly("SHA-256 hex", "SHA-256 HEX");
    assertThat(forms(new String(sha, StandardCharsets.ISO_8859_1))).containsExactly("SHA-256");
    assertThat(forms("cft_" + Tokens.newToken().substring(4))).isEmpty();
  }

  @Test
  void scansEveryFileOfATree_andNamesItByItsPath() throws Exception {
    Files.createDirectories(dir.resolve("a/b"));
    Files.writeString(dir.resolve("a/b/log.txt"), "nothing here\n");
    Files.write(dir.resolve("a/snapshot.bin"), ("\0\1" + token + "\2").getBytes(StandardCharsets.ISO_8859_1));
    assertThat(scanner.scanTree(dir)).extracting(LeakScanner.Hit::where).containsOnly("a/snapshot.bin");
    assertThat(LeakScanner.of(Map.of("t", token), false).scan("x",
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)))
            .getBytes(StandardCharsets.US_ASCII))).as("hashes only when asked for").isEmpty();
  }
}
