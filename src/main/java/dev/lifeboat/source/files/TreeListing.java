package dev.lifeboat.source.files;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Artifact;
import dev.lifeboat.repository.Json;
import dev.lifeboat.source.Restorer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** The entries of a files source's backup, read from its listing alone (its data is not read): for {@code ls}. */
public final class TreeListing {
    private TreeListing() {}

    /**
     * Gives every entry at or below {@code under} ({@code null} or {@code .} for the whole tree), in the listing's
     * order, to {@code each}.
     */
    public static void read(Restorer.Artifacts artifacts, String under, Consumer<Entry> each) throws IOException {
        Artifact tree = artifacts.list().stream().filter(a -> FilesType.TREE.equals(a.format())).findFirst()
                .orElseThrow(() -> new LifeboatException(ErrorCode.USAGE, "that source has no file list: it is not "
                        + "of type files", "list the files of a files source"));
        String prefix = under == null || under.equals(".") || under.isEmpty() ? null
                : under.replaceAll("/+$", "");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(artifacts.open(tree),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                Entry e = Json.MAPPER.readValue(line, Entry.class);
                if (prefix == null || e.path().equals(prefix) || e.path().startsWith(prefix + "/")) {
                    each.accept(e);
                }
            }
        }
    }
}
