// The shop's stock service: one Java 17 file run as `java Stock.java` (no build, no dependency but
// the JDK's com.sun.net.httpserver), unaware of TLS, tokens or the mesh. It runs behind
// `rampart sidecar` (see ../../rampart.yaml, `services.stock`), which accepts only mTLS from the
// callers rampart.yaml allows (orders and reviews) with an internal token for this service, and
// forwards here with the verified identity in x-rampart-* headers and a per-start proof in
// x-rampart-sidecar, checked here against RAMPART_SIDECAR_SECRET.
//
// Routes: GET /stock/{sku} -> {"sku", "available"}; 404 for a product the shop does not sell.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Stock {
  private static final Map<String, Integer> AVAILABLE =
      Map.of("TEA-GREEN", 120, "TEA-BLACK", 80, "MUG-1", 12, "POT-1", 3);
  private static final Pattern PATH = Pattern.compile("^/stock/([A-Z0-9-]{1,32})$");

  public static void main(String[] args) throws IOException {
    String secret = sidecarSecret();
    if (secret == null || secret.isEmpty()) {
      System.err.println("stock: RAMPART_SIDECAR_SECRET is not set: run me with `rampart up`, behind the sidecar");
      System.exit(1);
    }
    // Without TCP_NODELAY, keep-alive answers wait for the peer's delayed ACK (about 40 ms each).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    String host = System.getenv().getOrDefault("HOST", "127.0.0.1");
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "5001"));
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
    byte[] expected = secret.getBytes(StandardCharsets.UTF_8);
    server.createContext("/", exchange -> handle(exchange, expected));
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.err.println("stock: listening on http://" + host + ":" + port);
  }

  /**
   * The sidecar's proof. Under `rampart up` it is in the environment; on Kubernetes, where this
   * process runs in a container of its own beside the sidecar, it is in the file
   * RAMPART_SIDECAR_ENV_FILE names (NAME=value lines, in a directory the two containers share).
   */
  private static String sidecarSecret() throws IOException {
    String secret = System.getenv("RAMPART_SIDECAR_SECRET");
    String file = System.getenv("RAMPART_SIDECAR_ENV_FILE");
    if ((secret == null || secret.isEmpty()) && file != null && !file.isEmpty()) {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(file), StandardCharsets.UTF_8)) {
        if (line.startsWith("RAMPART_SIDECAR_SECRET=")) secret = line.substring(line.indexOf('=') + 1);
      }
    }
    return secret;
  }

  private static void handle(HttpExchange exchange, byte[] expected) throws IOException {
    try (exchange) {
      String proof = exchange.getRequestHeaders().getFirst("x-rampart-sidecar");
      // Not through the sidecar: nothing of the headers can be believed.
      if (proof == null
          || !MessageDigest.isEqual(proof.getBytes(StandardCharsets.UTF_8), expected)) {
        send(exchange, 401, "{\"error\":\"requests come through the sidecar\"}");
        return;
      }
      Matcher match = PATH.matcher(exchange.getRequestURI().getPath());
      if (!"GET".equals(exchange.getRequestMethod()) || !match.matches()) {
        send(exchange, 404, "{\"error\":\"not found\"}");
        return;
      }
      String sku = match.group(1);
      Integer available = AVAILABLE.get(sku);
      if (available == null) {
        send(exchange, 404, "{\"error\":\"not sold here\"}");
        return;
      }
      String caller = exchange.getRequestHeaders().getFirst("x-rampart-caller");
      System.err.println("stock: " + sku + " for " + caller);
      send(exchange, 200, "{\"sku\":\"" + sku + "\",\"available\":" + available + "}");
    }
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }
}
