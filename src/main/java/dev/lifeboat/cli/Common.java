package dev.lifeboat.cli;

import dev.lifeboat.config.Settings;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.IdentityFile;
import dev.lifeboat.source.postgres.PgAuth;
import dev.lifeboat.source.postgres.PgTools;
import dev.lifeboat.repository.LocalKeyCache;
import dev.lifeboat.repository.LocalTrust;
import dev.lifeboat.repository.Repository;
import dev.lifeboat.storage.Storage;
import dev.lifeboat.storage.Storages;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Options every command shares, and the settings they resolve to. */
final class Common {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Common.class);

    @Option(names = "--repo", paramLabel = "LOCATION",
            description = "Repository: a folder, or s3://bucket/prefix?endpoint=...&region=... "
                    + "(default: LIFEBOAT_REPOSITORY, the config file, else ./backups)")
    String repo;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (default: ./lifeboat.yml when present)")
    Path config;

    @Option(names = "--identity", paramLabel = "FILE",
            description = "age identity file, to read an encrypted repository (default: LIFEBOAT_IDENTITY_FILE)")
    Path identity;

    private Settings settings;

    Settings settings() {
        if (settings == null) {
            settings = Settings.load(config, System.getenv());
            if (repo != null) {
                settings.repository = repo;
            }
            if (identity != null) {
                settings.identityFile = identity.toString();
            }
        }
        return settings;
    }

    /** The first connection given, else the configured database ({@code --db} / {@code DATABASE_URL}). */
    String database(String... given) {
        for (String g : given) {
            if (g != null) {
                return g;
            }
        }
        return settings().databases.isEmpty() ? null : settings().databases.get(0);
    }

    Storage openStorage() {
        try {
            return Storages.openWithRetries(settings().repository);
        } catch (IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.USAGE, "invalid repository location: " + e.getMessage(),
                    "use a folder or s3://bucket/prefix?endpoint=...&region=...");
        }
    }

    /**
     * The repository on {@code storage}, whose locks wait up to LIFEBOAT_LOCK_WAIT, once its config.json checked out
     * against this host's record of it and the identity file's signing key ({@link Repository#trusted}).
     */
    Repository openRepository(Storage storage) throws IOException {
        Repository repo = Repository.open(storage).withLockWait(settings().lockWait);
        if (repo.trusted(new LocalTrust(settings().keyDir), identitySigningKeys())) {
            log.info("first use of the repository at {} on this host: its configuration is recorded in {}",
                    storage.location(), new LocalTrust(settings().keyDir).fileFor(storage.location()));
        }
        return repo;
    }

    /** The signing keys the identity file names (empty without one). */
    List<String> identitySigningKeys() {
        return fromIdentityFile(IdentityFile::signingKeys);
    }

    List<String> identities() {
        return fromIdentityFile(IdentityFile::read);
    }

    private interface IdentityReader {
        List<String> read(Path file) throws IOException;
    }

    private List<String> fromIdentityFile(IdentityReader reader) {
        String file = settings().identityFile;
        if (file == null) {
            return List.of();
        }
        try {
            return reader.read(Path.of(file));
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "cannot use identity file " + file + ": "
                    + e.getMessage(), "give an age identity file ('lifeboat keygen -o FILE' or age-keygen) with --identity");
        }
    }

    LocalKeyCache keyCache() {
        return new LocalKeyCache(settings().keyDir, settings().signingKey);
    }

    /**
     * PostgreSQL's programs, found in LIFEBOAT_PG_BIN first, waiting up to LIFEBOAT_PG_LOCK_WAIT for table locks. A
     * password that a server asks for and libpq finds nowhere is asked for on the terminal, once per login
     * ({@link PgAuth}); the service, which never asks, builds its own.
     */
    PgTools pgTools() {
        PgAuth.askWith(Terminal::readPassword);
        return PgTools.search(settings().pgBin, settings().pgLockWait);
    }
}
