package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyBootstrapTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final PrintStream log = new PrintStream(out, true, StandardCharsets.UTF_8);

  private List<KeyBootstrap.NamedKeyHash> resolve(CurfewConfig cfg, Map<String, String> env) {
    return KeyBootstrap.resolve(cfg, env, dir, log);
  }

  @Test
  void aCreatedKeyIsKeptWithItsHash_andOnceTheKeyFileIsGoneTheHashIsEnough() throws Exception {
    KeyBootstrap.NamedKeyHash created = resolve(CurfewConfig.defaults(), Map.of()).get(0);
    Path keyFile = dir.resolve(KeyBootstrap.KEY_FILE);
    Path hashFile = dir.resolve(KeyBootstrap.KEY_HASH_FILE);
    String key = Files.readString(keyFile).trim();
    assertThat(created.name()).isEqualTo("default");
    assertThat(created.scopes()).containsExactly("admin");
    assertThat(created.sha256Hex()).isEqualTo(KeyBootstrap.sha256Hex(key)).isEqualTo(Files.readString(hashFile).trim());
    for (Path p : List.of(keyFile, hashFile)) {
      assertThat(Files.getPosixFilePermissions(p)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains(keyFile.toString()).doesNotContain(key);

    Files.delete(keyFile);
    out.reset();
    assertThat(resolve(CurfewConfig.defaults(), Map.of()).get(0).sha256Hex()).isEqualTo(created.sha256Hex());
    assertThat(keyFile).doesNotExist();
    assertThat(out.toString(StandardCharsets.UTF_8)).as("no new key was made").isEmpty();

    Files.writeString(keyFile, "replaced-key-0123456789\n"); // an operator's rotation
    assertThat(resolve(CurfewConfig.defaults(), Map.of()).get(0).sha256Hex())
        .isEqualTo(KeyBootstrap.sha256Hex("replaced-key-0123456789")).isEqualTo(Files.readString(hashFile).trim());
  }

  /** The line that says where the new key is comes once the file holds it: a script may read it at once. */
  @Test
  void whereTheKeyIsIsSaidOnlyOnceTheKeyFileHoldsIt() {
    Path keyFile = dir.resolve(KeyBootstrap.KEY_FILE);
    List<String> seenWhenSaid = new java.util.ArrayList<>();
    PrintStream watching = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8) {
      @Override
      public void println(String line) {
        try {
          seenWhenSaid.add(line.contains(keyFile.toString()) && Files.exists(keyFile)
              ? Files.readString(keyFile).trim() : "(not there yet) " + line);
        } catch (java.io.IOException e) {
          seenWhenSaid.add("(unreadable) " + e);
        }
      }
    };

    KeyBootstrap.NamedKeyHash created = KeyBootstrap.resolve(CurfewConfig.defaults(), Map.of(), dir, watching).get(0);

    assertThat(seenWhenSaid).hasSize(1);
    assertThat(KeyBootstrap.sha256Hex(seenWhenSaid.get(0))).as("the whole key was in the file when it was named")
        .isEqualTo(created.sha256Hex());
  }

  @Test
  void aDamagedHashFileIsAStartUpError() throws Exception {
    Files.writeString(dir.resolve(KeyBootstrap.KEY_HASH_FILE), "not a hash\n");
    assertThatThrownBy(() -> resolve(CurfewConfig.defaults(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining(KeyBootstrap.KEY_HASH_FILE);
  }

  @Test
  void configuredKeysKeepTheirScopes_theEnvironmentKeyIsAdmin_andNoFileIsMade() {
    CurfewConfig cfg = CurfewConfig.parse("api_keys:\n  - {name: edge, key_env: EDGE_KEY, scopes: [gateway]}\n");
    List<KeyBootstrap.NamedKeyHash> keys = resolve(cfg, Map.of("EDGE_KEY", "edge-secret", "CURFEW_API_KEY", "env-secret"));
    assertThat(keys).extracting(KeyBootstrap.NamedKeyHash::name).containsExactly("default", "edge");
    assertThat(keys.get(0).scopes()).containsExactly("admin");
    assertThat(keys.get(1).scopes()).containsExactly("gateway");
    assertThat(keys.get(1).sha256Hex()).isEqualTo(KeyBootstrap.sha256Hex("edge-secret"));
    assertThat(dir.resolve(KeyBootstrap.KEY_FILE)).doesNotExist();
  }
}
