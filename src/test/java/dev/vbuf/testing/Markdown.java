package dev.vbuf.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;

/** The project's Markdown documentation, parsed as GitHub-flavoured Markdown (with tables) by commonmark. */
public final class Markdown {
    /** Where the documentation lives: README.md is the map, docs/ the pages it points to. */
    public static final Path README = Path.of("README.md");
    public static final Path DOCS = Path.of("docs");

    private static final Parser PARSER = Parser.builder().extensions(List.of(TablesExtension.create())).build();

    private Markdown() {
    }

    /** README.md, then docs/*.md in name order. */
    public static List<Path> documentation() throws IOException {
        try (Stream<Path> pages = Files.list(DOCS)) {
            return Stream.concat(Stream.of(README),
                                 pages.filter(p -> p.getFileName().toString().endsWith(".md")).sorted()).toList();
        }
    }

    public static Node parse(Path file) throws IOException {
        return parseText(Files.readString(file));
    }

    public static Node parseText(String markdown) {
        return PARSER.parse(markdown);
    }

    /** A node's text as a reader sees it: plain text and code spans, markup dropped. */
    public static String text(Node node) {
        StringBuilder sb = new StringBuilder();
        node.accept(new AbstractVisitor() {
            @Override
            public void visit(Text text) {
                sb.append(text.getLiteral());
            }

            @Override
            public void visit(Code code) {
                sb.append(code.getLiteral());
            }
        });
        return sb.toString();
    }
}
