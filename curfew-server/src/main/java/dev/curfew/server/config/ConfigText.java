package dev.curfew.server.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reading a YAML file for the configuration or a policy, with errors a person can act on. */
final class ConfigText {
  /** Jackson's words for a key given twice (StreamReadFeature.STRICT_DUPLICATE_DETECTION). */
  private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");

  private ConfigText() {}

  /** The file's text; a missing or unreadable file is a {@link ConfigException} that names it once. */
  static String read(Path file, String key) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(key, file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new ConfigException(key, file + ": permission denied");
    } catch (IOException e) {
      String why = e.getMessage();
      throw new ConfigException(key, "cannot read " + file
          + (why == null || why.equals(file.toString()) ? "" : ": " + why.replace(file + ": ", "")));
    }
  }

  /** The YAML tree of {@code text}; broken YAML is a {@link ConfigException} with line, column and the problem. */
  static JsonNode parse(String text, String key) {
    try {
      // A key given twice would otherwise be read as its last value, without a word.
      return YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build().readTree(text);
    } catch (IOException e) {
      throw new ConfigException(key, "not valid YAML: " + describe(e));
    }
  }

  private static String describe(IOException e) {
    if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
      String problem = m.getProblem() == null ? "" : m.getProblem();
      String hint = problem.contains("block") ? " (check the indentation of this line and the one above)" : "";
      return "line " + (m.getProblemMark().getLine() + 1) + ", column " + (m.getProblemMark().getColumn() + 1) + ": "
          + problem.strip() + hint;
    }
    String message = e instanceof JsonProcessingException j && j.getOriginalMessage() != null ? j.getOriginalMessage()
        : String.valueOf(e.getMessage());
    message = message.lines().findFirst().orElse("").strip();
    Matcher twice = DUPLICATE.matcher(message);
    if (twice.matches()) message = "the key " + twice.group(1) + " is given twice in the same mapping";
    JsonLocation at = e instanceof JsonProcessingException j ? j.getLocation() : null;
    return at == null || at.getLineNr() < 1 ? message : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + message;
  }
}
