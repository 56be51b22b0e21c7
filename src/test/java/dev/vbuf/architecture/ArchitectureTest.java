package dev.vbuf.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The server's packages depend one way along the path of a segment, as docs/architecture.md draws them: a
 * small vocabulary ({@code core}) at the bottom, then utilities, media and FFmpeg, admission and metrics, the path of
 * one segment, the protocol, the server's wiring, and the client on top. No package may use one above it, and there
 * are no cycles. Checked on the compiled classes, so a fully qualified reference counts as much as an import.
 */
class ArchitectureTest {
    private static JavaClasses server;

    @BeforeAll
    static void importClasses() {
        server = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vbuf");
    }

    /** Who may use whom. Each layer lists every layer it may use; anything else is a violation. */
    static Architectures.LayeredArchitecture layers() {
        return Architectures.layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("protocol").definedBy("dev.vbuf.protocol..")
                .layer("core").definedBy("dev.vbuf.core..")
                .layer("config").definedBy("dev.vbuf.config..")
                .layer("log").definedBy("dev.vbuf.log..")
                .layer("process").definedBy("dev.vbuf.process..")
                .layer("media").definedBy("dev.vbuf.media..")
                .layer("ffmpeg").definedBy("dev.vbuf.ffmpeg..")
                .layer("admission").definedBy("dev.vbuf.admission..")
                .layer("observe").definedBy("dev.vbuf.observe..")
                .layer("access").definedBy("dev.vbuf.access..")
                .layer("segment").definedBy("dev.vbuf.segment..")
                .layer("websocket").definedBy("dev.vbuf.websocket..")
                .layer("api").definedBy("dev.vbuf.api..")
                .layer("player").definedBy("dev.vbuf.player..")
                .layer("server").definedBy("dev.vbuf.server..")
                .layer("client").definedBy("dev.vbuf.client..")
                .layer("main").definedBy("dev.vbuf")

                // the wire's vocabulary (close codes, error codes, formats, messages): shared by server and clients
                .whereLayer("protocol").mayNotAccessAnyLayer()
                .whereLayer("core").mayOnlyAccessLayers("protocol")
                .whereLayer("config").mayOnlyAccessLayers("protocol", "core")
                .whereLayer("log").mayOnlyAccessLayers("protocol", "core")
                .whereLayer("process").mayOnlyAccessLayers("protocol", "core")
                .whereLayer("media").mayOnlyAccessLayers("protocol", "core")
                .whereLayer("ffmpeg").mayOnlyAccessLayers("protocol", "core", "process", "media")
                // the gate knows nothing of segments or protocols: its refusals are neutral
                .whereLayer("admission").mayNotAccessAnyLayer()
                // metrics and health present what their owners hand them
                .whereLayer("observe").mayOnlyAccessLayers("protocol", "core")
                .whereLayer("access").mayOnlyAccessLayers("protocol", "core", "config")
                .whereLayer("segment").mayOnlyAccessLayers("protocol", "core", "log", "process", "media", "ffmpeg", "admission",
                                                           "observe")
                // RFC 6455 frames and the connection: knows nothing of segments
                .whereLayer("websocket").mayOnlyAccessLayers("protocol")
                .whereLayer("api").mayOnlyAccessLayers("protocol", "core", "log", "media", "admission", "observe", "access",
                                                       "segment", "websocket")
                // the reference player's page and demo: FFmpeg to make the demo, the protocol's names for the page
                .whereLayer("player").mayOnlyAccessLayers("protocol", "core", "process", "media", "ffmpeg", "access", "api")
                .whereLayer("server").mayOnlyAccessLayers("protocol", "core", "config", "log", "process", "media", "ffmpeg",
                                                          "admission", "observe", "access", "segment", "websocket",
                                                          "api", "player")
                .whereLayer("client").mayOnlyAccessLayers("protocol", "core", "config", "log", "process", "media", "ffmpeg",
                                                          "admission", "observe", "access", "segment", "websocket",
                                                          "api", "server", "player")
                .whereLayer("main").mayOnlyAccessLayers("protocol", "config", "log", "server", "client");
    }

    @Test
    void packagesDependOnlyOnTheLayersBelowThem() {
        layers().check(server);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.vbuf.(*)..").should().beFreeOfCycles().check(server);
    }
}
