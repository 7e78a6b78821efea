package dev.curfew.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * An open-addressing index of sessions (linear probing over one array of session references), keyed
 * by whatever {@link Key} hashes: a slot leads straight to the session, which holds its key inline,
 * so a lookup costs the slot and the session and no map node or key object.
 *
 * <p>Writers ({@link #add}, {@link #remove}, {@link #replace}) hold the index's lock. Readers take
 * none: they probe the array they read and, when the array was replaced meanwhile (a rebuild),
 * probe again. A removed session leaves a tombstone, never an empty slot, so a reader walking a
 * probe chain never stops short of a session that is present; empty slots appear only in a new array,
 * which replaces the old one whole. Slots are read and written with volatile semantics, so a
 * session added (or removed) before a lookup starts is found (or not found) by it. The key fields a
 * reader compares are a hint read without the session's monitor: callers decide under it.
 *
 * <p>A key may map to several sessions (the subject index): each is a slot of its own, and a
 * lookup visits the whole probe chain of the key's hash.
 */
final class SessionIndex {
  /** The hash of a session's key, as stored: read only under the index's lock or as a hint. */
  interface Key {
    int hash(Session s);
  }

  /** What a removed session leaves in its slot. */
  static final Object TOMBSTONE = new Object();

  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
  private static final int MIN_CAPACITY = 16;

  private final Key key;
  private final Object lock = new Object();
  private volatile Object[] slots = new Object[MIN_CAPACITY];
  /** Sessions in the index; with the tombstones, the slots in use. Under {@link #lock}. */
  private int size;
  private int tombstones;

  SessionIndex(Key key) {
    this.key = key;
  }

  /** The current array: read it once per probe, and probe again if {@link #changed} says so. */
  Object[] table() {
    return slots;
  }

  /** Whether {@code t} was replaced by a rebuild since it was read. */
  boolean changed(Object[] t) {
    return slots != t;
  }

  /** Slot {@code i} of {@code t}: null (end of a probe chain), {@link #TOMBSTONE} or a session. */
  static Object at(Object[] t, int i) {
    return SLOT.getVolatile(t, i);
  }

  /** Where the probe for {@code hash} starts; the next slot is {@code (i + 1) & (t.length - 1)}. */
  static int start(Object[] t, int hash) {
    return spread(hash) & (t.length - 1);
  }

  private static int spread(int h) {
    return (h ^ (h >>> 16)) * 0x9E3779B9;
  }

  int size() {
    synchronized (lock) {
      return size;
    }
  }

  /** Adds {@code s} under the hash its key has now. */
  void add(Session s) {
    synchronized (lock) {
      if ((size + tombstones + 1) * 2 > slots.length) rebuild();
      Object[] t = slots;
      int mask = t.length - 1;
      for (int i = start(t, key.hash(s)); ; i = (i + 1) & mask) {
        Object o = t[i];
        if (o == null || o == TOMBSTONE) {
          if (o == TOMBSTONE) tombstones--;
          SLOT.setVolatile(t, i, s);
          size++;
          return;
        }
      }
    }
  }

  /** Removes {@code s}, which its key hashed to {@code hash} when it was added; false: not there. */
  boolean remove(Session s, int hash) {
    synchronized (lock) {
      return removeLocked(s, hash);
    }
  }

  /**
   * Moves {@code s} from the slot of its key's old hash to that of its new one: {@code change}
   * rewrites the key while the index's lock is held, so that no rebuild hashes it halfway. A reader
   * meanwhile may miss {@code s} under either key; the caller covers the old key elsewhere first.
   */
  void replace(Session s, int oldHash, Runnable change) {
    synchronized (lock) {
      boolean was = removeLocked(s, oldHash);
      change.run();
      if (was) add(s);
    }
  }

  private boolean removeLocked(Session s, int hash) {
    Object[] t = slots;
    int mask = t.length - 1;
    for (int i = start(t, hash); ; i = (i + 1) & mask) {
      Object o = t[i];
      if (o == null) return false;
      if (o == s) {
        SLOT.setVolatile(t, i, TOMBSTONE);
        size--;
        tombstones++;
        return true;
      }
    }
  }

  /**
   * A new array without tombstones, twice as large (or more) when the sessions fill more than a
   * quarter of the old one (so a rebuild is followed by at least a quarter of the capacity in
   * additions, and the load stays between a quarter and a half as the index grows), and
   * published whole: a reader of the old array sees the change and probes again.
   */
  private void rebuild() {
    Object[] old = slots;
    int capacity = old.length;
    while (size * 4 > capacity) capacity *= 2;
    Object[] t = new Object[capacity];
    int mask = capacity - 1;
    for (Object o : old) {
      if (o == null || o == TOMBSTONE) continue;
      int i = start(t, key.hash((Session) o));
      while (t[i] != null) i = (i + 1) & mask;
      t[i] = o;
    }
    tombstones = 0;
    slots = t;
  }

  /** Every session in the index, weakly consistent (one array, as it is while the walk reads it). */
  void forEach(Consumer<Session> visitor) {
    Object[] t = slots;
    for (int i = 0; i < t.length; i++) {
      Object o = at(t, i);
      if (o != null && o != TOMBSTONE) visitor.accept((Session) o);
    }
  }
}
