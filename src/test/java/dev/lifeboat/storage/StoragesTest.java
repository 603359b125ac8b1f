package dev.lifeboat.storage;

import dev.lifeboat.storage.local.LocalStorage;
import dev.lifeboat.storage.s3.S3Location;
import dev.lifeboat.storage.s3.S3Storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoragesTest {
    @TempDir
    Path temp;

    @Test
    void s3LocationOpensS3Storage() throws IOException {
        try (Storage s = Storages.open("s3://bucket/repo?endpoint=http://127.0.0.1:9&region=us-east-1")) {
            assertThat(s).isInstanceOf(S3Storage.class);
            assertThat(((S3Storage) s).s3Location())
                    .isEqualTo(new S3Location("bucket", "repo", URI.create("http://127.0.0.1:9"), "us-east-1", true));
            assertThat(s.location()).isEqualTo("s3://bucket/repo?endpoint=http://127.0.0.1:9");
        }
    }

    @Test
    void fileUriOpensLocalStorage() throws IOException {
        try (Storage s = Storages.open(temp.toUri().toString())) {
            assertThat(s).isInstanceOf(LocalStorage.class);
            assertThat(((LocalStorage) s).root()).isEqualTo(temp.toAbsolutePath().normalize());
        }
        try (Storage s = Storages.open("file://" + temp.toAbsolutePath())) {
            assertThat(((LocalStorage) s).root()).isEqualTo(temp.toAbsolutePath().normalize());
        }
    }

    @Test
    void plainPathsOpenLocalStorage() throws IOException {
        try (Storage s = Storages.open(temp.resolve("repo").toString())) {
            assertThat(((LocalStorage) s).root()).isEqualTo(temp.resolve("repo").toAbsolutePath().normalize());
        }
        try (Storage s = Storages.open("backups/repo")) {
            assertThat(((LocalStorage) s).root()).isEqualTo(Path.of("backups/repo").toAbsolutePath().normalize());
        }
        try (Storage s = Storages.open("./odd:name")) {
            assertThat(s).isInstanceOf(LocalStorage.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"azure://account/container", "gs://bucket/p", "ftp://user:pw@host/x", "sftp://host/x",
            "http://127.0.0.1/x"})
    void otherSchemesAreRejectedWithTheSupportedOnes(String location) {
        assertThatThrownBy(() -> Storages.open(location)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported storage scheme")
                .hasMessageContaining("s3://").hasMessageContaining("file://")
                .hasMessageNotContaining("pw");
    }

    @Test
    void blankAndRemoteFileLocationsAreRejected() {
        assertThatThrownBy(() -> Storages.open(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("s3://");
        assertThatThrownBy(() -> Storages.open("file://host/share")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a host");
    }
}
