/**
 * The tamper-evident audit trail (spec/audit.md): the RFC 6962 {@link
 * dev.curfew.core.audit.MerkleTree} over the records, its {@link dev.curfew.core.audit.HashStore},
 * proof verification for third parties ({@link dev.curfew.core.audit.MerkleProofs}), and C2SP
 * checkpoints signed as C2SP signed notes with Ed25519 ({@link dev.curfew.core.audit.Checkpoint},
 * {@link dev.curfew.core.audit.NoteSigner}, {@link dev.curfew.core.audit.NoteVerifier}).
 *
 * <p>Nothing here depends on a library outside the JDK.
 */
package dev.curfew.core.audit;
