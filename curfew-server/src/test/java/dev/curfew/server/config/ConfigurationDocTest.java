package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * docs/configuration.md against the configuration reader: for every section, an unknown key makes
 * the reader list the keys it knows there, and each of those must be documented on the page, under
 * the dotted name the page uses for it.
 */
class ConfigurationDocTest {
  private static final Path DOC = Path.of("..", "docs", "configuration.md");
  private static final Pattern KNOWN = Pattern.compile("unknown key \\(known: ([^)]*)\\)");

  /** A configuration with an unknown key {@code zzz} in one section, and how the page names that section's keys. */
  @ParameterizedTest(name = "keys of \"{1}\"")
  @CsvSource(delimiter = '|', value = {
      "zzz: 1|''",
      "server: {zzz: 1}|server.",
      "server: {tls: {zzz: 1}}|server.tls.",
      "server: {tls: {cert: c.pem, key: k.pem, hsts: {zzz: 1}}}|server.tls.hsts.",
      "api_keys: [{zzz: 1}]|api_keys[].",
      "redis: {zzz: 1}|redis.",
      "postgres: {zzz: 1}|postgres.",
      "policies: {standard: {zzz: 1}}|policies.NAME.",
      "gateway: {zzz: 1}|gateway.",
      "gateway: {routes: [{zzz: 1}]}|gateway.routes[].",
      "metrics: {zzz: 1}|metrics.",
      "notify: {zzz: 1}|notify.",
      "notify: {webhooks: [{zzz: 1}]}|notify.webhooks[].",
      "notify: {backchannel_logout: [{zzz: 1}]}|notify.backchannel_logout[].",
      "rate_limits: {zzz: 1}|rate_limits.",
      "rate_limits: {open_per_key: {zzz: 1}}|rate_limits.*.",
      "databases: [{zzz: 1}]|databases[].",
      "databases: [{name: d, protocol: postgres, listen: \"127.0.0.1:0\", upstream: \"127.0.0.1:5432\", user: u, tls: {zzz: 1}}]|databases[].tls.",
      "databases: [{name: d, protocol: postgres, listen: \"127.0.0.1:0\", upstream: \"127.0.0.1:5432\", user: u, upstream_tls: {zzz: 1}}]|databases[].upstream_tls.",
      "ssh: {zzz: 1}|ssh.",
      "ssh: {targets: [{zzz: 1}]}|ssh.targets[].",
      "identity_providers: [{zzz: 1}]|identity_providers[].",
      "witnesses: [{zzz: 1}]|witnesses[].",
      "tracing: {zzz: 1}|tracing.",
  })
  void everyKeyTheReaderKnowsIsDocumented(String yaml, String documentedAs) throws Exception {
    String doc = Files.readString(DOC);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> CurfewConfig.parse(yaml, false));
    assertThat(e).as("an unknown key in %s is refused", yaml).isNotNull();
    Matcher m = KNOWN.matcher(e.getMessage());
    assertThat(m.find()).as("the error names the known keys: %s", e.getMessage()).isTrue();

    List<String> undocumented = new ArrayList<>();
    for (String key : m.group(1).split(", ")) {
      if (!doc.contains("`" + documentedAs + key + "`")) undocumented.add(documentedAs + key);
    }
    assertThat(undocumented).as("keys the reader accepts that %s does not document", DOC).isEmpty();
  }

  @Test
  void theExampleOnThePageIsAValidConfiguration() throws Exception {
    String doc = Files.readString(DOC);
    Matcher m = Pattern.compile("## A complete example\\s+```yaml\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(m.find()).isTrue();

    CurfewConfig cfg = CurfewConfig.parse(m.group(1));

    assertThat(cfg.defaultPolicy()).isEqualTo("standard");
    assertThat(cfg.gateway().routes()).hasSize(1);
    assertThat(cfg.notifications().webhooks()).hasSize(1);
  }

  @Test
  void theErrorQuotedOnThePageIsTheOneTheReaderGives() throws Exception {
    String doc = Files.readString(DOC);
    assertThatThrownBy(() -> CurfewConfig.parse("gateway: {routes: [{path: /, upstram: \"http://127.0.0.1:3000\"}]}"))
        .satisfies(e -> assertThat(doc).contains("`" + e.getMessage() + "`"));
  }
}
