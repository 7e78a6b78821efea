package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AuditCsvTest {
  @Test
  void field_quotesWhatRfc4180Quotes_andDoublesQuotes() {
    assertThat(AuditCsv.field("alice@example.com")).isEqualTo("alice@example.com");
    assertThat(AuditCsv.field("a,b")).isEqualTo("\"a,b\"");
    assertThat(AuditCsv.field("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(AuditCsv.field("two\nlines")).isEqualTo("\"two\nlines\"");
    assertThat(AuditCsv.field("")).isEqualTo("");
  }

  @Test
  void field_startingLikeAFormula_getsALeadingQuote() {
    for (String start : new String[] {"=", "+", "-", "@", "\t"}) {
      assertThat(AuditCsv.field(start + "1+1")).isEqualTo("'" + start + "1+1");
    }
    assertThat(AuditCsv.field("\r1")).isEqualTo("\"'\r1\"");
    assertThat(AuditCsv.field("1-1")).isEqualTo("1-1");
  }
}
