package dev.curfew.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * A web app with form login, written as if Curfew did not exist: the starter on the class path
 * and {@code curfew.url}/{@code curfew.api-key} are all it takes (plus curfew.js in the page).
 */
@SpringBootApplication
public class SampleApplication {
  public static void main(String[] args) {
    SpringApplication.run(SampleApplication.class, args);
  }

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    // "/login" with any query: curfew.js adds ?return=, which formLogin's own permitAll (exact URL) would refuse.
    return http.authorizeHttpRequests(a -> a.requestMatchers("/login").permitAll().anyRequest().authenticated())
        .formLogin(f -> f.loginPage("/login").successHandler(new ReturnToPage()))
        .logout(Customizer.withDefaults())
        .build();
  }

  /** One demo user; a real app has its own user store or identity provider. */
  @Bean
  InMemoryUserDetailsManager users() {
    return new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}wonderland").roles("USER").build());
  }
}
