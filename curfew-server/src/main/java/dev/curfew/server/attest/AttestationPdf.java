package dev.curfew.server.attest;

import com.lowagie.text.Document;
import com.lowagie.text.DocumentException;
import com.lowagie.text.Font;
import com.lowagie.text.FontFactory;
import com.lowagie.text.PageSize;
import com.lowagie.text.Paragraph;
import com.lowagie.text.pdf.PdfPTable;
import com.lowagie.text.pdf.PdfWriter;
import dev.curfew.core.audit.CanonicalJson;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * attestation.pdf: the same statement as attestation.json, for people. It shows every figure with
 * the value written in the JSON (nothing is computed here), the checkpoint it is bound to, and how
 * to check it; the JSON, not the PDF, is what is signed and verified.
 */
public final class AttestationPdf {
  private AttestationPdf() {}

  /** Writes the PDF of {@code attestation} (as {@link Attestation#build} made it) to {@code out}. */
  public static void write(Map<String, Object> attestation, OutputStream out) throws IOException {
    Document doc = new Document(PageSize.A4, 48, 48, 48, 48);
    try {
      PdfWriter.getInstance(doc, out);
      doc.addTitle("Curfew period attestation");
      doc.addCreator("curfew audit attest");
      doc.open();
      Font title = FontFactory.getFont(FontFactory.HELVETICA_BOLD, 16);
      Font heading = FontFactory.getFont(FontFactory.HELVETICA_BOLD, 11);
      Font body = FontFactory.getFont(FontFactory.HELVETICA, 9);
      Font mono = FontFactory.getFont(FontFactory.COURIER, 7);
      Map<?, ?> period = (Map<?, ?>) attestation.get("period");
      Map<?, ?> checkpoint = (Map<?, ?>) attestation.get("checkpoint");
      Map<?, ?> figures = (Map<?, ?>) attestation.get("figures");
      doc.add(new Paragraph("Curfew period attestation", title));
      doc.add(new Paragraph("Period: " + period.get("from") + " (inclusive) to " + period.get("to") + " (exclusive), UTC", body));
      doc.add(new Paragraph("Computed from the first " + checkpoint.get("tree_size") + " records of the audit log, whose "
          + "Merkle root " + checkpoint.get("root_hash") + " is signed in the checkpoint below. Generated "
          + attestation.get("generated_at") + ".", body));
      doc.add(new Paragraph(" ", body));
      doc.add(new Paragraph("Figures", heading));
      PdfPTable table = new PdfPTable(new float[] {1.2f, 3f});
      table.setWidthPercentage(100);
      table.setSpacingBefore(6f);
      row(table, "records in the period", figures.get("records"), body);
      Map<?, ?> sessions = (Map<?, ?>) figures.get("sessions");
      row(table, "sessions opened", sessions.get("opened"), body);
      row(table, "sessions ended, by reason", sessions.get("ended"), body);
      row(table, "policies: versions in use", ((Map<?, ?>) figures.get("policies")).get("versions_in_use"), body);
      row(table, "policies: changes", ((Map<?, ?>) figures.get("policies")).get("changes"), body);
      row(table, "expiry lateness (ms)", figures.get("expiry_lateness_ms"), body);
      row(table, "warnings", figures.get("warnings"), body);
      row(table, "extensions", figures.get("extensions"), body);
      row(table, "replays refused", figures.get("replays_refused"), body);
      row(table, "revocations by actor", figures.get("revocations_by_actor"), body);
      row(table, "clock steps", figures.get("clock_steps"), body);
      Map<?, ?> anomalies = (Map<?, ?>) figures.get("anomalies");
      row(table, "anomalies", anomalies.get("count"), body);
      doc.add(table);
      List<?> listed = (List<?>) anomalies.get("listed");
      if (!listed.isEmpty()) {
        doc.add(new Paragraph("Anomalies (first " + listed.size() + ")", heading));
        for (Object o : listed) {
          Map<?, ?> a = (Map<?, ?>) o;
          doc.add(new Paragraph("seq " + a.get("seq") + ", " + a.get("time") + ", " + a.get("type") + ": " + a.get("what"), body));
        }
      }
      doc.add(new Paragraph(" ", body));
      doc.add(new Paragraph("Checkpoint (C2SP signed note)", heading));
      doc.add(new Paragraph(String.valueOf(checkpoint.get("note")), mono));
      doc.add(new Paragraph("Signature", heading));
      Map<?, ?> sig = (Map<?, ?>) attestation.get("signature");
      doc.add(new Paragraph("Ed25519 over the canonical JSON (RFC 8785) of attestation.json without its \"signature\" member, by "
          + sig.get("key"), body));
      doc.add(new Paragraph("Check it: curfew audit attest --verify attestation.json --data DIR (recomputes every figure "
          + "from the log and names any difference).", body));
      doc.close();
    } catch (DocumentException e) {
      throw new IOException("cannot write the PDF: " + e.getMessage(), e);
    }
  }

  private static void row(PdfPTable t, String label, Object value, Font font) {
    t.addCell(new com.lowagie.text.Phrase(label, font));
    String text = value instanceof String s ? s : CanonicalJson.write(value);
    t.addCell(new com.lowagie.text.Phrase(text.replace(",\"", ", \""), font));
  }
}
