package dev.lifeboat.service;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

/**
 * Serializes jobs on one repository across the instances that share a PostgreSQL state store, with a
 * session-level advisory lock keyed by the repository's location. The lock lives as long as the
 * connection that holds it: an instance that dies releases it with its connection.
 */
public final class AdvisoryLockGate implements JobGate {
    private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLockGate.class);

    private final DataSource dataSource;
    private final long key;
    private final String repository;

    public AdvisoryLockGate(DataSource dataSource, String repository) {
        this.dataSource = dataSource;
        this.repository = repository;
        this.key = keyOf(repository);
    }

    static long keyOf(String repository) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(("lifeboat-repository:" + repository)
                    .getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) {
                k = (k << 8) | (h[i] & 0xff);
            }
            return k;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Pass enter(Job job) throws Exception {
        Connection c = dataSource.getConnection();
        boolean logged = false;
        try {
            while (true) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                    ps.setLong(1, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(1)) {
                            break;
                        }
                    }
                }
                if (!logged) {
                    LOG.info("job {} waits: another instance runs a job on {}", job.id(), repository);
                    logged = true;
                }
                Thread.sleep(1000);
            }
        } catch (Exception e) {
            c.close();
            throw e;
        }
        return () -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                ps.setLong(1, key);
                ps.execute();
            } catch (java.sql.SQLException e) {
                // the connection may still hold the lock: never hand it back to the pool
                if (dataSource instanceof com.zaxxer.hikari.HikariDataSource pool) {
                    pool.evictConnection(c);
                }
                throw e;
            } finally {
                c.close();
            }
        };
    }
}
