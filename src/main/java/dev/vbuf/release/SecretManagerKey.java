package dev.vbuf.release;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import dev.vbuf.config.Secret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads the token-signing key from Secret Manager with the credentials of the machine it runs on (the metadata
 * server's access token): how a Cloud Deploy verify job, which cannot mount secrets, gets the key the service signs
 * with. Works only on Google Cloud; elsewhere give {@code --token} or {@code VBUF_AUTH_SECRET_KEY}.
 */
public final class SecretManagerKey {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final URI METADATA_TOKEN = URI.create(
            "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token");

    private SecretManagerKey() {
    }

    /** @param version e.g. {@code projects/my-project/secrets/vbuf-secret-key/versions/latest} */
    public static Secret read(String version) throws IOException, InterruptedException {
        if (!version.matches("projects/[^/]+/secrets/[^/]+/versions/[^/]+")) {
            throw new IOException("not a secret version name (projects/P/secrets/S/versions/V): " + version);
        }
        JsonNode token = get(HttpRequest.newBuilder(METADATA_TOKEN).header("Metadata-Flavor", "Google"));
        JsonNode secret = get(HttpRequest.newBuilder(URI.create("https://secretmanager.googleapis.com/v1/" + version
                                                                + ":access"))
                                      .header("Authorization", "Bearer " + token.path("access_token").asText()));
        return new Secret(new String(Base64.getDecoder().decode(secret.path("payload").path("data").asText()),
                                     StandardCharsets.UTF_8));
    }

    private static JsonNode get(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpRequest r = request.timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(r.uri().getHost() + " answered HTTP " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }
}
