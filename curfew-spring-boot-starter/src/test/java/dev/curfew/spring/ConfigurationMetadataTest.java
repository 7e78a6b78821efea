package dev.curfew.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.Json;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanWrapperImpl;

/** IDEs complete {@code curfew.*} from META-INF/spring-configuration-metadata.json: it lists every property, with its type. */
class ConfigurationMetadataTest {
  @Test
  @SuppressWarnings("unchecked")
  void theMetadataListsEveryPropertyOfCurfewProperties() throws Exception {
    Map<String, Object> metadata = null;
    // Spring Boot's own jars carry files of the same name: the starter's is the one with the curfew group.
    var found = getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
    while (found.hasMoreElements()) {
      try (InputStream in = found.nextElement().openStream()) {
        Map<String, Object> m = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        if (((List<Map<String, Object>>) m.getOrDefault("groups", List.of())).stream().anyMatch(g -> "curfew".equals(g.get("name")))) {
          metadata = m;
        }
      }
    }
    assertThat(metadata).as("the starter's META-INF/spring-configuration-metadata.json").isNotNull();
    List<Map<String, Object>> properties = (List<Map<String, Object>>) metadata.get("properties");
    Set<String> listed = properties.stream().map(p -> (String) p.get("name")).collect(Collectors.toCollection(TreeSet::new));

    Set<String> expected = new TreeSet<>();
    for (var d : new BeanWrapperImpl(new CurfewProperties()).getPropertyDescriptors()) {
      if (d.getWriteMethod() == null) continue;
      expected.add("curfew." + d.getName().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT));
    }
    assertThat(listed).isEqualTo(expected);
    for (Map<String, Object> p : properties) {
      assertThat(p).containsKeys("type", "description").containsEntry("sourceType", CurfewProperties.class.getName());
    }
    assertThat(properties).anySatisfy(p -> assertThat(p).containsEntry("name", "curfew.login-path").containsEntry("defaultValue", "/login"));
  }
}
