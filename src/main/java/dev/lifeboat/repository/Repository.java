package dev.lifeboat.repository;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.crypto.Age;
import dev.lifeboat.crypto.Signing;
import dev.lifeboat.storage.Storage;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A Lifeboat repository on some {@link Storage}: its config, its backups' manifests, its chunks and its
 * locks. The layout and the order of writes are in docs/REPOSITORY-FORMAT.md, which changes together
 * with this package.
 */
public final class Repository {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Repository.class);
    /** How long {@link #lock} waits for a conflicting lock unless told otherwise ({@link #withLockWait}). */
    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofMinutes(5);

    private final Storage storage;
    private final RepoConfig config;
    private final byte[] rawConfig;
    private final Duration lockWait;
    /** The key verifying manifests (from {@code config.json}, as far as {@link #trusted} vouches); null in format 1. */
    private final PublicKey signedBy;
    /** The key {@link #init} made or was given: {@link #commit(Manifest)} signs with it. */
    private final PrivateKey initSigner;

    private Repository(Storage storage, RepoConfig config, byte[] rawConfig, Duration lockWait, PrivateKey initSigner) {
        this.storage = storage;
        this.config = config;
        this.rawConfig = rawConfig;
        this.lockWait = lockWait;
        this.initSigner = initSigner;
        this.signedBy = config.signed() ? Signing.parsePublicKey(config.signing().publicKey()) : null;
    }

    /** This repository, whose {@link #lock} waits up to {@code wait} for conflicting locks (LIFEBOAT_LOCK_WAIT). */
    public Repository withLockWait(Duration wait) {
        return new Repository(storage, config, rawConfig, wait, initSigner);
    }

    /**
     * Checks {@code config.json} against what this host trusts before anything else is read or written: this host's
     * record of the repository ({@link LocalTrust}: any change is refused; none yet is recorded as first use), and
     * the signing keys the identity files name (the key {@code config.json} names must be one of them).
     *
     * @param trustedSigningKeys {@code ed25519:...} keys of the identity files given ({@link
     *                           dev.lifeboat.crypto.IdentityFile#signingKeys}); empty when they name none
     * @return whether this was this host's first use of the repository
     */
    public boolean trusted(LocalTrust trust, List<String> trustedSigningKeys) throws IOException {
        LocalTrust.Checked checked = trust.check(storage.location(), rawConfig, config);
        if (!trustedSigningKeys.isEmpty()) {
            List<PublicKey> keys = new ArrayList<>();
            for (String k : trustedSigningKeys) {
                keys.add(Signing.parsePublicKey(k));
            }
            if (signedBy == null) {
                throw new LifeboatException(ErrorCode.INTEGRITY, "the repository at " + storage.location()
                        + " signs no backups (config.json of format " + config.version() + " names no signing key), "
                        + "but the identity file given trusts signing key " + Signing.fingerprint(keys.get(0))
                        + ": config.json may have been replaced to drop the signatures",
                        "if the repository was made before Lifeboat signed backups (format 1), give an identity "
                                + "file without the 'lifeboat signing key' line; else put back the original config.json");
            }
            if (keys.stream().noneMatch(k -> java.util.Arrays.equals(k.getEncoded(), signedBy.getEncoded()))) {
                throw new LifeboatException(ErrorCode.ENCRYPTION, "the identity file given does not open repository "
                        + storage.location() + ": it trusts signing key " + Signing.fingerprint(keys.get(0))
                        + ", and the repository's config.json names " + Signing.fingerprint(signedBy),
                        "give the identity file made for this repository" + (config.encrypted()
                                ? " (its public key is one of: " + String.join(", ", config.encryption().recipients())
                                + ")" : "") + "; if it is the right one, config.json was replaced and the backups may "
                                + "be forged: put back the original config.json");
            }
        }
        return checked.firstUse();
    }

    /**
     * Refuses to write unless the repository encrypts to exactly {@code expected} (the recipients of lifeboat.yml or
     * LIFEBOAT_RECIPIENTS), so that a {@code config.json} changed before this host first used it cannot redirect or
     * turn off encryption either. Nothing is checked when {@code expected} is empty.
     */
    public void requireRecipients(List<String> expected) {
        if (expected.isEmpty()) {
            return;
        }
        java.util.Set<String> want = new java.util.TreeSet<>(expected.stream().map(String::trim).toList());
        if (!config.encrypted()) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "the repository at " + storage.location() + " is not "
                    + "encrypted, but this host is configured to encrypt to " + want + " (recipients): nothing was written",
                    "if config.json was changed, put back the original; else create an encrypted repository with "
                            + "'lifeboat init --recipient ...', or drop the recipients setting");
        }
        java.util.Set<String> have = new java.util.TreeSet<>(config.encryption().recipients());
        if (!have.equals(want)) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "the repository at " + storage.location()
                    + " encrypts to " + have + ", not to the recipients this host is configured with " + want
                    + ": nothing was written", "if config.json was changed, put back the original; else set the "
                    + "recipients setting (lifeboat.yml or LIFEBOAT_RECIPIENTS) to the repository's");
        }
    }

    public Storage storage() {
        return storage;
    }

    public RepoConfig config() {
        return config;
    }

    /**
     * Creates a repository. With recipients, a random chunk-id key is created, stored encrypted to the
     * recipients in the repository, and cached in {@code keyCache} for this host's backups.
     */
    public static Repository init(Storage storage, List<String> recipients, ChunkerParams chunker, int level,
                                  LocalKeyCache keyCache) throws IOException {
        return init(storage, recipients, chunker, level, keyCache, null, null);
    }

    /**
     * {@link #init(Storage, List, ChunkerParams, int, LocalKeyCache)}, signing manifests with {@code signingKey}
     * (kept in {@code keyCache}), or a new key when null, and recording the configuration in {@code trust}.
     */
    public static Repository init(Storage storage, List<String> recipients, ChunkerParams chunker, int level,
                                  LocalKeyCache keyCache, PrivateKey signingKey, LocalTrust trust) throws IOException {
        if (storage.stat(RepoConfig.BLOB).isPresent()) {
            throw new LifeboatException(ErrorCode.REPOSITORY,
                    "a repository already exists at " + storage.location(),
                    "use it as it is, or choose another location with --repo");
        }
        String other = firstBlob(storage);
        if (other != null) {
            throw new LifeboatException(ErrorCode.REPOSITORY, storage.location() + " is not empty and holds no "
                    + "Lifeboat repository (it has " + other + ", for one)",
                    "create the repository in an empty folder or prefix: give another --repo");
        }
        String id = UUID.randomUUID().toString();
        RepoConfig.Encryption encryption = null;
        if (!recipients.isEmpty()) {
            List<RecipientStanzaWriter> writers = Age.recipients(recipients);
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            String keyBlob = "keys/chunk-id-key.age";
            storage.write(keyBlob, Age.encrypt(key, writers));
            keyCache.store(id, key);
            encryption = new RepoConfig.Encryption("age-x25519", List.copyOf(recipients), keyBlob);
        }
        PrivateKey signer = signingKey != null ? signingKey : Signing.generate().getPrivate();
        keyCache.storeSigningKey(id, signer);
        RepoConfig config = new RepoConfig(RepoConfig.FORMAT, RepoConfig.VERSION, id, Clock.systemUTC().instant(),
                chunker, new RepoConfig.Compression("zstd", level), encryption == null ? "sha256" : "hmac-sha256",
                encryption, new RepoConfig.Signing(Signing.ALGORITHM, Signing.publicKeyText(Signing.publicKeyOf(signer))),
                RepoConfig.defaultPacks(chunker));
        byte[] raw = Json.MAPPER.writeValueAsBytes(config);
        if (trust != null) {
            trust.record(storage.location(), raw, config); // before the repository exists: init is where trust starts
        }
        storage.write(RepoConfig.BLOB, raw);
        return new Repository(storage, config, raw, DEFAULT_LOCK_WAIT, signer);
    }

    /** The name of one blob in {@code storage}, or null when it holds none; stops listing at the first. */
    private static String firstBlob(Storage storage) throws IOException {
        final class Found extends RuntimeException {
            final String name;

            Found(String name) {
                super(null, null, false, false);
                this.name = name;
            }
        }
        try {
            storage.forEach("", b -> {
                throw new Found(b.name());
            });
            return null;
        } catch (Found f) {
            return f.name;
        }
    }

    public static Repository open(Storage storage) throws IOException {
        byte[] raw;
        try {
            raw = storage.readAllBytes(RepoConfig.BLOB);
        } catch (NoSuchFileException e) {
            throw new LifeboatException(ErrorCode.REPOSITORY,
                    "no Lifeboat repository at " + storage.location() + " (config.json is missing)",
                    "run 'lifeboat init' to create one, or point --repo / LIFEBOAT_REPOSITORY at an existing one");
        }
        RepoConfig config;
        String fix = "restore config.json from a replica or another copy of the repository";
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "config.json of the repository at " + storage.location()
                    + " is not valid JSON (" + FormatCheck.parserMessage(e) + ")", fix, e);
        }
        if (tree == null || !tree.isObject()) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "config.json of the repository at " + storage.location()
                    + " is not a JSON object", fix);
        }
        if (!RepoConfig.FORMAT.equals(tree.path("format").asText(null))) {
            throw new LifeboatException(ErrorCode.REPOSITORY,
                    "config.json at " + storage.location() + " is of format '" + tree.path("format").asText(null)
                            + "', not a Lifeboat repository (" + RepoConfig.FORMAT + ")",
                    "point --repo / LIFEBOAT_REPOSITORY at a Lifeboat repository");
        }
        // The version before the other fields: a newer format is refused as such, whatever its fields hold.
        com.fasterxml.jackson.databind.JsonNode version = tree.path("version");
        if (version.isIntegralNumber() && version.canConvertToInt() && version.asInt() > RepoConfig.VERSION) {
            throw FormatCheck.newer("config.json of the repository at " + storage.location(), version.asInt(),
                    RepoConfig.VERSION, null);
        }
        try {
            config = Json.MAPPER.treeToValue(tree, RepoConfig.class);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "config.json of the repository at " + storage.location()
                    + " is malformed: " + FormatCheck.mappingMessage(e), fix, e);
        }
        List<String> problems = FormatCheck.problems(config);
        if (!problems.isEmpty()) {
            throw new LifeboatException(ErrorCode.REPOSITORY, "config.json of the repository at " + storage.location()
                    + " is malformed: " + String.join("; ", problems), fix);
        }
        if (config.version() >= 2 && (config.signing() == null
                || !Signing.ALGORITHM.equals(config.signing().algorithm()))) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "config.json of the repository at " + storage.location()
                    + " is of format " + config.version() + " and names no " + Signing.ALGORITHM + " signing key: "
                    + "its backups cannot be authenticated", "put back the original config.json (this host's record "
                    + "of it is in the key folder's repositories/)");
        }
        try {
            return new Repository(storage, config, raw, DEFAULT_LOCK_WAIT, null);
        } catch (IllegalArgumentException badKey) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "config.json of the repository at " + storage.location()
                    + " holds an invalid signing key: " + badKey.getMessage(), "put back the original config.json", badKey);
        }
    }

    /**
     * Keys for writing backups: the recipients and the chunk-id key, from the host's cache or, when an
     * identity is given, from the repository (then cached).
     */
    public Keys writeKeys(LocalKeyCache cache, List<String> identities) throws IOException {
        return unsignedWriteKeys(cache, identities).withSigningKey(signingKey(cache, true));
    }

    /**
     * Keys for a restore: {@link #readKeys}, with this host's signing key when it has one, for the safety backup (a
     * host without one restores, but cannot take a safety backup: {@link #commit} says so).
     */
    public Keys restoreKeys(LocalKeyCache cache, List<String> identities) throws IOException {
        return readKeys(identities).withSigningKey(signingKey(cache, false));
    }

    /**
     * The key that signs this repository's manifests on this host: {@code signingKey} / LIFEBOAT_SIGNING_KEY, else
     * the key folder's {@code <id>.signing-key}; null in format 1. Refused when it is not the key config.json names.
     */
    private PrivateKey signingKey(LocalKeyCache cache, boolean required) throws IOException {
        if (signedBy == null) {
            return null;
        }
        java.nio.file.Path file = cache.signingKeyFor(config.id());
        Optional<PrivateKey> key;
        try {
            key = cache.loadSigningKey(config.id());
        } catch (IOException e) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "cannot read the signing key " + file + ": "
                    + e.getMessage(), "give the PKCS#8 PEM key 'lifeboat init' or 'lifeboat keygen' made", e);
        }
        if (key.isEmpty() && !required) {
            return null;
        }
        if (key.isEmpty()) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "this host has no key to sign backups of repository "
                    + storage.location() + " (expected " + file + "): every backup of it is signed",
                    "copy that file (0600) from the host that ran 'lifeboat init', or point LIFEBOAT_SIGNING_KEY / "
                            + "signingKey at the signing key 'lifeboat keygen' made");
        }
        if (!java.util.Arrays.equals(Signing.publicKeyOf(key.get()).getEncoded(), signedBy.getEncoded())) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "the signing key " + file + " is not the one config.json "
                    + "of the repository at " + storage.location() + " names (" + Signing.fingerprint(signedBy)
                    + "): nothing was written", "use the signing key of this repository; if config.json was "
                    + "changed, put back the original");
        }
        return key.get();
    }

    private Keys unsignedWriteKeys(LocalKeyCache cache, List<String> identities) throws IOException {
        if (!config.encrypted()) {
            return Keys.PLAIN;
        }
        List<RecipientStanzaWriter> recipients = Age.recipients(config.encryption().recipients());
        Optional<byte[]> cached = cache.load(config.id());
        if (cached.isPresent()) {
            return new Keys(cached.get(), recipients, readers(identities));
        }
        if (identities.isEmpty()) {
            throw new LifeboatException(ErrorCode.ENCRYPTION,
                    "this host has no copy of the chunk-id key of encrypted repository " + storage.location()
                            + " (expected " + cache.fileFor(config.id()) + ")",
                    "run this command once with --identity FILE (an age identity of the repository) to recover "
                            + "it from the repository, or copy that file from the host that ran 'lifeboat init'");
        }
        Keys keys = readKeys(identities);
        cache.store(config.id(), keys.chunkIdKey());
        return new Keys(keys.chunkIdKey(), recipients, keys.identities());
    }

    /** Keys for reading: identities, and the chunk-id key decrypted with them, to check chunk ids. */
    public Keys readKeys(List<String> identities) throws IOException {
        if (!config.encrypted()) {
            return Keys.PLAIN;
        }
        if (identities.isEmpty()) {
            throw new LifeboatException(ErrorCode.ENCRYPTION,
                    "repository " + storage.location() + " is encrypted and no identity was given",
                    "pass --identity FILE or set LIFEBOAT_IDENTITY_FILE to an age identity file whose public key "
                            + "is one of: " + String.join(", ", config.encryption().recipients()));
        }
        List<RecipientStanzaReader> readers = readers(identities);
        byte[] key;
        try {
            key = Age.decrypt(storage.readAllBytes(config.encryption().chunkIdKey()), readers);
        } catch (GeneralSecurityException e) {
            throw new LifeboatException(ErrorCode.ENCRYPTION,
                    "the identity given does not open repository " + storage.location(),
                    "use the age identity whose public key is one of: "
                            + String.join(", ", config.encryption().recipients()), e);
        }
        return new Keys(key, Age.recipients(config.encryption().recipients()), readers);
    }

    private static List<RecipientStanzaReader> readers(List<String> identities) {
        try {
            return Age.identities(identities);
        } catch (GeneralSecurityException e) {
            throw new LifeboatException(ErrorCode.ENCRYPTION, "the identity file holds an invalid age key",
                    "generate identities with age-keygen", e);
        }
    }

    /** Takes a repository lock, waiting for conflicting ones up to the lock wait ({@link #withLockWait}). */
    public RepositoryLock lock(RepositoryLock.Kind kind, String purpose) throws IOException {
        return RepositoryLock.acquire(storage, kind, purpose, staleAfter(), Clock.systemUTC(), lockWait);
    }

    private static Duration staleAfter() {
        String s = System.getProperty("lifeboat.lock.staleAfterSeconds");
        return s == null ? RepositoryLock.DEFAULT_STALE_AFTER : Duration.ofSeconds(Long.parseLong(s));
    }

    /** Ids of committed backups, oldest first. */
    public List<String> backupIds() throws IOException {
        return new ArrayList<>(BackupBlobs.list(storage).keySet());
    }

    /**
     * Every chunk of the repository, streamed from one listing of {@code chunks/} (a page at a time), then those of
     * every pack whose index reads and whose pack is there (format 3): its id and stored size. Names that are no
     * chunk's are skipped. After a retried listing, or for a chunk in two packs, some chunks come twice.
     */
    public void forEachChunk(java.util.function.ObjLongConsumer<String> each) throws IOException {
        forEachChunkBlob(each);
        if (!config.packed()) {
            return;
        }
        Packs.forEachUsable(storage, config.packs(), index -> {
            for (Packs.Entry c : index.chunks()) {
                each.accept(c.id(), c.length());
            }
        });
    }

    /**
     * The chunks stored as blobs of their own, streamed from one listing of {@code chunks/}: what prune deletes one
     * by one (packed chunks go with their pack, {@link #packScan}).
     */
    public void forEachChunkBlob(java.util.function.ObjLongConsumer<String> each) throws IOException {
        storage.forEach(ChunkRef.PREFIX, b -> {
            String id = ChunkRef.idOf(b.name());
            if (id != null) {
                each.accept(id, b.size());
            }
        });
    }

    /**
     * The pack files and indexes of a repository of format 3 on ({@link Packs#scan}); empty before, where there are
     * none.
     */
    public Packs.Scan packScan() throws IOException {
        if (!config.packed()) {
            return new Packs.Scan(List.of(), java.util.Map.of(), List.of(), List.of());
        }
        return Packs.scan(storage, config.packs());
    }

    /** {@link #packScan()} one index at a time ({@link Packs#scan(Storage, RepoConfig.Packs, Packs.Visitor)}). */
    public Packs.Scan packScan(Packs.Visitor each) throws IOException {
        if (!config.packed()) {
            return new Packs.Scan(List.of(), java.util.Map.of(), List.of(), List.of());
        }
        return Packs.scan(storage, config.packs(), each);
    }

    private java.lang.ref.SoftReference<ChunkLocations> locations = new java.lang.ref.SoftReference<>(null);

    /**
     * Told by this process's chunk writers once a pack and its index are written: the next chunk not found in the
     * known indexes reads them again at once, so that a restore or a drill right after a backup in the same process
     * (the service) finds the packs that backup wrote.
     */
    synchronized void packWritten() {
        ChunkLocations l = locations.get();
        if (l != null) {
            l.stale();
        }
    }

    /** Where packed chunks are, shared by this repository's readers (the garbage collector may take it back). */
    synchronized ChunkLocations locations() {
        if (!config.packed()) {
            return null;
        }
        ChunkLocations l = locations.get();
        if (l == null) {
            l = new ChunkLocations(storage, config.packs());
            locations = new java.lang.ref.SoftReference<>(l);
        }
        return l;
    }

    /** {@link BackupBlobs#orphanSideBlobs}: what prune deletes beside the backups it removes. */
    public List<String> orphanSideBlobs(java.util.Set<String> live) throws IOException {
        return BackupBlobs.orphanSideBlobs(storage, live);
    }

    /**
     * Every committed backup with its status and pin, oldest first. An unreadable manifest or status blob
     * does not fail the listing: the entry says what is wrong. A backup whose manifest is deleted while the
     * listing runs (a concurrent prune) is left out. {@link Catalog} keeps such a listing up to date in memory.
     */
    public List<BackupEntry> entries() throws IOException {
        List<BackupEntry> out = new ArrayList<>();
        for (BackupBlobs.Listed b : BackupBlobs.list(storage).values()) {
            ListedManifest m = readForListing(b.id());
            if (m != null) {
                out.add(new BackupEntry(b.id(), m.manifest(), m.error(), b.status() == null ? null : status(b.id()),
                        b.pin() != null));
            }
        }
        out.sort(BackupEntry.ORDER);
        return out;
    }

    /**
     * The entries of the given backups only (full ids), oldest first: one listing of {@code backups/} and the
     * reads of their own blobs, however many other backups the repository holds.
     */
    public List<BackupEntry> entries(java.util.Collection<String> ids) throws IOException {
        java.util.Map<String, BackupBlobs.Listed> listed = BackupBlobs.list(storage);
        List<BackupEntry> out = new ArrayList<>();
        for (String id : new java.util.LinkedHashSet<>(ids)) {
            BackupBlobs.Listed b = listed.get(id);
            ListedManifest m = b == null ? null : readForListing(id);
            if (m != null) {
                out.add(new BackupEntry(id, m.manifest(), m.error(), b.status() == null ? null : status(id),
                        b.pin() != null));
            }
        }
        out.sort(BackupEntry.ORDER);
        return out;
    }

    /** A manifest as a listing sees it: the manifest, or why it cannot be read. */
    record ListedManifest(Manifest manifest, String error) {}

    /**
     * Reads a manifest for a listing, which garbage must not fail: an unreadable manifest gives its error.
     *
     * @return null when the manifest is gone (deleted since it was listed)
     */
    ListedManifest readForListing(String id) throws IOException {
        try {
            return new ListedManifest(manifest(id), null);
        } catch (LifeboatException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return null;
            }
            return new ListedManifest(null, e.getMessage());
        }
    }

    /** The backup's last verification result, or null when never verified or unreadable. */
    public BackupStatus status(String id) throws IOException {
        try {
            return readStatus(id);
        } catch (LifeboatException newer) {
            return null; // a listing shows no status it cannot read; verify refuses to overwrite it (recordStatus)
        }
    }

    /**
     * The status blob, or null when absent or malformed (garbage, missing values, or a status value this format
     * does not define: the next verify rewrites it; a warning names it); a status of a newer format version is
     * refused.
     */
    private BackupStatus readStatus(String id) throws IOException {
        byte[] raw;
        try {
            raw = storage.readAllBytes(BackupStatus.blobName(id));
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            return FormatCheck.status(raw, id);
        } catch (LifeboatException e) {
            if (e.code() != ErrorCode.INTEGRITY) {
                throw e; // a newer format
            }
            LOG.warn("{}; taken for no status", e.getMessage());
            return null;
        }
    }

    /**
     * Records a verification result beside the backup, keeping earlier ones as history; refused when the
     * backup's status blob is of a newer format (an old verify never overwrites what a newer one wrote).
     */
    public BackupStatus recordStatus(String id, BackupStatus result) throws IOException {
        BackupStatus full = result.after(readStatus(id));
        com.fasterxml.jackson.databind.node.ObjectNode blob = Json.MAPPER.createObjectNode();
        blob.put("formatVersion", BackupStatus.FORMAT_VERSION); // first, as every reader reads it first
        blob.setAll((com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.valueToTree(full));
        storage.write(BackupStatus.blobName(id), Json.MAPPER.writeValueAsBytes(blob));
        return full;
    }

    /**
     * The retention policy stored in the repository ({@link RepositoryPolicy#BLOB}), empty when none was ever set.
     * A blob of a newer format version is refused, and so is one that is not valid, since prune must never
     * delete by rules it cannot read.
     */
    public Optional<RepositoryPolicy> policy() throws IOException {
        byte[] raw;
        try {
            raw = storage.readAllBytes(RepositoryPolicy.BLOB);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String fix = "set the policy again (lifeboat.yml's retention block, the LIFEBOAT_RETENTION_* variables or "
                + "PUT /api/v1/platform/backups/config), or delete " + RepositoryPolicy.BLOB + " to fall back to the "
                + "default policy";
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new LifeboatException(ErrorCode.INTEGRITY, RepositoryPolicy.BLOB + " in " + storage.location()
                    + " is not valid JSON", fix, e);
        }
        FormatCheck.version(tree, RepositoryPolicy.BLOB, RepositoryPolicy.FORMAT_VERSION, null);
        try {
            RepositoryPolicy p = Json.MAPPER.treeToValue(tree, RepositoryPolicy.class);
            p.check();
            return Optional.of(p);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new LifeboatException(ErrorCode.INTEGRITY, RepositoryPolicy.BLOB + " in " + storage.location()
                    + " is invalid: " + e.getMessage(), fix, e);
        }
    }

    /** Stores the retention policy every prune of this repository applies from now on. */
    public void writePolicy(RepositoryPolicy policy) throws IOException {
        policy.check();
        storage.write(RepositoryPolicy.BLOB, Json.MAPPER.writeValueAsBytes(policy));
    }

    /** Pinned backups are never removed by retention. */
    public record Pin(Instant pinnedAt, String note) {
        public static String blobName(String id) {
            return BackupBlobs.name(id, BackupBlobs.PIN);
        }
    }

    public void pin(String id, String note) throws IOException {
        storage.write(Pin.blobName(id), Json.MAPPER.writeValueAsBytes(new Pin(Clock.systemUTC().instant(), note)));
    }

    public boolean isPinned(String id) throws IOException {
        return storage.stat(Pin.blobName(id)).isPresent();
    }

    /**
     * The backup's pin, or empty when it has none. A pin blob that cannot be parsed still pins (prune asks
     * {@link #isPinned}, which only looks for the blob): it reads back as a pin of unknown time whose note says so.
     */
    public Optional<Pin> pinOf(String id) throws IOException {
        byte[] raw;
        try {
            raw = storage.readAllBytes(Pin.blobName(id));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            com.fasterxml.jackson.databind.JsonNode tree = Json.MAPPER.readTree(raw);
            Instant at = tree.path("pinnedAt").isTextual() ? Instant.parse(tree.path("pinnedAt").asText()) : null;
            String note = tree.path("note").isTextual() ? tree.path("note").asText() : null;
            return Optional.of(new Pin(at, note));
        } catch (IOException | RuntimeException e) {
            return Optional.of(new Pin(null, "(" + Pin.blobName(id) + " is unreadable; the backup stays pinned)"));
        }
    }

    public void unpin(String id) throws IOException {
        storage.delete(Pin.blobName(id));
    }

    /** Resolves a full id, a unique prefix or suffix of one (such as its 6 hex digits), or {@code latest}. */
    public String resolve(String idOrPrefix) throws IOException {
        return resolve(idOrPrefix, backupIds());
    }

    /**
     * {@link #resolve(String)} among {@code ids}, sorted oldest first (a long-running process passes the
     * ids it already listed).
     */
    public String resolve(String idOrPrefix, List<String> ids) throws IOException {
        return resolve(idOrPrefix, ids, m -> true, null);
    }

    /**
     * {@link #resolve(String)}, where {@code latest} means the newest backup holding {@code database}'s dump
     * ({@link Manifest#dumpOf}): in a repository of
     * several databases' backups, {@code restore latest --database billing} takes billing's newest backup.
     */
    public String resolveHolding(String idOrPrefix, String database) throws IOException {
        return resolve(idOrPrefix, backupIds(), holding(database), database);
    }

    /**
     * The manifest of {@link #resolveHolding}'s backup ({@code database} may be null), read once: finding
     * {@code latest} reads manifests already.
     */
    public Manifest resolveManifest(String idOrPrefix, String database) throws IOException {
        if (idOrPrefix.equals("latest")) {
            return latest(backupIds(), holding(database), database);
        }
        return manifest(resolveHolding(idOrPrefix, database));
    }

    private static java.util.function.Predicate<Manifest> holding(String database) {
        return database == null ? m -> true : m -> m.dumpOf(database) != null;
    }

    private String resolve(String idOrPrefix, List<String> ids, java.util.function.Predicate<Manifest> holds,
                           String database) throws IOException {
        if (idOrPrefix.equals("latest")) {
            return latest(ids, holds, database).id();
        }
        if (ids.contains(idOrPrefix)) {
            return idOrPrefix;
        }
        // Ids of one day share their start and differ in their end: either names a backup when it is unique.
        List<String> matches = idOrPrefix.isEmpty() ? List.of()
                : ids.stream().filter(i -> i.startsWith(idOrPrefix) || i.endsWith(idOrPrefix)).toList();
        if (matches.isEmpty()) {
            throw new LifeboatException(ErrorCode.NOT_FOUND, "no backup '" + idOrPrefix + "' in repository "
                    + storage.location(), "run 'lifeboat list' to see the backups it holds");
        }
        if (matches.size() > 1) {
            throw new LifeboatException(ErrorCode.NOT_FOUND, "'" + idOrPrefix + "' matches " + matches.size()
                    + " backups: " + String.join(", ", matches.subList(0, Math.min(5, matches.size())))
                    + (matches.size() > 5 ? ", ..." : ""),
                    "give more of the id: its start (the time) or its end (the 6 hex digits after the dash)");
        }
        return matches.get(0);
    }

    /**
     * The newest backup that is not a restore's safety backup (restoring "latest" twice must not restore
     * the safety copy the second time); the newest of all when there are only safety backups. Ids sort by
     * their start second; within one second, the manifests' start times decide.
     */
    private Manifest latest(List<String> ids, java.util.function.Predicate<Manifest> holds, String database)
            throws IOException {
        if (ids.isEmpty()) {
            throw new LifeboatException(ErrorCode.NOT_FOUND, "repository " + storage.location()
                    + " holds no backup yet", "run 'lifeboat backup' first");
        }
        Manifest newestOfAll = null;
        boolean anyReadable = false;
        int i = ids.size() - 1;
        while (i >= 0) {
            String second = ids.get(i).substring(0, 16);
            Manifest best = null;
            for (; i >= 0 && ids.get(i).startsWith(second); i--) {
                Manifest m;
                try {
                    m = manifest(ids.get(i));
                } catch (LifeboatException unreadable) {
                    continue; // an unreadable manifest is never "latest"
                }
                anyReadable = true;
                if (!holds.test(m)) {
                    continue;
                }
                if (newestOfAll == null) {
                    newestOfAll = m;
                }
                if (!m.safety() && (best == null || m.started().isAfter(best.started()))) {
                    best = m;
                }
            }
            if (best != null) {
                return best;
            }
        }
        if (!anyReadable) {
            throw new LifeboatException(ErrorCode.NOT_FOUND, "repository " + storage.location()
                    + " holds no readable backup", "run 'lifeboat verify --all' to see what is wrong");
        }
        if (newestOfAll == null) {
            throw new LifeboatException(ErrorCode.NOT_FOUND, "no backup in repository " + storage.location()
                    + " holds database '" + database + "'", "run 'lifeboat list' to see what each backup holds");
        }
        return newestOfAll;
    }

    public Manifest manifest(String id) throws IOException {
        // A manifest that does not parse or verify is read again (twice) before it counts as damaged: a read cut
        // short without an error (beyond the storage contract, as a truncated file) must not pass for a damaged
        // backup. What is damaged stays so, and the last attempt's error names it.
        for (int attempt = 1; ; attempt++) {
            try {
                return readManifest(id);
            } catch (LifeboatException e) {
                if (e.code() != ErrorCode.INTEGRITY || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private Manifest readManifest(String id) throws IOException {
        byte[] raw;
        try {
            raw = storage.readAllBytes(Manifest.blobName(id));
        } catch (NoSuchFileException e) {
            throw new LifeboatException(ErrorCode.NOT_FOUND, "no backup '" + id + "' in repository "
                    + storage.location(), "run 'lifeboat list' to see the backups it holds");
        }
        try {
            // The signature is checked once the version is known to be one this release reads, before any field is used.
            return FormatCheck.manifest(raw, id, () -> {
                try {
                    checkSignature(id, raw);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The chunks of {@code a}, in order, wherever its manifest lists them ({@link ChunkLists#open}). */
    public ChunkLists.Refs chunks(Artifact a) {
        return ChunkLists.open(storage, a);
    }

    /**
     * Throws when a chunk the manifest references is missing: before committing a backup whose lock broke a stale
     * prune's, which may have deleted chunks the backup found and reused.
     */
    public void requireChunks(Manifest manifest) throws IOException {
        ChunkIndex present = new ChunkIndex();
        forEachChunk((id, stored) -> present.put(id, 0));
        for (Artifact a : manifest.artifacts()) {
            ChunkLists.forEach(storage, a, c -> {
                if (present.get(c.id()) == ChunkIndex.MISSING) {
                    throw new LifeboatException(ErrorCode.INTEGRITY, "chunk " + c.id() + " of artifact " + a.name()
                            + " was deleted while backup " + manifest.id() + " ran, by the prune whose stale lock it "
                            + "broke", "run the backup again: nothing was committed");
                }
            });
        }
    }

    /**
     * In a repository of format 2 on, refuses a manifest whose signature ({@code manifest.sig}) is missing or is not
     * one by the repository's signing key over the manifest's exact bytes: whoever can write the storage can write a
     * manifest and chunks, but cannot sign them.
     */
    private void checkSignature(String id, byte[] raw) throws IOException {
        if (signedBy == null) {
            return;
        }
        String sigBlob = BackupBlobs.name(id, BackupBlobs.SIGNATURE);
        byte[] sig;
        try {
            sig = storage.readAllBytes(sigBlob);
        } catch (NoSuchFileException e) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "backup " + id + " is not signed (" + sigBlob + " is "
                    + "missing), though every backup of this repository is: it may be forged, and is not used",
                    "restore another backup; if you keep a replica of the repository, compare that backup there");
        }
        if (sig.length != 64 || !Signing.verify(signedBy, raw, sig)) {
            throw new LifeboatException(ErrorCode.INTEGRITY, "the signature of backup " + id + " (" + sigBlob
                    + ") is not one by the repository's signing key " + Signing.fingerprint(signedBy)
                    + ": the backup was forged or altered, and is not used",
                    "restore another backup; if you keep a replica of the repository, compare that backup there");
        }
    }

    /** Makes a backup exist: its manifest is the last blob written; signed by the key {@link #init} made. */
    public void commit(Manifest manifest) throws IOException {
        commit(manifest, initSigner);
    }

    /** Makes a backup exist, signed with {@code keys}' signing key ({@link #writeKeys}). */
    public void commit(Manifest manifest, Keys keys) throws IOException {
        commit(manifest, keys.signingKey());
    }

    private void commit(Manifest manifest, PrivateKey signer) throws IOException {
        byte[] raw = Json.MAPPER.writeValueAsBytes(manifest);
        if (signedBy != null) {
            if (signer == null) {
                throw new LifeboatException(ErrorCode.ENCRYPTION, "this host has no key to sign backups of repository "
                        + storage.location() + ", so backup " + manifest.id() + " was not committed",
                        "copy the signing key (<key folder>/" + config.id() + ".signing-key) from the host that ran "
                                + "'lifeboat init', or set LIFEBOAT_SIGNING_KEY; a restore can skip its safety backup "
                                + "with --no-safety-backup");
            }
            // The signature first: the manifest is the commit point, and a committed backup is always signed.
            storage.write(BackupBlobs.name(manifest.id(), BackupBlobs.SIGNATURE), Signing.sign(signer, raw));
        }
        storage.write(Manifest.blobName(manifest.id()), raw);
    }

    public ChunkWriter chunkWriter(Keys keys, int compressionLevel, int threads) {
        return new ChunkWriter(this, new ChunkCodec(config, keys, compressionLevel), threads);
    }

    public ArtifactReader artifactReader(Keys keys) {
        return new ArtifactReader(storage, new ChunkCodec(config, keys, config.compression().level()), locations(),
                config.packs());
    }
}
