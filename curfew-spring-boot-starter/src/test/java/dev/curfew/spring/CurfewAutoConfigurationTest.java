package dev.curfew.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.client.CurfewClient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** When the auto-configuration takes part: only with {@code curfew.url}, and then only with a key. */
class CurfewAutoConfigurationTest {
  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(CurfewAutoConfiguration.class));

  @Test
  void withoutAUrlTheStarterStaysOut() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(CurfewClient.class);
      assertThat(context).doesNotHaveBean(CurfewSessions.class);
    });
  }

  @Test
  void aUrlWithoutAKeyIsAStartUpErrorNamingTheProperty() {
    runner.withPropertyValues("curfew.url=http://127.0.0.1:9").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.api-key"));
  }

  @Test
  void aUrlAndAKeyGiveTheClientAndTheSessions() {
    runner.withPropertyValues("curfew.url=http://127.0.0.1:9", "curfew.api-key=k", "curfew.passive-paths=/a/**,/b")
        .run(context -> {
          assertThat(context).hasSingleBean(CurfewClient.class).hasSingleBean(CurfewSessions.class);
          assertThat(context.getBean(CurfewProperties.class).getPassivePaths()).containsExactly("/a/**", "/b");
        });
  }

  @Test
  void anEmptyUrlIsNoUrl() {
    runner.withPropertyValues("curfew.url=").run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(CurfewClient.class);
    });
    runner.withPropertyValues("curfew.url=  ", "curfew.api-key=k").run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(CurfewClient.class);
    });
  }

  @Test
  void aUrlThatIsNotHttpIsAStartUpErrorNamingTheProperty() {
    runner.withPropertyValues("curfew.url=localhost:19802", "curfew.api-key=k").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.url: not an http(s) URL: localhost:19802"));
    runner.withPropertyValues("curfew.url=ftp://h/", "curfew.api-key=k").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.url: not an http(s) URL: ftp://h/"));
    runner.withPropertyValues("curfew.url=http:///nohost", "curfew.api-key=k").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.url"));
  }

  @Test
  void aLoginPathOrPassivePathWithoutALeadingSlashIsAStartUpErrorNamingTheProperty() {
    runner.withPropertyValues("curfew.url=http://127.0.0.1:9", "curfew.api-key=k", "curfew.login-path=signin").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.login-path: not a path of the app (/login): signin"));
    runner.withPropertyValues("curfew.url=http://127.0.0.1:9", "curfew.api-key=k", "curfew.login-path=/signin?x=1").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.login-path"));
    runner.withPropertyValues("curfew.url=http://127.0.0.1:9", "curfew.api-key=k", "curfew.passive-paths=/ok/**,api/unread").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.passive-paths[1]").hasMessageContaining("api/unread"));
    runner.withPropertyValues("curfew.url=http://127.0.0.1:9", "curfew.api-key=k", "curfew.passive-paths=/a/**/b/{").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("curfew.passive-paths[0]"));
  }
}
