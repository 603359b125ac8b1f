package dev.lifeboat.source.postgres;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgToolsTest {
    @TempDir
    Path dir;

    /** A stand-in program that prints a version line as PostgreSQL's tools do. */
    private Path fake(String folder, String tool, String version) throws IOException {
        Path bin = Files.createDirectories(dir.resolve(folder));
        Path p = bin.resolve(tool);
        Files.writeString(p, "#!/bin/sh\necho '" + tool + " (PostgreSQL) " + version + "'\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return bin;
    }

    @Test
    void choosesTheLowestMajorThatIsAtLeastTheServers() throws IOException {
        PgTools tools = new PgTools(List.of(fake("13", "pg_dump", "13.9"), fake("16", "pg_dump", "16.4 (Debian 16.4-1)"),
                fake("15", "pg_dump", "15.18")));
        assertThat(tools.find("pg_dump")).extracting(PgTools.Binary::major).containsExactly(13, 15, 16);
        assertThat(tools.choose("pg_dump", 15, "db").version()).isEqualTo("15.18");
        assertThat(tools.choose("pg_dump", 14, "db").major()).isEqualTo(15);
        assertThat(tools.choose("pg_dump", 16, "db").version()).isEqualTo("16.4");
        assertThat(tools.newest("pg_dump").major()).isEqualTo(16);
    }

    @Test
    void probingAheadFindsTheSameProgramsAndEachRunsOnce() throws IOException {
        Path bin = fake("16", "pg_dump", "16.4");
        Path log = dir.resolve("runs.log");
        // psql that notes each run, to show that prefetch and the lookups after it share one probe
        Files.writeString(bin.resolve("psql"), "#!/bin/sh\necho run >> '" + log + "'\necho 'psql (PostgreSQL) 15.2'\n");
        Files.setPosixFilePermissions(bin.resolve("psql"), PosixFilePermissions.fromString("rwx------"));
        PgTools tools = new PgTools(List.of(bin, dir.resolve("missing")));
        tools.prefetch("psql", "pg_dump", "pg_restore");
        assertThat(tools.newest("psql").version()).isEqualTo("15.2");
        assertThat(tools.choose("pg_dump", 16, "db").version()).isEqualTo("16.4");
        assertThat(tools.newest("psql").major()).isEqualTo(15);
        assertThat(Files.readAllLines(log)).hasSize(1);
        assertThatThrownBy(() -> tools.choose("pg_restore", 16, "restoring into db"))
                .isInstanceOf(LifeboatException.class).hasMessageContaining("pg_restore 16 or newer, and none was found");
    }

    @Test
    void noFittingVersionNamesWhatWasFoundAndThePackageToInstall() throws IOException {
        PgTools tools = new PgTools(List.of(fake("13", "pg_dump", "13.9")));
        assertThatThrownBy(() -> tools.choose("pg_dump", 17, "database app"))
                .isInstanceOf(LifeboatException.class)
                .hasMessageContaining("pg_dump 17 or newer").hasMessageContaining("pg_dump 13.9")
                .satisfies(e -> {
                    LifeboatException le = (LifeboatException) e;
                    assertThat(le.code()).isEqualTo(ErrorCode.TOOLS);
                    assertThat(le.hint()).contains("postgresql-client-17");
                });
        assertThatThrownBy(() -> new PgTools(List.of(dir.resolve("empty"))).newest("psql"))
                .hasMessageContaining("psql was not found");
    }
}
