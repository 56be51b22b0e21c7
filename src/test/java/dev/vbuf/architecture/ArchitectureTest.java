package dev.vbuf.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;

import dev.vbuf.gapless.SessionCarries;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The server's packages depend one way along the path of a segment, as docs/architecture.md draws them: a
 * small vocabulary ({@code core}) at the bottom, then utilities, media and FFmpeg, admission and metrics, the path of
 * one segment, the protocol, the server's wiring, and the commands on top. The reference client stands apart: it
 * uses the protocol's vocabulary only. No package may use one above it, and there
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
                .layer("gapless").definedBy("dev.vbuf.gapless..")
                .layer("segment").definedBy("dev.vbuf.segment..")
                .layer("websocket").definedBy("dev.vbuf.websocket..")
                .layer("api").definedBy("dev.vbuf.api..")
                .layer("player").definedBy("dev.vbuf.player..")
                .layer("server").definedBy("dev.vbuf.server..")
                .layer("client").definedBy("dev.vbuf.client..")
                .layer("release").definedBy("dev.vbuf.release..")
                .layer("tools").definedBy("dev.vbuf.tools..")
                .layer("cli").definedBy("dev.vbuf.cli..")
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
                // protocol v1.1's planner, carries and trim: works on parsed media, knows nothing of FFmpeg
                .whereLayer("gapless").mayOnlyAccessLayers("protocol", "core", "media")
                .whereLayer("segment").mayOnlyAccessLayers("protocol", "core", "log", "process", "media", "ffmpeg", "admission",
                                                           "observe", "gapless")
                // RFC 6455 frames and the connection: knows nothing of segments
                .whereLayer("websocket").mayOnlyAccessLayers("protocol")
                // no media: segments are parsed below the API, once
                .whereLayer("api").mayOnlyAccessLayers("protocol", "core", "log", "admission", "observe", "access",
                                                       "gapless", "segment", "websocket")
                // the reference player's page and demo: FFmpeg to make the demo, the protocol's names for the page
                .whereLayer("player").mayOnlyAccessLayers("protocol", "core", "process", "media", "ffmpeg", "access", "api")
                .whereLayer("server").mayOnlyAccessLayers("protocol", "core", "config", "log", "process", "media", "ffmpeg",
                                                          "admission", "observe", "access", "gapless", "segment",
                                                          "websocket", "api", "player")
                // the reference client speaks the protocol and nothing of the server, so it can be published alone
                .whereLayer("client").mayOnlyAccessLayers("protocol")
                // the release gate: the reference client against a running revision, FFmpeg for its test segment
                .whereLayer("release").mayOnlyAccessLayers("protocol", "config", "process", "ffmpeg", "client")
                // build-time tools: the AOT training run starts a real server and talks to it as a client
                .whereLayer("tools").mayOnlyAccessLayers("protocol", "core", "config", "log", "process", "ffmpeg",
                                                         "server", "client")
                // the commands may use everything; `demo` is the one place that wires a server and a client together
                .whereLayer("cli").mayOnlyAccessLayers("protocol", "core", "config", "log", "process", "media", "ffmpeg",
                                                       "admission", "observe", "access", "gapless", "segment",
                                                       "websocket", "api", "server", "player", "client", "release", "tools")
                .whereLayer("main").mayOnlyAccessLayers("protocol", "config", "log", "server", "cli");
    }

    @Test
    void packagesDependOnlyOnTheLayersBelowThem() {
        layers().check(server);
    }

    /** Of protocol v1.1's gapless logic the API holds only a session's kept carries; the rest happens below it. */
    @Test
    void theApiUsesOnlyTheSessionsCarriesOfGapless() {
        noClasses().that().resideInAPackage("dev.vbuf.api..")
                .should().dependOnClassesThat(resideInAPackage("dev.vbuf.gapless..")
                                                      .and(not(equivalentTo(SessionCarries.class))))
                .check(server);
    }

    /**
     * The client and the protocol are also an artifact of their own (client/pom.xml, built with Jackson alone): besides
     * each other they may use the JDK and Jackson, nothing else. That build's compile is the proof; this says it here.
     */
    @Test
    void theClientArtifactsPackagesUseOnlyTheJdkAndJackson() {
        classes().that().resideInAnyPackage("dev.vbuf.client..", "dev.vbuf.protocol..")
                .should().onlyDependOnClassesThat()
                .resideInAnyPackage("dev.vbuf.client..", "dev.vbuf.protocol..", "java..", "javax..",
                                    "com.fasterxml.jackson..")
                .check(server);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.vbuf.(*)..").should().beFreeOfCycles().check(server);
    }
}
