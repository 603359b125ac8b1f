package dev.lifeboat.storage.local;

import dev.lifeboat.storage.PermanentStorageException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 14: someone who can write the repository's folder plants symbolic links in it; local storage follows none of
 * them, for any read, write, listing or delete, and what lies behind them is left byte for byte as it was.
 */
class LocalStorageLinksTest {
    @TempDir
    Path tmp;
    Path root;
    Path victim;
    LocalStorage storage;

    @BeforeEach
    void plant() throws Exception {
        root = Files.createDirectories(tmp.resolve("repo"));
        victim = Files.createDirectories(tmp.resolve("victim/sub/deeper"));
        victim = tmp.resolve("victim");
        Files.writeString(victim.resolve("important.conf"), "keep\n");
        Files.writeString(victim.resolve("sub/deeper/key.pem"), "keep\n");
        Files.writeString(victim.resolve("manifest.json"), "{}\n");
        storage = new LocalStorage(root);
        storage.write("backups/20261201T000000Z-aaaaaa/manifest.json", new ByteArrayInputStream("{}".getBytes()));
        Files.createSymbolicLink(root.resolve("backups/zzz-not-a-backup"), victim);
        Files.createDirectories(root.resolve("chunks"));
        Files.createSymbolicLink(root.resolve("chunks/zz"), victim);
        Files.createSymbolicLink(root.resolve("policy.json"), victim.resolve("important.conf"));
    }

    private Map<String, String> victimFiles() throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(victim)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    out.put(victim.relativize(p).toString(), Files.readString(p));
                }
            }
        }
        return out;
    }

    @Test
    void noReadWriteListingOrDeleteGoesThroughALink() throws Exception {
        Map<String, String> before = victimFiles();
        assertThat(before).hasSize(3);

        for (String name : new String[] {"backups/zzz-not-a-backup/pin.json", "backups/zzz-not-a-backup/status.json",
                "chunks/zz/zz0000", "policy.json"}) {
            assertThatThrownBy(() -> storage.write(name, new ByteArrayInputStream("x".getBytes())))
                    .isInstanceOf(PermanentStorageException.class).hasMessageContaining("is a symbolic link")
                    .hasMessageContaining("nothing was read, written or deleted through it");
            assertThatThrownBy(() -> storage.delete(name)).isInstanceOf(PermanentStorageException.class);
            assertThatThrownBy(() -> storage.stat(name)).isInstanceOf(PermanentStorageException.class);
        }
        assertThatThrownBy(() -> storage.read("backups/zzz-not-a-backup/manifest.json"))
                .hasMessageContaining("backups/zzz-not-a-backup is a symbolic link");
        assertThatThrownBy(() -> storage.read("policy.json")).hasMessageContaining("policy.json is a symbolic link");
        assertThatThrownBy(() -> storage.list("backups/zzz-not-a-backup/")).hasMessageContaining("symbolic link");

        // Listings skip the links and go on with the rest.
        assertThat(storage.list("")).extracting(b -> b.name())
                .containsExactly("backups/20261201T000000Z-aaaaaa/manifest.json");
        assertThat(storage.list("chunks/")).isEmpty();
        assertThat(storage.removeDebris(java.time.Instant.now().plusSeconds(3600))).isZero();

        assertThat(victimFiles()).isEqualTo(before);
        assertThat(Files.isSymbolicLink(root.resolve("backups/zzz-not-a-backup"))).isTrue();
        assertThat(new String(storage.readAllBytes("backups/20261201T000000Z-aaaaaa/manifest.json"),
                StandardCharsets.UTF_8)).isEqualTo("{}");
    }

    @Test
    void aRepositoryWhoseRootIsALinkIsTheUsersChoiceAndWorks() throws Exception {
        Path link = Files.createSymbolicLink(tmp.resolve("repo-link"), root);
        LocalStorage viaLink = new LocalStorage(link);
        viaLink.write("backups/20261201T000000Z-bbbbbb/manifest.json", new ByteArrayInputStream("{}".getBytes()));
        assertThat(viaLink.stat("backups/20261201T000000Z-bbbbbb/manifest.json")).isPresent();
        assertThat(Files.exists(root.resolve("backups/20261201T000000Z-bbbbbb/manifest.json"))).isTrue();
        // listing the whole repository and removing debris go through the root's link too, and no further
        assertThat(viaLink.list("")).extracting(b -> b.name()).containsExactlyInAnyOrder(
                "backups/20261201T000000Z-aaaaaa/manifest.json", "backups/20261201T000000Z-bbbbbb/manifest.json");
        Path debris = root.resolve("backups/20261201T000000Z-bbbbbb/" + LocalStorage.TEMP_PREFIX + "killed");
        Files.write(debris, new byte[3]);
        Files.setLastModifiedTime(debris, java.nio.file.attribute.FileTime.from(java.time.Instant.EPOCH));
        Path behindALink = victim.resolve(LocalStorage.TEMP_PREFIX + "not-ours");
        Files.write(behindALink, new byte[3]);
        Files.setLastModifiedTime(behindALink, java.nio.file.attribute.FileTime.from(java.time.Instant.EPOCH));
        assertThat(viaLink.removeDebris(java.time.Instant.now())).isEqualTo(1);
        assertThat(debris).doesNotExist();
        assertThat(behindALink).exists();
    }
}
