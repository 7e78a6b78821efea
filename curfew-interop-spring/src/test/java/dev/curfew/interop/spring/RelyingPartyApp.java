package dev.curfew.interop.spring;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.security.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.client.oidc.session.InMemoryOidcSessionRegistry;
import org.springframework.security.oauth2.client.oidc.session.OidcSessionInformation;
import org.springframework.security.oauth2.client.oidc.session.OidcSessionRegistry;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A relying party written the way Spring Security's reference documentation shows: OAuth 2.0 login
 * with Curfew registered as the provider by its issuer and JWKS, and back-channel logout turned on
 * ({@code oidcLogout().backChannel()}), which serves {@code /logout/connect/back-channel/curfew}.
 *
 * <p>Curfew is not an authorization server, so no real OpenID login can happen here. {@code
 * /test-login} stands in for it and leaves exactly what a login would: an authenticated HTTP
 * session whose ID token names Curfew's issuer, the user and the Curfew session id as {@code sid},
 * recorded in the {@link OidcSessionRegistry} with the session's CSRF token (as Spring's own
 * {@code OidcSessionRegistryAuthenticationStrategy} records it). An app that opens a Curfew session
 * after its own login registers it the same way.
 */
@SpringBootApplication
public class RelyingPartyApp {
  static final String REGISTRATION = "curfew";
  static final String CLIENT_ID = "app-1";

  @Bean
  ClientRegistrationRepository registrations(@Value("${curfew.issuer}") String issuer,
      @Value("${curfew.jwks-uri}") String jwksUri) {
    return new InMemoryClientRegistrationRepository(ClientRegistration.withRegistrationId(REGISTRATION)
        .clientId(CLIENT_ID).clientSecret("unused")
        .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
        .redirectUri("{baseUrl}/login/oauth2/code/{registrationId}").scope("openid")
        .authorizationUri(issuer + "/no-authorization-endpoint").tokenUri(issuer + "/no-token-endpoint")
        .issuerUri(issuer).jwkSetUri(jwksUri).userNameAttributeName("sub")
        .build());
  }

  @Bean
  OidcSessionRegistry oidcSessionRegistry() {
    return new InMemoryOidcSessionRegistry();
  }

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(a -> a.requestMatchers("/test-login").permitAll().anyRequest().authenticated())
        .oauth2Login(Customizer.withDefaults())
        .oidcLogout(logout -> logout.backChannel(Customizer.withDefaults()));
    return http.build();
  }

  @RestController
  static class Pages {
    private final OidcSessionRegistry registry;
    private final String issuer;

    Pages(OidcSessionRegistry registry, @Value("${curfew.issuer}") String issuer) {
      this.registry = registry;
      this.issuer = issuer;
    }

    @GetMapping("/test-login")
    String login(@RequestParam String sub, @RequestParam String sid, HttpServletRequest request,
        HttpServletResponse response) {
      OidcIdToken idToken = new OidcIdToken("id-token", Instant.now(), Instant.now().plusSeconds(3600),
          Map.of("iss", issuer, "sub", sub, "sid", sid, "aud", List.of(CLIENT_ID)));
      DefaultOidcUser user = new DefaultOidcUser(AuthorityUtils.createAuthorityList("OIDC_USER"), idToken);
      SecurityContext context = SecurityContextHolder.createEmptyContext();
      context.setAuthentication(new OAuth2AuthenticationToken(user, user.getAuthorities(), REGISTRATION));
      new HttpSessionSecurityContextRepository().saveContext(context, request, response);
      HttpSession session = request.getSession(true);
      CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
      registry.saveSessionInformation(new OidcSessionInformation(session.getId(),
          Map.of(csrf.getHeaderName(), csrf.getToken()), user));
      return "signed in";
    }

    @GetMapping("/me")
    String me(Principal principal) {
      return principal.getName();
    }
  }
}
