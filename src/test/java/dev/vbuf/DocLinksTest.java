package dev.vbuf;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.vbuf.testing.Markdown;

import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Heading;
import org.commonmark.node.Image;
import org.commonmark.node.Link;
import org.commonmark.node.Node;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;

/**
 * Every relative link and image in README.md and docs/*.md leads somewhere: the file or directory exists, and a
 * {@code #fragment} names a heading of the Markdown page it points into, as GitHub makes heading anchors.
 */
class DocLinksTest {

    @Test
    void everyRelativeLinkAndAnchorResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : Markdown.documentation()) {
            for (String destination : destinations(Markdown.parse(page))) {
                String problem = problem(page, destination);
                if (problem != null) {
                    broken.add(page + ": (" + destination + ") " + problem);
                }
            }
        }
        assertThat("links that lead nowhere", broken, empty());
    }

    @Test
    void readmeIsAMapOfAtMost250Lines() throws IOException {
        assertThat("README.md's lines", Files.readAllLines(Markdown.README).size(), lessThanOrEqualTo(250));
        List<String> linked = destinations(Markdown.parse(Markdown.README));
        for (Path page : Markdown.documentation().subList(1, Markdown.documentation().size())) {
            assertThat("README.md links to every page of docs/", linked, hasItem(page.toString()));
        }
    }

    /** GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
    @Test
    void anchorsAreMadeAsGitHubMakesThem() {
        Node doc = Markdown.parseText("""
                # Protocol v1.1
                ## HTTP: `POST /v1/segments?format=…`
                ## Deploy to GKE (Knative Serving)
                ## Notes
                ## Notes
                """);
        assertThat(anchors(doc), hasItems("protocol-v11", "http-post-v1segmentsformat",
                                          "deploy-to-gke-knative-serving", "notes", "notes-1"));
        assertThat(anchors(doc), not(hasItem("protocol-v1.1")));
    }

    private static List<String> destinations(Node doc) {
        List<String> found = new ArrayList<>();
        doc.accept(new AbstractVisitor() {
            @Override
            public void visit(Link link) {
                found.add(link.getDestination());
                visitChildren(link);
            }

            @Override
            public void visit(Image image) {
                found.add(image.getDestination());
            }
        });
        return found;
    }

    /** Why a link from {@code page} leads nowhere, or null when it resolves (links off the project are not followed). */
    private static String problem(Path page, String destination) throws IOException {
        URI uri = URI.create(destination.replace(" ", "%20"));
        if (uri.getScheme() != null || uri.getAuthority() != null) {
            return null;
        }
        Path target = uri.getPath().isEmpty() ? page : page.resolveSibling(uri.getPath()).normalize();
        if (!Files.exists(target)) {
            return "no such file or directory: " + target;
        }
        String fragment = uri.getFragment();
        if (fragment == null) {
            return null;
        }
        if (!target.toString().endsWith(".md")) {
            return "an anchor into a file that is not Markdown";
        }
        return anchors(Markdown.parse(target)).contains(fragment) ? null : "no heading with anchor #" + fragment
                                                                           + " in " + target;
    }

    private static Set<String> anchors(Node doc) {
        Map<String, Integer> seen = new HashMap<>();
        Set<String> anchors = new HashSet<>();
        doc.accept(new AbstractVisitor() {
            @Override
            public void visit(Heading heading) {
                String slug = Markdown.text(heading).strip().toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "").replace(' ', '-');
                int repeat = seen.merge(slug, 1, Integer::sum) - 1;
                anchors.add(repeat == 0 ? slug : slug + "-" + repeat);
            }
        });
        return anchors;
    }
}
