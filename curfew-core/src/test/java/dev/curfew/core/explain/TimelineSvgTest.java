package dev.curfew.core.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Policy;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class TimelineSvgTest {
  @Test
  void render_isWellFormedSvgWithTheTimelineParts() throws Exception {
    Policy p = Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 10);
    Explanation e = Explainer.explain(p, Explanation.parseTrace("0s,5m,9m,23m:extend"));
    String svg = TimelineSvg.render(e);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    assertThat(svg).contains("<title id=\"t\">Session timeline under policy standard v1</title>")
        .contains("warning window").contains("extended").contains("ends: idle_timeout");
    // two warnings were sent (+22m and +36m), each drawn as a window
    assertThat(svg.split("<title>warning window</title>", -1)).hasSize(3);
  }

  @Test
  void escapesText() {
    assertThat(TimelineSvg.esc("<a & \"b\">")).isEqualTo("&lt;a &amp; &quot;b&quot;&gt;");
  }
}
