package dev.vbuf.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.commonmark.ext.gfm.tables.TableBlock;
import org.commonmark.ext.gfm.tables.TableCell;
import org.commonmark.ext.gfm.tables.TableRow;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;

/** The tables of README.md, parsed as GitHub-flavoured Markdown: rows of plain-text cells (code spans unwrapped). */
public final class ReadmeTables {
    private ReadmeTables() {
    }

    /** The body rows of the first table whose header row starts with the given cells. */
    public static List<List<String>> table(String... header) throws IOException {
        String md = Files.readString(Path.of("README.md"));
        Node doc = Parser.builder().extensions(List.of(TablesExtension.create())).build().parse(md);
        List<List<List<String>>> tables = new ArrayList<>();
        doc.accept(new AbstractVisitor() {
            @Override
            public void visit(CustomBlock block) {
                if (block instanceof TableBlock) {
                    List<List<String>> rows = new ArrayList<>();
                    collectRows(block, rows);
                    tables.add(rows);
                }
            }
        });
        for (List<List<String>> t : tables) {
            if (!t.isEmpty() && t.get(0).size() >= header.length
                && t.get(0).subList(0, header.length).equals(List.of(header))) {
                return t.subList(1, t.size());
            }
        }
        throw new AssertionError("README.md has no table with header " + List.of(header));
    }

    private static void collectRows(Node node, List<List<String>> rows) {
        for (Node n = node.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof TableRow row) {
                List<String> cells = new ArrayList<>();
                for (Node c = row.getFirstChild(); c != null; c = c.getNext()) {
                    if (c instanceof TableCell cell) {
                        cells.add(text(cell).strip());
                    }
                }
                rows.add(cells);
            } else {
                collectRows(n, rows);
            }
        }
    }

    private static String text(Node node) {
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
