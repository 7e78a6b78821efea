package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Iterator;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RequiredServerKeyVerifier;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/**
 * The keys of the gateway: its own host key (Ed25519, created on first start with mode 0600, in
 * OpenSSH's private key format so that {@code ssh-keygen -l -f} shows its fingerprint), the private
 * key it logs in to a target with, and how a target's host key is checked.
 */
final class SshKeys {
  private SshKeys() {}

  /** Loads the host key from {@code file}, creating it first when it does not exist. */
  static KeyPair hostKey(Path file) throws IOException {
    if (!Files.exists(file)) {
      KeyPair created;
      try {
        created = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot create an Ed25519 host key: " + e.getMessage(), e);
      }
      if (file.getParent() != null) Files.createDirectories(file.getParent());
      // Created with mode 0600 before a byte is written: the key is never readable by others.
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(created, "curfew ssh gateway", null, out);
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot write the host key: " + e.getMessage(), e);
      }
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    return privateKey(file);
  }

  /** The one key pair in an OpenSSH private key file (not encrypted). */
  static KeyPair privateKey(Path file) throws IOException {
    if (!Files.isReadable(file)) throw new IOException("cannot read " + file);
    Iterator<KeyPair> keys = new FileKeyPairProvider(file).loadKeys(null).iterator();
    if (!keys.hasNext()) throw new IOException("no private key in " + file);
    return keys.next();
  }

  /** A public key in OpenSSH's one-line form ({@code ssh-ed25519 AAAA... comment}). */
  static PublicKey publicKey(String line) throws IOException {
    try {
      return PublicKeyEntry.parsePublicKeyEntry(line.trim()).resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("not an OpenSSH public key: " + e.getMessage(), e);
    }
  }

  /**
   * How a target's host key is checked: the pinned key when one is configured, else the target's
   * entry in its {@code known_hosts} file; an unknown or changed key is refused, never learned.
   */
  static ServerKeyVerifier verifierOf(SshTarget t) throws IOException {
    if (t.hostKey() != null && !t.hostKey().isBlank()) {
      return new RequiredServerKeyVerifier(publicKey(t.hostKey()));
    }
    if (!Files.isReadable(t.knownHostsFile())) throw new IOException("cannot read " + t.knownHostsFile());
    return new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE, t.knownHostsFile());
  }
}
