package dev.curfew.spring;

import java.util.Map;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** An app as its authors would write it without Curfew: form login, one user; the starter adds the rest. */
@SpringBootApplication
@RestController
public class StarterTestApp {
  private final CurfewSessions sessions;

  public StarterTestApp(CurfewSessions sessions) {
    this.sessions = sessions;
  }

  @Bean
  SecurityFilterChain chain(HttpSecurity http) throws Exception {
    return http.authorizeHttpRequests(a -> a.anyRequest().authenticated())
        .formLogin(Customizer.withDefaults())
        .logout(Customizer.withDefaults())
        .build();
  }

  @Bean
  InMemoryUserDetailsManager users() {
    return new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}wonderland").roles("USER").build(),
        User.withUsername("bob").password("{noop}builder").roles("USER").build());
  }

  @GetMapping("/me")
  Map<String, Object> me() {
    CurfewSession s = sessions.current().orElseThrow();
    return Map.of("session_id", s.sessionId(), "subject", s.subject());
  }

  @GetMapping("/poll")
  Map<String, Object> poll() {
    return Map.of("news", 0);
  }
}
