package dev.lifeboat.repository;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.Age;
import dev.lifeboat.crypto.Signing;
import dev.lifeboat.storage.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The attacks of someone who can write the repository's storage and holds nothing else (issue 14): each test plays
 * one, and checks that Lifeboat refuses, saying why.
 */
class UntrustedStorageTest {
    private static final ChunkerParams SMALL = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024, 42);

    @TempDir
    Path keyDir;

    private Repository initEncrypted(MemoryStorage storage, String recipient) throws IOException {
        return Repository.init(storage, List.of(recipient), SMALL, 3, new LocalKeyCache(keyDir), null,
                new LocalTrust(keyDir));
    }

    private Repository reopen(MemoryStorage storage) throws IOException {
        Repository repo = Repository.open(storage);
        repo.trusted(new LocalTrust(keyDir), List.of());
        return repo;
    }

    private static void rewriteConfig(MemoryStorage storage, java.util.function.UnaryOperator<String> edit)
            throws IOException {
        String json = new String(storage.readAllBytes(RepoConfig.BLOB), StandardCharsets.UTF_8);
        storage.write(RepoConfig.BLOB, edit.apply(json).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void swappedRecipientsAreRefusedBeforeAnythingIsWritten() throws IOException {
        String[] owner = Age.generate();
        String[] attacker = Age.generate();
        MemoryStorage storage = new MemoryStorage();
        initEncrypted(storage, owner[1]);
        assertThat(Repository.open(storage).trusted(new LocalTrust(keyDir), List.of())).isFalse(); // init recorded it

        rewriteConfig(storage, s -> s.replace(owner[1], attacker[1]));
        int blobs = storage.size();
        assertThatThrownBy(() -> reopen(storage)).isInstanceOf(LifeboatException.class)
                .satisfies(e -> assertThat(((LifeboatException) e).code()).isEqualTo(ErrorCode.INTEGRITY))
                .hasMessageContaining("not the one this host recorded")
                .hasMessageContaining("the recipients [" + owner[1] + "] became [" + attacker[1] + "]")
                .hasMessageContaining("Nothing was read or written");
        assertThat(storage.size()).isEqualTo(blobs);
    }

    @Test
    void removedEncryptionIsRefusedAndTheRecordKeepsTheOriginal() throws IOException {
        String[] owner = Age.generate();
        MemoryStorage storage = new MemoryStorage();
        initEncrypted(storage, owner[1]);
        byte[] original = storage.readAllBytes(RepoConfig.BLOB);
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(original);
        tree.remove("encryption");
        tree.put("chunkId", "sha256");
        storage.write(RepoConfig.BLOB, Json.MAPPER.writeValueAsBytes(tree));
        assertThatThrownBy(() -> reopen(storage)).hasMessageContaining("encryption was removed")
                .hasMessageContaining("chunk ids 'hmac-sha256' became 'sha256'");
        // The hint's record holds what to put back.
        var record = Json.MAPPER.readTree(new LocalTrust(keyDir).fileFor(storage.location()).toFile());
        assertThat(record.path("config").path("encryption").path("recipients").get(0).asText()).isEqualTo(owner[1]);
    }

    @Test
    void aHostSeeingTheRepositoryFirstRecordsItThenHoldsItToThat() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        LocalTrust other = new LocalTrust(keyDir.resolve("other-host"));
        assertThat(Repository.open(storage).trusted(other, List.of())).isTrue();
        assertThat(Repository.open(storage).trusted(other, List.of())).isFalse();
        KeyPair attacker = Signing.generate();
        String theirs = Signing.publicKeyText(attacker.getPublic());
        rewriteConfig(storage, s -> s.replaceAll("ed25519:[A-Za-z0-9+/=]+", theirs));
        assertThatThrownBy(() -> Repository.open(storage).trusted(other, List.of()))
                .hasMessageContaining("the signing key was replaced");
    }

    @Test
    void configuredRecipientsMustBeTheRepositorysOwn() throws IOException {
        String[] owner = Age.generate();
        String[] other = Age.generate();
        MemoryStorage encrypted = new MemoryStorage();
        Repository repo = initEncrypted(encrypted, owner[1]);
        repo.requireRecipients(List.of());
        repo.requireRecipients(List.of(" " + owner[1]));
        assertThatThrownBy(() -> repo.requireRecipients(List.of(other[1]))).hasMessageContaining("encrypts to ["
                + owner[1] + "], not to the recipients this host is configured with [" + other[1] + "]");
        Repository plain = Repository.init(new MemoryStorage(), List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        assertThatThrownBy(() -> plain.requireRecipients(List.of(owner[1]))).hasMessageContaining("is not encrypted");
    }

    /** A backup forged with nothing but what the storage holds (the public key, the chunk format) is refused. */
    @Test
    void forgedUnsignedAndReplayedManifestsAreRefused() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        Instant t = Instant.parse("2026-12-01T03:00:00Z");
        String good = BackupIds.next(t);
        Artifact a;
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            a = w.write("app.dump", "app", Artifact.PG_DUMP_CUSTOM,
                    new ByteArrayInputStream("create table t();".getBytes(StandardCharsets.UTF_8)), n -> {});
            w.flush();
        }
        repo.commit(new Manifest(1, good, null, Manifest.COMPLETED, t, t, "test", "h", List.of(), List.of(a),
                a.size(), a.storedSize(), 0, null));
        Repository reader = reopen(storage);
        assertThat(reader.manifest(good).id()).isEqualTo(good);

        // A forged backup: valid chunks and a valid manifest, but no signature...
        String forged = BackupIds.next(t.plusSeconds(60));
        Artifact evil;
        try (ChunkWriter w = reader.chunkWriter(Keys.PLAIN, 3, 2)) {
            evil = w.write("app.dump", "app", Artifact.PG_DUMP_CUSTOM, new ByteArrayInputStream(
                    "create function backdoor() returns int as 'select 1' language sql;".getBytes()), n -> {});
            w.flush();
        }
        Manifest m = new Manifest(1, forged, null, Manifest.COMPLETED, t, t, "test", "h", List.of(), List.of(evil),
                evil.size(), evil.storedSize(), 0, null);
        storage.write(Manifest.blobName(forged), Json.MAPPER.writeValueAsBytes(m));
        assertThatThrownBy(() -> reader.manifest(forged)).isInstanceOf(LifeboatException.class)
                .hasMessageContaining("backup " + forged + " is not signed");
        // ... or signed by the attacker's own key, or with the good backup's signature copied.
        storage.write(Manifest.signatureBlobName(forged),
                Signing.sign(Signing.generate().getPrivate(), storage.readAllBytes(Manifest.blobName(forged))));
        assertThatThrownBy(() -> reader.manifest(forged)).hasMessageContaining("forged or altered");
        storage.write(Manifest.signatureBlobName(forged), storage.readAllBytes(Manifest.signatureBlobName(good)));
        assertThatThrownBy(() -> reader.manifest(forged)).hasMessageContaining("forged or altered");
        // "latest" passes over it to the newest authentic backup, and a listing names what is wrong with it.
        assertThat(reader.resolve("latest")).isEqualTo(good);
        assertThat(reader.entries()).filteredOn(e -> e.id().equals(forged)).singleElement()
                .satisfies(e -> assertThat(e.manifestError()).contains("forged or altered"));
        // An altered byte of an authentic manifest is caught the same way.
        byte[] raw = storage.readAllBytes(Manifest.blobName(good));
        storage.write(Manifest.blobName(good), new String(raw, StandardCharsets.UTF_8).replace("\"h\"", "\"x\"")
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> reader.manifest(good)).hasMessageContaining("forged or altered");
    }

    @Test
    void anIdentityThatNamesASigningKeyRefusesARepositorySignedByAnother() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        KeyPair mine = Signing.generate();
        Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir), mine.getPrivate(), null);
        LocalTrust fresh = new LocalTrust(keyDir.resolve("restore-host"));
        String myKey = Signing.publicKeyText(mine.getPublic());
        assertThat(Repository.open(storage).trusted(fresh, List.of(myKey))).isTrue();
        String theirs = Signing.publicKeyText(Signing.generate().getPublic());
        assertThatThrownBy(() -> Repository.open(storage).trusted(new LocalTrust(keyDir.resolve("h2")), List.of(theirs)))
                .hasMessageContaining("does not open repository").hasMessageContaining("names " + Signing.fingerprint(mine.getPublic()));
    }

    /** Restore checks every chunk against its id: a whole valid chunk swapped for another is caught where it is. */
    @Test
    void aChunkSwappedForAnotherValidOneIsNamedBeforeItsBytesAreHandedOut() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = Repository.init(storage, List.of(), SMALL, 3, new LocalKeyCache(keyDir));
        byte[] content = RepositoryTest.data(600_000, 5);
        Artifact a;
        try (ChunkWriter w = repo.chunkWriter(Keys.PLAIN, 3, 2)) {
            a = w.write("a.dump", "a", Artifact.PG_DUMP_CUSTOM, new ByteArrayInputStream(content), n -> {});
            w.flush();
        }
        ChunkRef first = a.chunks().get(0);
        // Another chunk's plain bytes, cut to the same size and compressed as a valid zstd frame.
        byte[] other = java.util.Arrays.copyOfRange(content, content.length - first.size(), content.length);
        storage.write(first.blobName(), com.github.luben.zstd.Zstd.compress(other, 3));
        try (InputStream in = repo.artifactReader(Keys.PLAIN).open(a)) {
            assertThatThrownBy(() -> in.read(new byte[1])).isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining(first.id()).hasMessageContaining("does not match its checksum");
        }
    }
}
