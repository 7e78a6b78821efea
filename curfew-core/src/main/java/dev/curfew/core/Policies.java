package dev.curfew.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The named policies of a deployment with every version they have had. A session keeps the
 * version it was opened with, so old versions stay reachable.
 */
public final class Policies {
  private final Map<String, List<Policy>> versions = new ConcurrentHashMap<>();
  private volatile String defaultName;

  public Policies(List<Policy> initial, String defaultName) {
    for (Policy p : initial) {
      add(p);
    }
    if (!versions.containsKey(defaultName)) {
      throw new PolicyException("default_policy", "default_policy \"" + defaultName + "\" is not defined");
    }
    this.defaultName = defaultName;
  }

  public String defaultName() {
    return defaultName;
  }

  /** The current version of {@code name}. */
  public Optional<Policy> current(String name) {
    List<Policy> list = versions.get(name);
    if (list == null) return Optional.empty();
    synchronized (list) {
      return Optional.of(list.get(list.size() - 1));
    }
  }

  public Optional<Policy> version(String name, int version) {
    List<Policy> list = versions.get(name);
    if (list == null) return Optional.empty();
    synchronized (list) {
      return version >= 1 && version <= list.size() ? Optional.of(list.get(version - 1)) : Optional.empty();
    }
  }

  /** Current versions of all policies, sorted by name. */
  public List<Policy> all() {
    List<Policy> out = new ArrayList<>();
    for (String name : versions.keySet()) {
      current(name).ifPresent(out::add);
    }
    out.sort((x, y) -> x.name().compareTo(y.name()));
    return Collections.unmodifiableList(out);
  }

  /** Every version of every policy, by name then version (for snapshots). */
  public List<Policy> allVersions() {
    List<Policy> out = new ArrayList<>();
    for (List<Policy> list : versions.values()) {
      synchronized (list) {
        out.addAll(list);
      }
    }
    out.sort((x, y) -> x.name().equals(y.name()) ? Integer.compare(x.version(), y.version()) : x.name().compareTo(y.name()));
    return out;
  }

  /**
   * Adds {@code p} as the next version of its name (its own version field is replaced), and
   * returns the stored policy.
   */
  public Policy add(Policy p) {
    List<Policy> list = versions.computeIfAbsent(p.name(), k -> new ArrayList<>());
    synchronized (list) {
      Policy stored = p.withVersion(list.size() + 1);
      list.add(stored);
      return stored;
    }
  }

  /** Records a version known from the log (recovery); versions must arrive in order. */
  public void restore(Policy p) {
    List<Policy> list = versions.computeIfAbsent(p.name(), k -> new ArrayList<>());
    synchronized (list) {
      if (p.version() == list.size() + 1) {
        list.add(p);
      } else if (p.version() <= list.size()) {
        list.set(p.version() - 1, p);
      } else {
        throw new IllegalStateException("policy " + p.name() + " version " + p.version()
            + " arrives after version " + list.size());
      }
    }
  }
}
