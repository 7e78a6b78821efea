package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.Policy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Policies read from a file for the design tools: either a whole configuration file (its {@code
 * policies}), or a policy file whose top level holds one policy's fields (named after the file),
 * or a {@code policies:} mapping alone.
 */
public final class PolicyFile {
  private PolicyFile() {}

  /** The policies of the file, in file order, and which one is the default (null: the file names none among several). */
  public record Loaded(Map<String, Policy> policies, String defaultName) {}

  public static Loaded load(Path file) {
    String text = ConfigText.read(file, "file");
    JsonNode root = ConfigText.parse(text, "file");
    if (root == null || !root.isObject()) {
      throw new ConfigException("file", file + " holds no policy");
    }
    if (root.has("idle_timeout") || root.has("absolute_timeout")) {
      String name = file.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
      if (!CurfewConfig.isName(name)) name = "policy";
      Map<String, Policy> one = new LinkedHashMap<>();
      Policy p = CurfewConfig.policy("", name, root);
      CurfewConfig.checkDeclaredPresets("", p, false);
      one.put(name, p);
      return new Loaded(one, name);
    }
    CurfewConfig cfg = CurfewConfig.parse(text, false);
    return new Loaded(cfg.policies(), cfg.defaultPolicy());
  }
}
