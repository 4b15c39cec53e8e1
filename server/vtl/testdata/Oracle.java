import java.io.StringWriter;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;

// Oracle renders each template read from stdin (each followed by "\0\n")
// with Apache Velocity 1.7 and prints each output followed by "\0\n"; a
// template that fails prints "ERROR: " and the exception's class. $util
// has API Gateway's functions as the Java libraries API Gateway documents
// them by: Commons Lang's escapeJavaScript, URLEncoder and URLDecoder,
// Base64. server/vtl's TestVelocityOracle runs it.
public class Oracle {
  public static class Util {
    public String escapeJavaScript(String s) { return StringEscapeUtils.escapeJavaScript(s); }
    public String urlEncode(String s) throws Exception { return URLEncoder.encode(s, "UTF-8"); }
    public String urlDecode(String s) throws Exception { return URLDecoder.decode(s, "UTF-8"); }
    public String base64Encode(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
    public String base64Decode(String s) { return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8); }
  }

  public static void main(String[] args) throws Exception {
    VelocityEngine ve = new VelocityEngine();
    ve.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
    ve.init();
    String all = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    String[] cases = all.split("\u0000\n", -1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < cases.length - 1; i++) {
      VelocityContext ctx = new VelocityContext();
      ctx.put("util", new Util());
      StringWriter w = new StringWriter();
      try {
        ve.evaluate(ctx, w, "case" + i, cases[i]);
        out.append(w.toString());
      } catch (Exception e) {
        out.append("ERROR: " + e.getClass().getSimpleName());
      }
      out.append("\u0000\n");
    }
    System.out.print(out);
  }
}
