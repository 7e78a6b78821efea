package dev.curfew.core.compliance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The built-in compliance presets, read once from the resource {@value #RESOURCE} (the first use
 * loads it; a malformed file fails that use with the line that is wrong).
 */
public final class Presets {
  /** Resource path, relative to this class. */
  public static final String RESOURCE = "presets.txt";

  private Presets() {}

  /**
   * Holder idiom: the JVM loads the file once, on first use, thread-safely. A broken file is kept
   * as its error, so every use reports the line that is wrong (not a bare NoClassDefFoundError).
   */
  private static final class BuiltIn {
    private static final Map<String, Preset> LOADED;
    private static final RuntimeException FAILURE;

    static {
      Map<String, Preset> loaded = null;
      RuntimeException failure = null;
      try {
        loaded = index(load());
      } catch (RuntimeException e) {
        failure = e;
      }
      LOADED = loaded;
      FAILURE = failure;
    }

    static Map<String, Preset> byId() {
      if (FAILURE != null) {
        throw new IllegalStateException("built-in presets unusable: " + FAILURE.getMessage(), FAILURE);
      }
      return LOADED;
    }
  }

  /** All preset ids, in file order (the order of the spec's table). */
  public static List<String> ids() {
    return List.copyOf(BuiltIn.byId().keySet());
  }

  /** All presets, in file order. */
  public static List<Preset> all() {
    return List.copyOf(BuiltIn.byId().values());
  }

  /** The preset {@code id}, whatever its case ({@code PCI-DSS-4.0} is {@code pci-dss-4.0}). */
  public static Optional<Preset> get(String id) {
    if (id == null) return Optional.empty();
    Preset exact = BuiltIn.byId().get(id);
    if (exact != null) return Optional.of(exact);
    for (Preset p : BuiltIn.byId().values()) {
      if (p.id().equalsIgnoreCase(id)) return Optional.of(p);
    }
    return Optional.empty();
  }

  /** The preset {@code id}, whatever its case; throws {@link UnknownPresetException} listing the known ids. */
  public static Preset require(String id) {
    Preset p = get(id).orElse(null);
    if (p == null) {
      throw new UnknownPresetException(String.valueOf(id), ids());
    }
    return p;
  }

  private static List<Preset> load() {
    try (InputStream in = Presets.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource missing: dev/curfew/core/compliance/" + RESOURCE);
      }
      return PresetFile.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  static Map<String, Preset> index(List<Preset> presets) {
    Map<String, Preset> byId = new LinkedHashMap<>();
    for (Preset p : presets) {
      if (byId.put(p.id(), p) != null) {
        throw new IllegalArgumentException("duplicate preset id " + p.id());
      }
    }
    return java.util.Collections.unmodifiableMap(byId);
  }
}
