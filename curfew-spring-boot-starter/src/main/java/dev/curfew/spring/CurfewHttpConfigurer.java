package dev.curfew.spring;

import dev.curfew.client.CurfewClient;
import java.util.ArrayList;
import java.util.List;
import org.springframework.context.ApplicationContext;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.annotation.web.configurers.LogoutConfigurer;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.session.CompositeSessionAuthenticationStrategy;
import org.springframework.security.web.authentication.session.SessionAuthenticationStrategy;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Curfew in a Spring Security filter chain. Spring Security applies it to every {@code
 * HttpSecurity} it builds (listed in META-INF/spring.factories), so an app needs no code: it
 * takes its settings from {@link CurfewProperties} and does nothing when {@code curfew.url} is
 * not set. An app may add passive matchers in code:
 * {@code http.getConfigurer(CurfewHttpConfigurer.class).passive(matcher)}.
 *
 * <p>It puts the {@code /_curfew/} endpoints before CSRF protection (curfew.js sends no CSRF
 * token; the endpoints check the origin of changes themselves), the session check after
 * authentication and before authorization (the login path passes unchecked), ends the Curfew
 * session in the chain's logout, and starts a fresh one at each sign-in.
 */
public final class CurfewHttpConfigurer extends AbstractHttpConfigurer<CurfewHttpConfigurer, HttpSecurity> {
  private final List<RequestMatcher> passive = new ArrayList<>();

  /** Requests that match are checked but do not count as activity. */
  public CurfewHttpConfigurer passive(RequestMatcher... matchers) {
    passive.addAll(List.of(matchers));
    return this;
  }

  @Override
  public void init(HttpSecurity http) {
    CurfewClient client = client(http);
    if (client == null) return;
    LogoutConfigurer<?> logout = http.getConfigurer(LogoutConfigurer.class);
    if (logout != null) logout.addLogoutHandler(new CurfewLogoutHandler(client));
    // Every sign-in starts a Curfew session of its own (after the session-fixation strategy that
    // the session management configurer, applied before this one, made the shared object).
    SessionAuthenticationStrategy existing = http.getSharedObject(SessionAuthenticationStrategy.class);
    SessionAuthenticationStrategy fresh = new FreshSignIn(client);
    http.setSharedObject(SessionAuthenticationStrategy.class,
        existing == null ? fresh : new CompositeSessionAuthenticationStrategy(List.of(existing, fresh)));
  }

  @Override
  public void configure(HttpSecurity http) {
    CurfewClient client = client(http);
    if (client == null) return;
    CurfewProperties properties = http.getSharedObject(ApplicationContext.class).getBean(CurfewProperties.class);
    List<RequestMatcher> matchers = new ArrayList<>(passive);
    for (String pattern : properties.getPassivePaths()) matchers.add(PathPatternRequestMatcher.withDefaults().matcher(pattern));
    RequestMatcher passiveRequests = matchers.isEmpty() ? request -> false : new OrRequestMatcher(matchers);
    http.addFilterBefore(new CurfewJsEndpoints(client), CsrfFilter.class);
    http.addFilterBefore(new CurfewEnforcementFilter(client, properties, passiveRequests), AuthorizationFilter.class);
  }

  /** The client the auto-configuration made, or null when Curfew is not configured. */
  private static CurfewClient client(HttpSecurity http) {
    ApplicationContext context = http.getSharedObject(ApplicationContext.class);
    if (context == null) return null;
    return context.getBeanProvider(CurfewClient.class).getIfAvailable();
  }
}
