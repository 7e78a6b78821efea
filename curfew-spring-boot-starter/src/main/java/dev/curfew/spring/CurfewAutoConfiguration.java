package dev.curfew.spring;

import dev.curfew.client.CurfewClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;

/**
 * With {@code curfew.url} set (not empty) in a servlet app with Spring Security: a {@link CurfewClient} for
 * the server, the {@link CurfewSessions} of requests, and (through {@link CurfewHttpConfigurer})
 * Curfew in every security filter chain.
 */
@AutoConfiguration
@ConditionalOnClass(HttpSecurity.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@Conditional(CurfewAutoConfiguration.UrlSet.class)
@EnableConfigurationProperties(CurfewProperties.class)
public class CurfewAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean
  public CurfewClient curfewClient(CurfewProperties properties) {
    if (properties.getApiKey() == null || properties.getApiKey().isBlank()) {
      throw new IllegalStateException("curfew.api-key is required with curfew.url (a key with the app scope)");
    }
    return CurfewClient.builder(properties.getUrl()).apiKey(properties.getApiKey()).build();
  }

  @Bean
  @ConditionalOnMissingBean
  public CurfewSessions curfewSessions() {
    return new CurfewSessions();
  }

  /** {@code curfew.url} has a value: an empty one ({@code curfew.url=} or {@code CURFEW_URL=}) is no URL. */
  static final class UrlSet extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String url = context.getEnvironment().getProperty("curfew.url");
      return url != null && !url.isBlank()
          ? ConditionOutcome.match("curfew.url is set")
          : ConditionOutcome.noMatch("curfew.url is not set or empty");
    }
  }
}
