package dev.vbuf.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.commonmark.ext.gfm.tables.TableBlock;
import org.commonmark.ext.gfm.tables.TableCell;
import org.commonmark.ext.gfm.tables.TableRow;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.Node;

/**
 * The tables of README.md and docs/*.md, parsed as GitHub-flavoured Markdown: rows of plain-text cells (code spans
 * unwrapped). A table is found by its header row, so a test names the columns it checks.
 */
public final class ReadmeTables {
    private ReadmeTables() {
    }

    /** The body rows of the first table in {@code file} whose header row starts with the given cells. */
    public static List<List<String>> table(Path file, String... header) throws IOException {
        return find(file, header).orElseThrow(
                () -> new AssertionError(file + " has no table with header " + List.of(header)));
    }

    private static Optional<List<List<String>>> find(Path file, String... header) throws IOException {
        List<List<List<String>>> tables = new ArrayList<>();
        Markdown.parse(file).accept(new AbstractVisitor() {
            @Override
            public void visit(CustomBlock block) {
                if (block instanceof TableBlock) {
                    List<List<String>> rows = new ArrayList<>();
                    collectRows(block, rows);
                    tables.add(rows);
                }
            }
        });
        return tables.stream()
                .filter(t -> !t.isEmpty() && t.get(0).size() >= header.length
                             && t.get(0).subList(0, header.length).equals(List.of(header)))
                .findFirst()
                .map(t -> t.subList(1, t.size()));
    }

    private static void collectRows(Node node, List<List<String>> rows) {
        for (Node n = node.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof TableRow row) {
                List<String> cells = new ArrayList<>();
                for (Node c = row.getFirstChild(); c != null; c = c.getNext()) {
                    if (c instanceof TableCell cell) {
                        cells.add(Markdown.text(cell).strip());
                    }
                }
                rows.add(cells);
            } else {
                collectRows(n, rows);
            }
        }
    }
}
